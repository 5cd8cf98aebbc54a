"""Quirks: behaviours of other Telegram server implementations, all off by default.

tgsim answers the way Telegram does. A client that must work against any
server (an independent implementation, a server of another layer) is tested by
switching quirks on, per server (``Server.start(..., quirks=Quirks(...))``,
``python -m tgsim --quirk ...``, a scenario's ``[quirks]`` table) or per test
(``sim.quirks.get_messages = "sorted_sparse"``; a change applies from the next
request):

- ``get_messages``: ``"in_order"`` (Telegram: one entry per requested id, in
  request order, ``messageEmpty`` for a missing one) or ``"sorted_sparse"``
  (sorted by id, each id once, missing and deleted ids left out, as servers may
  do: Telethon's own code says so);
- ``message_ids``: ``"per_channel"`` (Telegram: each channel counts its own ids)
  or ``"shared"`` (one counter for every channel, so a channel's ids have gaps);
- ``id_stride``: each new id is this much above the previous one of its counter
  (1: no gaps);
- ``layer``: the TL layer the server serves (None: the installed Telethon's).
  A client that announces a newer layer (``invokeWithLayer``) gets answers it
  cannot read, as from a real server of an older layer: their ``user`` objects
  carry a ``user`` constructor of another layer that the installed Telethon
  does not know (``user#020b1422``, the one an independent server sent, unless
  the installed layer uses it), so Telethon fails reading them with
  ``TypeNotFoundError``. Requests are still read with the installed layer.
"""

from __future__ import annotations

import copy
import struct
from dataclasses import dataclass, fields
from typing import Any, Literal

from telethon.tl import TLObject
from telethon.tl.alltlobjects import tlobjects

from tgsim.tlkit import LAYER, tl

GetMessagesMode = Literal["in_order", "sorted_sparse"]
MessageIdsMode = Literal["per_channel", "shared"]
GET_MESSAGES_MODES: tuple[str, ...] = ("in_order", "sorted_sparse")
MESSAGE_IDS_MODES: tuple[str, ...] = ("per_channel", "shared")
#: ``user`` constructors of other layers, the first one the installed layer does
#: not define is used (user#020b1422 is what the independent server sent).
OTHER_LAYER_USER_IDS: tuple[int, ...] = (0x020B1422, 0x83314FCA, 0x215C4438)
MAX_STRIDE = 1_000_000


@dataclass
class Quirks:
    """Which quirks a server has (see the module docstring). Checked on every
    assignment: a wrong value raises ValueError naming the field."""

    get_messages: GetMessagesMode = "in_order"
    message_ids: MessageIdsMode = "per_channel"
    id_stride: int = 1
    layer: int | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, _checked(name, value))

    @classmethod
    def from_mapping(cls, table: dict[str, Any], where: str = "quirks") -> Quirks:
        """Quirks from a scenario's ``[quirks]`` table; ValueError names the key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ValueError(
                f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        try:
            return cls(**table)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    @property
    def active(self) -> list[str]:
        """The quirks switched on, as ``name=value`` (for logs)."""
        default = Quirks()
        return [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        ]

    def older_layer_for(self, client_layer: int) -> bool:
        """Whether a client that announced ``client_layer`` (0: not yet) gets
        answers of an older layer than its own."""
        return self.layer is not None and (client_layer == 0 or client_layer > self.layer)


def _checked(name: str, value: Any) -> Any:
    if name == "get_messages" and value not in GET_MESSAGES_MODES:
        raise ValueError(f"get_messages must be one of {', '.join(GET_MESSAGES_MODES)}, "
                         f"not {value!r}")
    if name == "message_ids" and value not in MESSAGE_IDS_MODES:
        raise ValueError(f"message_ids must be one of {', '.join(MESSAGE_IDS_MODES)}, "
                         f"not {value!r}")
    if name == "id_stride" and (
        not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_STRIDE
    ):
        raise ValueError(f"id_stride must be a whole number 1..{MAX_STRIDE}, not {value!r}")
    if name == "layer" and value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= LAYER
    ):
        raise ValueError(
            f"layer must be a layer number 1..{LAYER} (the installed Telethon's), not {value!r}"
        )
    return value


def other_layer_user_id() -> int:
    """A ``user`` constructor id of another layer, unknown to the installed Telethon."""
    for cid in OTHER_LAYER_USER_IDS:
        if cid not in tlobjects:
            return cid
    raise RuntimeError("every known user constructor is defined by the installed layer")


class _OtherLayer(TLObject):  # type: ignore[misc]
    """Serializes like ``obj`` but with another constructor id (the body is the
    installed layer's: a client of another layer fails at the constructor)."""

    def __init__(self, obj: Any, constructor_id: int) -> None:
        self.obj = obj
        self.constructor_id = constructor_id

    def _bytes(self) -> bytes:
        return struct.pack("<I", self.constructor_id) + bytes(self.obj._bytes())[4:]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = self.obj.to_dict()
        out["_constructor"] = f"{self.constructor_id:08x}"
        return out


def as_older_layer(obj: Any) -> Any:
    """``obj`` (a handler's result or pushed updates) as a server of an older layer
    would send it: every ``User`` in it with another layer's constructor. The
    world's objects are not changed: containers are copied where needed."""
    if isinstance(obj, list):
        items = [as_older_layer(x) for x in obj]
        return items if any(a is not b for a, b in zip(items, obj, strict=True)) else obj
    if isinstance(obj, tl.User):
        return _OtherLayer(obj, other_layer_user_id())
    if isinstance(obj, TLObject) and not isinstance(obj, _OtherLayer):
        changed = {}
        for key, value in vars(obj).items():
            if isinstance(value, list | TLObject):
                new = as_older_layer(value)
                if new is not value:
                    changed[key] = new
        if changed:
            clone = copy.copy(obj)
            for key, value in changed.items():
                setattr(clone, key, value)
            return clone
    return obj
