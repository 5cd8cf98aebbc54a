"""Build and serialize TL objects with whatever Telethon layer is installed.

Telethon's generated classes change between layers (new required fields, removed
optional ones). :func:`mk` passes only the keyword arguments the installed class
accepts and fills any *required* field it was not given with a neutral value
derived from the field's type annotation, so the same tgsim code serves layers
181 to the newest one.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import struct
from functools import cache
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import TLObject
from telethon.tl import types as tl
from telethon.tl.alltlobjects import LAYER

__all__ = [
    "LAYER",
    "TLError",
    "mk",
    "parse_object",
    "serialize_bool",
    "serialize_result",
    "serialize_vector",
    "tl",
]

VECTOR_ID = 0x1CB5C415
BOOL_TRUE = 0x997275B5
BOOL_FALSE = 0xBC799737


class TLError(Exception):
    """An RPC error to return to the client (``rpc_error``)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def _empty_for(annotation: str) -> Any:
    """A neutral value for a required field of the given annotation."""
    ann = annotation.replace("typing.", "")
    if ann.startswith("Optional[datetime") or "datetime" in ann:
        return _dt.datetime.now(tz=_dt.UTC)
    if ann.startswith(("List", "list")):
        return []
    simple: dict[str, Any] = {
        "<class 'int'>": 0,
        "<class 'float'>": 0.0,
        "<class 'str'>": "",
        "<class 'bytes'>": b"",
        "<class 'bool'>": False,
    }
    if ann in simple:
        return simple[ann]
    tl_defaults: dict[str, Any] = {
        "TypePhoto": lambda: tl.PhotoEmpty(id=0),
        "TypeChatPhoto": tl.ChatPhotoEmpty,
        "TypeUserProfilePhoto": tl.UserProfilePhotoEmpty,
        "TypeUserStatus": tl.UserStatusEmpty,
        "TypePeerNotifySettings": tl.PeerNotifySettings,
        "TypePeerSettings": tl.PeerSettings,
        "TypeChatReactions": tl.ChatReactionsNone,
        "TypeDataJSON": lambda: tl.DataJSON(data="{}"),
    }
    for name, factory in tl_defaults.items():
        if name in ann:
            return factory()
    raise TypeError(f"tgsim cannot invent a value for a required field of type {annotation}")


@cache
def _params(cls: type) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    sig = inspect.signature(cls)
    names: set[str] = set()
    required: list[tuple[str, str]] = []
    for name, param in sig.parameters.items():
        if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        names.add(name)
        if param.default is inspect.Parameter.empty:
            required.append((name, str(param.annotation)))
    return frozenset(names), tuple(required)


def mk(cls: type, **kwargs: Any) -> Any:
    """Instantiate the TL class ``cls`` with the fields this layer knows."""
    names, required = _params(cls)
    args = {k: v for k, v in kwargs.items() if k in names}
    for name, annotation in required:
        if name not in args:
            args[name] = _empty_for(annotation)
    return cls(**args)


def has_type(name: str) -> bool:
    """Whether the installed layer defines the TL type ``name``."""
    return hasattr(tl, name)


def parse_object(data: bytes) -> Any:
    """Read one boxed TL object (type or function) from ``data``."""
    with BinaryReader(data) as reader:
        return reader.tgread_object()


def serialize_vector(items: list[Any]) -> bytes:
    """Serialize a boxed ``Vector<T>`` of TL objects or 64-bit ints."""
    out = [struct.pack("<Ii", VECTOR_ID, len(items))]
    for item in items:
        if isinstance(item, int):
            out.append(struct.pack("<q", item))
        else:
            out.append(bytes(item))
    return b"".join(out)


def serialize_bool(value: bool) -> bytes:
    """Serialize a boxed ``Bool``."""
    return struct.pack("<I", BOOL_TRUE if value else BOOL_FALSE)


def serialize_result(result: Any) -> bytes:
    """Serialize whatever an RPC handler returned."""
    if isinstance(result, bool):
        return serialize_bool(result)
    if isinstance(result, list):
        return serialize_vector(result)
    if isinstance(result, bytes):
        return result
    if isinstance(result, TLObject):
        return bytes(result)
    raise TypeError(f"cannot serialize RPC result {type(result).__name__}")
