"""Tests for storage.ledger.report: records.csv and the case summary in HTML and PDF
(the PDF read back as text): channels named, each capture beside its authorization
and watch, media and matches as tables, the full key line and the exact command."""

from __future__ import annotations

import csv
import io
from typing import Any

from pypdf import PdfReader

from storage.ledger.report import TIMELINE_LIMIT, records_csv, render_html, summarize
from storage.ledger.report_pdf import render_pdf
from storage.ledger.selection import AuthScope

VKEY = "police.example/unit-7/chanwatch+1a2b3c4d+AU7k2Zb1Xq0m9yZ4cYvQZbkJ3bU9oQyq8b2Wm3Yq0fA"


def rec(seq: int, rtype: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"v": "1", "seq": str(seq), "type": rtype, "at": f"2026-03-{at}.000000Z",
            "actor": fields.pop("actor", "svc"), **fields}


SHA = "ab" * 32
RECORDS: list[dict[str, Any]] = [
    rec(0, "authorization.create", "02T09:00:00", actor="ivan", case="K-1", authorization="7",
        kind="court", authority="District court <B>", document="GS 1/26",
        valid_from="2026-03-02T00:00:00.000000Z", valid_until="2026-05-31T00:00:00.000000Z",
        channels=["@alpha_news"]),
    rec(1, "request.create", "02T09:10:00", actor="ivan", case="K-1", request="3",
        after={"target": "@alpha_news", "state": "requested"}),
    rec(2, "watch.create", "02T09:20:00", actor="sam", case="K-1", watch="5",
        after={"target": "@alpha_news", "state": "approved", "request": "3"}),
    rec(3, "request.activate", "02T09:20:00", actor="sam", case="K-1", request="3", watch="5",
        after={"watch": "5", "case": "K-1"}),
    rec(4, "watch.update", "02T09:30:00", watch="5", channel="1001",
        channel_title="Alpha News", channel_username="alpha_news",
        before={"target": "@alpha_news", "state": "joining"},
        after={"target": "@alpha_news", "state": "active", "channel_id": "1001"}),
    rec(5, "post.captured", "03T10:00:00", case="K-1", authorization="7", channel="1001",
        message="41", text_sha256="cd" * 32),
    rec(6, "media.hashed", "03T10:00:01", case="K-1", authorization="7", channel="1001",
        message="41", kind="photo", size="52311", status="hashed", sha256=SHA, pdq="ef" * 32),
    rec(7, "match", "03T10:00:02", case="K-1", authorization="7", channel="1001", message="41",
        alert="9", bank="ncmec", bank_entry="12", category="A1", hash_type="pdq",
        distance="4"),
    rec(8, "alert.confirmed", "04T08:00:00", actor="otto", case="K-1", authorization="7",
        alert="9", why="confirmed <script>"),
    rec(9, "watch.expired", "20T00:00:00", watch="5", before={"state": "active"},
        after={"state": "expired"}),
    rec(10, "post.deleted", "21T00:00:00", case="K-1", authorization="7", channel="1001",
        message="40"),
    rec(11, "export", "22T00:00:00", actor="sam", case="K-1", file="K-1.zip", records="11"),
]
SCOPES = {"7": AuthScope("7", {"@alpha_news"}, "2026-03-02T00:00:00.000000Z", None, None)}
META = {"case": "K-1", "from": "", "verifier key": VKEY}


def test_csv_has_every_record_and_field() -> None:
    """One row per record; main fields in columns, the rest as JSON in `details`."""
    rows = list(csv.DictReader(io.StringIO(records_csv(RECORDS).decode("utf-8-sig"))))
    assert [r["seq"] for r in rows] == [str(i) for i in range(12)]
    assert rows[5]["channel"] == "1001" and rows[5]["message"] == "41"
    assert '"text_sha256":"' + "cd" * 32 + '"' in rows[5]["details"]


def test_captures_stand_beside_their_legal_basis() -> None:
    """Each capture row names its authorization (kind, authority, document, validity) and
    the watch that covered it at that moment; after the watch ended, no watch."""
    s = summarize("K-1", RECORDS, SCOPES, META)
    captured, deleted = s.captures
    assert captured["channel"] == "Alpha News (@alpha_news, 1001)"
    assert captured["authorization"] == ("#7 court, District court <B>, GS 1/26, valid "
                                         "2026-03-02T00:00:00.000000Z to "
                                         "2026-05-31T00:00:00.000000Z")
    assert captured["watch"] == "#5 @alpha_news, active since 2026-03-02T09:30:00.000000Z"
    assert deleted["type"] == "deleted" and deleted["watch"] == ""
    [watch] = s.watches
    assert watch["request"] == "#3" and watch["channel"] == "Alpha News (@alpha_news, 1001)"
    assert watch["states"].split("; ")[-1] == "expired 2026-03-20T00:00:00.000000Z"
    assert s.authorizations[0]["channels"] == "@alpha_news"
    assert "create 2026-03-02T09:00:00.000000Z" in s.authorizations[0]["events"]


def test_media_and_matches_are_tables_and_empty_rows_are_left_out() -> None:
    """Media and matches have a column per field, no JSON; meta rows without a value and
    rows without anything to show are not printed."""
    s = summarize("K-1", [*RECORDS, rec(12, "media.seen", "23T00:00:00")], SCOPES, META)
    [media] = s.media
    assert (media["kind"], media["bytes"], media["sha256"]) == ("photo", "52311", SHA)
    [match] = s.matches
    assert (match["bank"], match["entry"], match["hash"], match["distance"], match["alert"]) == (
        "ncmec", "12", "pdq", "4", "9")
    page = render_html(s).decode()
    assert "<th>from</th>" not in page and "{" not in page.split("<body>", 1)[1]
    assert s.decisions[0]["note"] == "confirmed <script>"
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_html_and_pdf_print_the_key_and_the_command() -> None:
    """Both renderings carry the full key line, the exact verify command, the channel's
    title, the legal basis of a capture and the match's bank (PDF read back as text)."""
    s = summarize("K-1", RECORDS, SCOPES, META)
    assert s.verify_command == (f"chanwatch evidence verify K-1.zip --key '{VKEY}' --case K-1 "
                                "--sha256 SHA256_FROM_THE_HANDOVER_RECORD")
    page = render_html(s).decode()
    for needed in (VKEY, "chanwatch evidence verify K-1.zip --key &#x27;" + VKEY,
                   "Alpha News (@alpha_news, 1001)", "#5 @alpha_news, active since",
                   "Captures and their legal basis", "ncmec", SHA):
        assert needed in page, needed
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(s))).pages)
    for needed in ("Verifier key: " + VKEY, "Alpha News (@alpha_news, 1001)",
                   "#5 @alpha_news, active since", "District court <B>", "ncmec",
                   "Captures and their legal basis", "GS 1/26"):
        assert needed in text, needed
    unwrapped = "".join(text.split())  # the command is longer than a line
    assert "Command:" + "".join(s.verify_command.split()) in unwrapped


def test_long_tables_are_cut() -> None:
    """A long timeline is cut with a pointer to the CSV."""
    many = [rec(i, "login", "05T00:00:00", actor="op") for i in range(TIMELINE_LIMIT + 5)]
    page = render_html(summarize("K-1", many, SCOPES, {})).decode()
    assert f"The first {TIMELINE_LIMIT} of {TIMELINE_LIMIT + 5} records" in page
