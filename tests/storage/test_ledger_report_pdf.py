"""Tests for storage.ledger.report_pdf: a real, printable PDF of the case summary."""

from __future__ import annotations

import re

import pytest

from storage.ledger import report_pdf
from storage.ledger.report import summarize
from storage.ledger.report_pdf import render_pdf

RECORDS = [
    {"v": "1", "seq": str(i), "type": "post.captured", "at": "2026-03-04T00:00:00.000000Z",
     "actor": "svc", "channel": "7", "message": str(i), "authorization": "A-1",
     "note": "Привет, мир"} for i in range(150)
]


def test_pdf_is_a_pdf_with_pages() -> None:
    """The output is a PDF document with several pages (150 records)."""
    data = render_pdf(summarize("K-1", RECORDS, {}, {"case": "K-1", "tree_size": "150"}))
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    pages = re.search(rb"/Count (\d+)", data)
    assert pages is not None and int(pages.group(1)) > 1


def test_pdf_without_unicode_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine without DejaVu fonts the core font is used and non-Latin text is
    replaced, never a crash."""
    monkeypatch.setattr(report_pdf, "_FONT_DIRS", ())
    data = render_pdf(summarize("K-1", RECORDS[:3], {}, {"case": "K-1"}))
    assert data.startswith(b"%PDF-") and b"Helvetica" in data
