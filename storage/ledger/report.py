"""The human side of a bundle: ``records.csv`` and the case summary that
``report.html`` and ``report.pdf`` (:mod:`storage.ledger.report_pdf`) print.

The summary is built only from the exported records themselves, so what a
reader sees in the report is what the proofs cover. Channels are named by
title and @username beside their ids (from the watch records), every capture
is shown with the authorization and the watch that covered it at that moment
(:mod:`storage.ledger.report_basis`), media and matches are tables of their
fields, and rows with nothing to show are left out. Long tables are cut
(:data:`TIMELINE_LIMIT`); every record is always in ``records.csv``.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storage.ledger.report_basis import LegalBasis, legal_basis, text
from storage.ledger.selection import AuthScope

TIMELINE_LIMIT = 2000
_MAIN = ("seq", "at", "type", "actor", "case", "authorization", "channel", "message")
_CAPTURES = ("post.captured", "post.edited", "post.deleted")

VERIFY_STEPS = (
    "Keep the ZIP file unchanged; note its SHA-256 when you receive it.",
    "Get the ledger's verifier key (vkey) from the issuing unit by a separate channel "
    "(letter, phone) and compare it with the key line below.",
    "Run the command below (with the bundle's SHA-256 from the handover record). Any RFC "
    "6962 / C2SP implementation can check the same files: records.jsonl lines are the hashed "
    "bytes, proofs.jsonl the RFC 9162 inclusion proofs, checkpoint.txt the signed tree head, "
    "manifest.sig the signed manifest.",
    "With an earlier bundle of this ledger, add --previous OLD_checkpoint.txt to check "
    "that nothing recorded before it was changed since.",
    "Only the verdict 'VERIFIED' (exit status 0) means every record, proof, file and "
    "signature hold under the key you trust; 1 means something is wrong, 3 that something "
    "could not be checked (no trusted key, or no TSA certificate for the timestamp).",
)


@dataclass
class CaseSummary:
    case: str
    meta: dict[str, str]
    total: int
    counts: dict[str, int]
    authorizations: list[dict[str, str]] = field(default_factory=list)
    watches: list[dict[str, str]] = field(default_factory=list)
    channels: list[dict[str, str]] = field(default_factory=list)
    captures: list[dict[str, str]] = field(default_factory=list)
    media: list[dict[str, str]] = field(default_factory=list)
    matches: list[dict[str, str]] = field(default_factory=list)
    decisions: list[dict[str, str]] = field(default_factory=list)
    timeline: list[dict[str, str]] = field(default_factory=list)
    verify_key: str = ""
    verify_command: str = ""


_SKIP = frozenset((*_MAIN, "v"))


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
            row = [text(v) for v in row]
        rest = {k: v for k, v in rec.items() if k not in skip}
        row.append(dumps(rest) if rest else "")
        rows.append(row)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: spreadsheets then read UTF-8


def _add(rows: list[dict[str, str]], row: dict[str, str], limit: int = TIMELINE_LIMIT) -> None:
    """Append a row unless it has nothing to show (or the table is full)."""
    if len(rows) < limit and any(v for k, v in row.items() if k not in ("at", "type")):
        rows.append(row)


def _media_row(rec: dict[str, Any], basis: LegalBasis, rtype: str) -> dict[str, str]:
    channel = text(rec.get("channel"))
    return {"at": text(rec.get("at")), "type": rtype, "channel": basis.channel_label(channel),
            "message": text(rec.get("message")), "kind": text(rec.get("kind")),
            "bytes": text(rec.get("size")), "status": text(rec.get("status")),
            "sha256": text(rec.get("sha256")), "pdq": text(rec.get("pdq"))}


def _match_row(rec: dict[str, Any], basis: LegalBasis) -> dict[str, str]:
    return {"at": text(rec.get("at")), "channel": basis.channel_label(text(rec.get("channel"))),
            "message": text(rec.get("message")), "alert": text(rec.get("alert")),
            "bank": text(rec.get("bank")), "entry": text(rec.get("bank_entry")),
            "category": text(rec.get("category")), "hash": text(rec.get("hash_type")),
            "distance": text(rec.get("distance"))}


def _verify_lines(meta: dict[str, str], records: list[dict[str, Any]],
                  case: str) -> tuple[str, str]:
    key = meta.get("verifier key", "")
    exports = [r for r in records if r.get("type") == "export"]
    name = text(exports[-1].get("file")) if exports else ""
    command = (f"chanwatch evidence verify {name or 'BUNDLE.zip'} --key '{key or 'VKEY'}' "
               f"--case {case} --sha256 SHA256_FROM_THE_HANDOVER_RECORD")
    return key, command


def summarize(
    case: str, records: list[dict[str, Any]], scopes: dict[str, AuthScope], meta: dict[str, str]
) -> CaseSummary:
    counts = Counter(str(r.get("type")) for r in records)
    summary = CaseSummary(case, meta, len(records), dict(sorted(counts.items())))
    basis = legal_basis(records)
    channels: dict[str, dict[str, str]] = {}
    for rec in records:
        rtype, at = str(rec.get("type")), text(rec.get("at"))
        channel = text(rec.get("channel"))
        if channel and (rtype.startswith(("post.", "media.", "watch.")) or rtype == "match"):
            ch = channels.setdefault(channel, {"channel": channel, "first": at, "last": at,
                                               "captures": "0"})
            ch["first"], ch["last"] = min(ch["first"], at), max(ch["last"], at)
            if rtype in _CAPTURES:
                ch["captures"] = str(int(ch["captures"]) + 1)
        if rtype in _CAPTURES:
            _add(summary.captures, {
                "at": at, "type": rtype.split(".", 1)[1],
                "channel": basis.channel_label(channel), "message": text(rec.get("message")),
                "authorization": basis.authorization_label(text(rec.get("authorization"))),
                "watch": basis.watch_label(channel, at)})
        elif rtype in ("media.hashed", "media.seen"):
            _add(summary.media, _media_row(rec, basis, rtype.split(".", 1)[1]))
        elif rtype == "match":
            _add(summary.matches, _match_row(rec, basis))
        elif rtype.startswith("alert."):
            _add(summary.decisions, {"at": at, "decision": rtype.split(".", 1)[1],
                                     "by": text(rec.get("actor")), "alert": text(rec.get("alert")),
                                     "note": text(rec.get("note") or rec.get("why"))})
        _add(summary.timeline, {"seq": text(rec.get("seq")), "at": at, "type": rtype,
                                "actor": text(rec.get("actor")),
                                "channel": basis.channel_label(channel),
                                "message": text(rec.get("message"))})
    for auth_id, scope in sorted(scopes.items()):
        info = basis.authorizations.setdefault(auth_id, {"id": auth_id})
        info["channels"] = ", ".join(sorted(scope.channels))
        info.setdefault("valid_from", scope.valid_from or "")
        info.setdefault("valid_until", scope.valid_until or "")
    for auth_id, info in sorted(basis.authorizations.items()):
        info["events"] = "; ".join(basis.auth_events.get(auth_id, []))
        summary.authorizations.append(info)
    for watch in sorted(basis.watches.values(), key=lambda w: int(w.id) if w.id.isdigit() else 0):
        summary.watches.append({
            "watch": f"#{watch.id}", "target": watch.target,
            "channel": basis.channel_label(watch.channel),
            "request": f"#{watch.request}" if watch.request else "",
            "states": "; ".join(f"{state} {at}" for at, state in watch.states)})
    for ch in (channels[k] for k in sorted(channels)):
        ch["channel"] = basis.channel_label(ch["channel"])
        summary.channels.append(ch)
    summary.verify_key, summary.verify_command = _verify_lines(meta, records, case)
    return summary


SECTIONS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("Authorizations", "authorizations",
     ("id", "kind", "authority", "document", "valid_from", "valid_until", "channels", "events"),
     "No authorization records."),
    ("Watches", "watches", ("watch", "target", "channel", "request", "states"),
     "No watch records."),
    ("Channels", "channels", ("channel", "first", "last", "captures"), "No channel records."),
    ("Captures and their legal basis", "captures",
     ("at", "type", "channel", "message", "authorization", "watch"), "No captures."),
    ("Media", "media",
     ("at", "type", "channel", "message", "kind", "bytes", "status", "sha256", "pdq"),
     "No media records."),
    ("Matches", "matches",
     ("at", "channel", "message", "alert", "bank", "entry", "category", "hash", "distance"),
     "No matches."),
    ("Alert decisions", "decisions", ("at", "decision", "by", "alert", "note"),
     "No alert decisions."),
    ("Timeline", "timeline", ("seq", "at", "type", "actor", "channel", "message"),
     "No records."),
)


def _table(rows: list[dict[str, str]], columns: tuple[str, ...], empty: str) -> str:
    if not rows:
        return f"<p class='empty'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(r.get(c, ''))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cut_note(s: CaseSummary, attr: str, shown: int) -> str:
    """What a cut table says (empty when nothing was cut)."""
    whole = {"timeline": s.total, "captures": sum(s.counts.get(t, 0) for t in _CAPTURES)}
    if attr in whole and whole[attr] > shown and shown >= TIMELINE_LIMIT:
        return (f"The first {shown} of {whole[attr]} records; all of them are in records.csv "
                "and records.jsonl.")
    return ""


def render_html(s: CaseSummary) -> bytes:
    e = html.escape
    meta = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in s.meta.items() if v)
    counts = ", ".join(f"{e(k)}: {v}" for k, v in s.counts.items())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Evidence export, case {e(s.case)}</title><style>",
        "body{font-family:sans-serif;margin:2em;}table{border-collapse:collapse;margin:1em 0}",
        "td,th{border:1px solid #999;padding:2px 6px;font-size:90%;text-align:left;",
        "vertical-align:top;overflow-wrap:anywhere}th{background:#eee}",
        "code{overflow-wrap:anywhere}@media print{h2{page-break-before:auto}}",
        "</style></head><body>",
        f"<h1>Evidence export: case {e(s.case)}</h1><table>{meta}</table>",
        f"<p>{s.total} records ({counts}).</p>",
    ]
    for title, attr, columns, empty in SECTIONS:
        rows: list[dict[str, str]] = getattr(s, attr)
        parts.append(f"<h2>{e(title)}</h2>")
        note = cut_note(s, attr, len(rows))
        if note:
            parts.append(f"<p>{e(note)}</p>")
        parts.append(_table(rows, columns, empty))
    steps = "".join(f"<li>{e(step)}</li>" for step in VERIFY_STEPS)
    parts.append(f"<h2>How to verify</h2><ol>{steps}</ol>"
                 f"<p>Verifier key:</p><p><code>{e(s.verify_key)}</code></p>"
                 f"<p>Command:</p><p><code>{e(s.verify_command)}</code></p></body></html>\n")
    return "".join(parts).encode("utf-8")
