"""The detail of an alert's matches (a vPDQ match's direction and percentages).

A match's detail (:attr:`storage.models.MatchIn.detail`: strings only) is
written where the match is recorded, without a column of its own: into the
match's ledger record (``detail``) and the ``alert.raise`` / ``alert.match``
audit row that attached it (its ``matches``). Both are append-only. The
alert's matches read it back from the audit rows (indexed by subject, a few
rows per alert), only for alerts with a match of a type that carries one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiosqlite

from storage.sqlite.connect import fetch_all

#: Match types whose matches carry a detail.
DETAILED_TYPES = frozenset({"vpdq"})
#: The audit actions that attach matches to an alert.
_ATTACHING = ("alert.raise", "alert.match")

MatchKey = tuple[int, int, str]  # bank entry id, media id, hash type


def check_detail(detail: Mapping[str, str] | None) -> None:
    """A detail is a flat mapping of strings (the ledger has no numbers); ValueError else."""
    if detail is None:
        return
    if not isinstance(detail, Mapping):
        raise ValueError(f"a match detail is a mapping of strings, not {type(detail).__name__}")
    for key, value in detail.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(
                f"a match detail holds only strings: {key!r}: {type(value).__name__}"
            )


def _details_of(after_json: str | None) -> dict[MatchKey, dict[str, str]]:
    out: dict[MatchKey, dict[str, str]] = {}
    if not after_json:
        return out
    try:
        after = json.loads(after_json)
    except ValueError:
        return out
    matches = after.get("matches") if isinstance(after, dict) else None
    for m in matches if isinstance(matches, list) else []:
        detail = m.get("detail") if isinstance(m, dict) else None
        if isinstance(detail, dict) and detail:
            try:
                key = (int(m["bank_entry_id"]), int(m["media_id"]), str(m["hash_type"]))
            except (KeyError, TypeError, ValueError):
                continue
            out[key] = {str(k): str(v) for k, v in detail.items()}
    return out


async def attach_details(
    conn: aiosqlite.Connection, matches_of: Mapping[int, Sequence[dict[str, Any]]]
) -> None:
    """Set ``detail`` (a dict, or None) on every match dict of the alerts in
    ``matches_of`` (alert id -> its match dicts, as :mod:`storage.sqlite.alerts`
    reads them)."""
    wanted = [alert_id for alert_id, matches in matches_of.items()
              if any(m["hash_type"] in DETAILED_TYPES for m in matches)]
    found: dict[int, dict[MatchKey, dict[str, str]]] = {}
    for start in range(0, len(wanted), 500):
        chunk = [f"alert:{a}" for a in wanted[start : start + 500]]
        marks = ", ".join("?" * len(chunk))
        for row in await fetch_all(
            conn,
            f"SELECT subject, after_json FROM audit WHERE subject IN ({marks}) "  # noqa: S608
            f"AND action IN ({', '.join('?' * len(_ATTACHING))}) ORDER BY id",
            [*chunk, *_ATTACHING],
        ):
            alert_id = int(str(row["subject"]).removeprefix("alert:"))
            found.setdefault(alert_id, {}).update(_details_of(row["after_json"]))
    for alert_id, matches in matches_of.items():
        details = found.get(alert_id, {})
        for m in matches:
            m["detail"] = details.get((m["bank_entry_id"], m["media_id"], m["hash_type"]))
