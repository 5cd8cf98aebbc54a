"""Fault injection, per request type and per client.

A fault matches a request by the TL class name of the innermost request (e.g.
``"JoinChannelRequest"``) or ``"*"``, optionally only for one client (user id
or phone number), and fires ``times`` times (``None``: forever). Kinds:

- an RPC error name, e.g. ``"FLOOD_WAIT_5"``, ``"CHANNELS_TOO_MUCH"``,
  ``"CHANNEL_PRIVATE"``, ``"INVITE_HASH_EXPIRED"``, ``"FILE_REFERENCE_EXPIRED"``
  (the server answers with that error, so Telethon raises the same class as
  against Telegram; ``FILE_REFERENCE_EXPIRED`` also invalidates the file's
  current reference until the message is fetched again);
- ``"drop"``: the server closes the TCP connection instead of answering;
- ``"drop_mid_download"``: on ``upload.getFile`` with a non-zero offset (that is,
  after the first part of a file was served), the connection is closed;
- ``("slow", seconds)``: the answer is delayed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

FaultKind = str | tuple[str, float]

# RPC errors tgsim knows how to raise, with their Telegram error codes.
ERROR_CODES: dict[str, int] = {
    "CHANNELS_TOO_MUCH": 400,
    "CHANNEL_PRIVATE": 400,
    "CHANNEL_INVALID": 400,
    "INVITE_HASH_EXPIRED": 400,
    "INVITE_HASH_INVALID": 400,
    "FILE_REFERENCE_EXPIRED": 400,
    "USERNAME_NOT_OCCUPIED": 400,
    "USER_DEACTIVATED_BAN": 401,
    "AUTH_KEY_UNREGISTERED": 401,
    "PEER_ID_INVALID": 400,
    "TIMEOUT": 500,
    "INTERNAL": 500,
}


def error_code(message: str) -> int:
    """The Telegram error code for an error message name."""
    if re.fullmatch(r"(FLOOD_WAIT|SLOWMODE_WAIT|FLOOD_PREMIUM_WAIT)_\d+", message):
        return 420
    return ERROR_CODES.get(message, 400)


def validate_kind(kind: FaultKind) -> FaultKind:
    """Check a fault kind; raises ValueError naming what is wrong."""
    if isinstance(kind, tuple):
        if len(kind) != 2 or kind[0] != "slow" or not isinstance(kind[1], int | float):
            raise ValueError(f"fault {kind!r}: the only tuple fault is ('slow', seconds)")
        if kind[1] < 0:
            raise ValueError(f"fault {kind!r}: seconds must be >= 0")
        return ("slow", float(kind[1]))
    if kind in ("drop", "drop_mid_download"):
        return kind
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", kind):
        raise ValueError(
            f"fault {kind!r}: expected an RPC error name like FLOOD_WAIT_5, 'drop', "
            "'drop_mid_download' or ('slow', seconds)"
        )
    return kind


@dataclass
class Fault:
    """One armed fault."""

    request: str
    kind: FaultKind
    times: int | None
    client: int | str | None
    fired: int = 0

    def matches(
        self,
        names: tuple[str, ...],
        user_id: int | None,
        resolve: Callable[[int | str], int | None],
    ) -> bool:
        """Whether this fault applies to a request known by ``names`` from ``user_id``."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.request != "*" and self.request not in names:
            return False
        if self.client is None:
            return True
        return user_id is not None and resolve(self.client) == user_id


def _int_or_none(who: int | str) -> int | None:
    return who if isinstance(who, int) else None


class Faults:
    """The set of armed faults of a server."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.resolve: Callable[[int | str], int | None] = _int_or_none

    def add(
        self,
        request: str = "*",
        error: FaultKind = "drop",
        times: int | None = 1,
        client: int | str | None = None,
    ) -> Fault:
        """Arm a fault (see the module docstring for the kinds)."""
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None (forever)")
        fault = Fault(request, validate_kind(error), times, client)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def take(
        self, names: tuple[str, ...], user_id: int | None, *, offset: int | None = None
    ) -> FaultKind | None:
        """The fault to apply to a request now (counting it as fired), if any.

        ``names`` are the request's TL class name and its qualified name
        (``"JoinChannelRequest"``, ``"channels.JoinChannelRequest"``).
        """
        with self._lock:
            for fault in self._faults:
                if fault.kind == "drop_mid_download" and (
                    "GetFileRequest" not in names or not offset
                ):
                    continue
                if fault.matches(names, user_id, self.resolve):
                    fault.fired += 1
                    return fault.kind
        return None

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for f in self._faults if f.times is None or f.fired < f.times)
