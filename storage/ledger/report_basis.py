"""The legal basis in a bundle's records, for the report: which authorization and
which watch covered each capture at its moment, and what the channels are called.

Everything is read from the exported records themselves (so the report shows
only what the proofs cover):

- authorizations from ``authorization.*`` records (kind, authority, document,
  validity, scope, and their events: extension, revocation, expiry);
- watches from ``watch.*`` and ``request.*`` records naming a ``watch``: its
  target, the channel it was bound to, and its states over time;
- channel names from the ``channel_title`` / ``channel_username`` a watch's
  records carry.

A capture's watch is the watch bound to the capture's channel whose last state
at or before the capture's time is one in which recording is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Watch states in which posts are recorded (given a valid authorization).
RECORDING_STATES = frozenset({"approved", "joining", "active", "waiting"})


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass
class WatchInfo:
    id: str
    target: str = ""
    channel: str = ""
    request: str = ""
    states: list[tuple[str, str]] = field(default_factory=list)  # (at, state), record order

    def state_at(self, at: str) -> tuple[str, str] | None:
        """The last state set at or before ``at`` (as ``(since, state)``)."""
        found = None
        for since, state in self.states:
            if since <= at:
                found = (since, state)
        return found


@dataclass
class LegalBasis:
    authorizations: dict[str, dict[str, str]] = field(default_factory=dict)
    auth_events: dict[str, list[str]] = field(default_factory=dict)
    watches: dict[str, WatchInfo] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # channel -> title, user

    def channel_label(self, channel: str) -> str:
        """``Title (@username, id)`` where the records name the channel, else its id."""
        if not channel:
            return ""
        title, user = self.names.get(channel, ("", ""))
        inner = ", ".join(x for x in (f"@{user}" if user else "", channel) if x)
        return f"{title} ({inner})" if title else (f"@{user} ({channel})" if user else channel)

    def authorization_label(self, auth_id: str) -> str:
        info = self.authorizations.get(auth_id)
        if not auth_id:
            return ""
        if info is None:
            return f"#{auth_id}"
        parts = [info.get(k, "") for k in ("kind", "authority", "document")]
        valid = " to ".join(x for x in (info.get("valid_from", ""), info.get("valid_until", ""))
                            if x)
        head = ", ".join(p for p in parts if p)
        return f"#{auth_id} {head}" + (f", valid {valid}" if valid else "")

    def watch_label(self, channel: str, at: str) -> str:
        for watch in self.watches.values():
            if watch.channel != channel:
                continue
            state = watch.state_at(at)
            if state is not None and state[1] in RECORDING_STATES:
                target = f" {watch.target}" if watch.target else ""
                return f"#{watch.id}{target}, {state[1]} since {state[0]}"
        return ""


def _watch_record(basis: LegalBasis, rec: Mapping[str, Any], rtype: str, at: str) -> None:
    watch_id = rec.get("watch")
    if not isinstance(watch_id, str):
        return
    watch = basis.watches.setdefault(watch_id, WatchInfo(watch_id))
    before, after = (v if isinstance(v, dict) else {} for v in (rec.get("before"),
                                                                 rec.get("after")))
    for value in (before, after):
        if isinstance(value.get("target"), str):
            watch.target = value["target"]
    if rtype.startswith("request.") and isinstance(rec.get("request"), str):
        watch.request = rec["request"]
    if not rtype.startswith("watch."):
        return
    if isinstance(rec.get("channel"), str):
        watch.channel = rec["channel"]
        title, user = rec.get("channel_title"), rec.get("channel_username")
        if isinstance(title, str) or isinstance(user, str):
            basis.names[rec["channel"]] = (text(title), text(user))
    if isinstance(after.get("state"), str):
        watch.states.append((at, after["state"]))


def legal_basis(records: list[dict[str, Any]]) -> LegalBasis:
    basis = LegalBasis()
    for rec in records:
        rtype, at = text(rec.get("type")), text(rec.get("at"))
        if rtype.startswith("authorization."):
            auth_id = text(rec.get("authorization"))
            info = basis.authorizations.setdefault(auth_id, {"id": auth_id})
            for key in ("kind", "authority", "document", "valid_from", "valid_until"):
                if rec.get(key) is not None:
                    info[key] = text(rec.get(key))
            basis.auth_events.setdefault(auth_id, []).append(f"{rtype.split('.', 1)[1]} {at}")
        if rtype.startswith(("watch.", "request.")):
            _watch_record(basis, rec, rtype, at)
    return basis
