"""Tests for storage.ledger.report: records.csv and the case summary in HTML."""

from __future__ import annotations

import csv
import io
from typing import Any

from storage.ledger.report import TIMELINE_LIMIT, records_csv, render_html, summarize
from storage.ledger.selection import AuthScope

RECORDS: list[dict[str, Any]] = [
    {"v": "1", "seq": "0", "type": "authorization.granted", "at": "2026-03-02T00:00:00.000000Z",
     "actor": "sup", "case": "K-1", "authorization": "A-1", "kind": "court",
     "authority": "District court <B>", "document": "GS 1/26", "channels": ["7"]},
    {"v": "1", "seq": "1", "type": "watch.active", "at": "2026-03-03T00:00:00.000000Z",
     "actor": "svc", "case": "K-1", "channel": "7"},
    {"v": "1", "seq": "2", "type": "post.captured", "at": "2026-03-04T00:00:00.000000Z",
     "actor": "svc", "channel": "7", "message": "5", "authorization": "A-1",
     "text_sha256": "ab", "text": 'quote " and, comma'},
    {"v": "1", "seq": "3", "type": "match", "at": "2026-03-04T00:00:01.000000Z",
     "actor": "svc", "channel": "7", "message": "5", "bank": "demo"},
    {"v": "1", "seq": "4", "type": "alert.confirmed", "at": "2026-03-05T00:00:00.000000Z",
     "actor": "op1", "case": "K-1", "alert": "3", "note": "confirmed <script>"},
]
SCOPES = {"A-1": AuthScope("A-1", {"7"}, "2026-03-02T00:00:00.000000Z", None, None)}


def test_csv_has_every_record_and_field() -> None:
    """One row per record; main fields in columns, the rest as JSON in `details`."""
    rows = list(csv.DictReader(io.StringIO(records_csv(RECORDS).decode("utf-8-sig"))))
    assert [r["seq"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[2]["channel"] == "7" and rows[2]["message"] == "5"
    assert '"text":"quote \\" and, comma"' in rows[2]["details"]
    assert rows[1]["details"] == ""


def test_summary_sections() -> None:
    """Authorizations, channels, media/matches and decisions come from the records."""
    s = summarize("K-1", RECORDS, SCOPES, {"case": "K-1"})
    assert s.authorizations[0]["document"] == "GS 1/26"
    assert s.authorizations[0]["channels"] == "7"
    assert s.channels[0]["captures"] == "1" and "active" in s.channels[0]["watch"]
    assert [m["type"] for m in s.media] == ["match"]
    assert s.decisions[0]["by"] == "op1" and s.decisions[0]["decision"] == "confirmed"
    assert s.counts["post.captured"] == 1 and s.total == 5


def test_html_escapes_and_cuts_long_timelines() -> None:
    """Record text is escaped in HTML; a long timeline is cut with a pointer to the CSV."""
    page = render_html(summarize("K-1", RECORDS, SCOPES, {"case": "K-1"})).decode()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "District court &lt;B&gt;" in page
    many = [dict(RECORDS[1], seq=str(i)) for i in range(TIMELINE_LIMIT + 5)]
    long_page = render_html(summarize("K-1", many, SCOPES, {})).decode()
    assert f"The first {TIMELINE_LIMIT} of {TIMELINE_LIMIT + 5} records" in long_page
