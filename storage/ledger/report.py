"""The human side of a bundle: ``records.csv`` and the case summary that
``report.html`` and ``report.pdf`` (:mod:`storage.ledger.report_pdf`) print.

The summary is built only from the exported records themselves, so what a
reader sees in the report is what the proofs cover. Long timelines are cut
(:data:`TIMELINE_LIMIT`); the full list is always in ``records.csv``.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storage.ledger.selection import AuthScope

TIMELINE_LIMIT = 2000
_MAIN = ("seq", "at", "type", "actor", "case", "authorization", "channel", "message")

VERIFY_STEPS = (
    "Keep the ZIP file unchanged; note its SHA-256 when you receive it.",
    "Get the ledger's verifier key (vkey) from the issuing unit by a separate channel "
    "(letter, phone); its key id is printed below.",
    "Run: chanwatch evidence verify BUNDLE.zip --key 'VKEY' (any RFC 6962 / C2SP "
    "implementation can check the same files: records.jsonl lines are the hashed bytes, "
    "proofs.jsonl the RFC 9162 inclusion proofs, checkpoint.txt the signed tree head).",
    "With an earlier bundle of this ledger, add --previous OLD_checkpoint.txt to check "
    "that nothing recorded before it was changed since.",
    "Only the verdict 'VERIFIED' (exit status 0) means every record, proof, file and the "
    "signature hold.",
)


@dataclass
class CaseSummary:
    case: str
    meta: dict[str, str]
    total: int
    counts: dict[str, int]
    authorizations: list[dict[str, str]] = field(default_factory=list)
    channels: list[dict[str, str]] = field(default_factory=list)
    timeline: list[dict[str, str]] = field(default_factory=list)
    media: list[dict[str, str]] = field(default_factory=list)
    decisions: list[dict[str, str]] = field(default_factory=list)


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_SKIP = frozenset((*_MAIN, "v"))


def _details(rec: dict[str, Any]) -> str:
    rest = {k: v for k, v in rec.items() if k not in _SKIP}
    return _s(rest) if rest else ""


def records_csv(records: list[dict[str, Any]]) -> bytes:
    """One row per record: the main fields, then every other field as JSON."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*_MAIN, "details"])
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
    skip = _SKIP
    rows = []
    for rec in records:
        row: list[Any] = [rec.get(k) for k in _MAIN]  # strings or None (written as "")
        if not all(v is None or type(v) is str for v in row):
            row = [_s(v) for v in row]
        rest = {k: v for k, v in rec.items() if k not in skip}
        row.append(dumps(rest) if rest else "")
        rows.append(row)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: spreadsheets then read UTF-8


def summarize(
    case: str, records: list[dict[str, Any]], scopes: dict[str, AuthScope], meta: dict[str, str]
) -> CaseSummary:
    counts = Counter(str(r.get("type")) for r in records)
    summary = CaseSummary(case, meta, len(records), dict(sorted(counts.items())))
    auth_events: dict[str, list[str]] = {}
    auth_info: dict[str, dict[str, str]] = {}
    watched: dict[str, dict[str, str]] = {}
    for rec in records:
        rtype, at = str(rec.get("type")), _s(rec.get("at"))
        if rtype.startswith("authorization."):
            auth_id = _s(rec.get("authorization"))
            info = auth_info.setdefault(auth_id, {"id": auth_id})
            for key in ("kind", "authority", "document", "valid_from", "valid_until"):
                if rec.get(key) is not None:
                    info[key] = _s(rec.get(key))
            auth_events.setdefault(auth_id, []).append(f"{rtype.split('.', 1)[1]} {at}")
        channel = rec.get("channel")
        if isinstance(channel, str):
            ch = watched.setdefault(channel, {"channel": channel, "first": at, "last": at,
                                              "captures": "0", "watch": ""})
            ch["first"], ch["last"] = min(ch["first"], at), max(ch["last"], at)
            if rtype.startswith("post."):
                ch["captures"] = str(int(ch["captures"]) + 1)
            if rtype.startswith("watch."):
                ch["watch"] = (ch["watch"] + f"; {rtype.split('.', 1)[1]} {at}").lstrip("; ")
        if rtype in ("media.hashed", "media.seen", "match"):
            summary.media.append({"at": at, "type": rtype, "channel": _s(channel),
                                  "message": _s(rec.get("message")), "details": _details(rec)})
        if rtype.startswith("alert."):
            summary.decisions.append({"at": at, "decision": rtype.split(".", 1)[1],
                                      "by": _s(rec.get("actor")), "alert": _s(rec.get("alert")),
                                      "note": _s(rec.get("note"))})
        if len(summary.timeline) < TIMELINE_LIMIT:
            summary.timeline.append({"seq": _s(rec.get("seq")), "at": at, "type": rtype,
                                     "actor": _s(rec.get("actor")), "channel": _s(channel),
                                     "message": _s(rec.get("message"))})
    for auth_id, scope in sorted(scopes.items()):
        info = auth_info.setdefault(auth_id, {"id": auth_id})
        info["channels"] = ", ".join(sorted(scope.channels))
        info.setdefault("valid_from", scope.valid_from or "")
        info.setdefault("valid_until", scope.valid_until or "")
        info["events"] = "; ".join(auth_events.get(auth_id, []))
    summary.authorizations = [auth_info[k] for k in sorted(auth_info)]
    summary.channels = [watched[k] for k in sorted(watched)]
    return summary


def _table(rows: list[dict[str, str]], columns: tuple[str, ...], empty: str) -> str:
    if not rows:
        return f"<p class='empty'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(r.get(c, ''))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


SECTIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("Authorizations", "authorizations",
     ("id", "kind", "authority", "document", "valid_from", "valid_until", "channels", "events"),
     "No authorization records."),
    ("Channels and when they were watched", "channels",
     ("channel", "first", "last", "captures", "watch"), "No channel records."),
    ("Media and matches", "media", ("at", "type", "channel", "message", "details"),
     "No media or match records."),
    ("Alert decisions", "decisions", ("at", "decision", "by", "alert", "note"),
     "No alert decisions."),
    ("Timeline", "timeline", ("seq", "at", "type", "actor", "channel", "message"),
     "No records."),
)


def render_html(s: CaseSummary) -> bytes:
    e = html.escape
    meta = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in s.meta.items())
    counts = ", ".join(f"{e(k)}: {v}" for k, v in s.counts.items())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Evidence export, case {e(s.case)}</title><style>",
        "body{font-family:sans-serif;margin:2em;}table{border-collapse:collapse;margin:1em 0}",
        "td,th{border:1px solid #999;padding:2px 6px;font-size:90%;text-align:left;",
        "vertical-align:top}th{background:#eee}@media print{h2{page-break-before:auto}}",
        "</style></head><body>",
        f"<h1>Evidence export: case {e(s.case)}</h1><table>{meta}</table>",
        f"<p>{s.total} records ({counts}).</p>",
    ]
    for title, attr, columns, empty in SECTIONS:
        rows: list[dict[str, str]] = getattr(s, attr)
        parts.append(f"<h2>{e(title)}</h2>")
        if attr == "timeline" and s.total > len(rows):
            parts.append(f"<p>The first {len(rows)} of {s.total} records; all of them are "
                         "in records.csv and records.jsonl.</p>")
        parts.append(_table(rows, columns, empty))
    steps = "".join(f"<li>{e(step)}</li>" for step in VERIFY_STEPS)
    parts.append(f"<h2>How to verify</h2><ol>{steps}</ol></body></html>\n")
    return "".join(parts).encode("utf-8")
