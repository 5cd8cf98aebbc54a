"""parse_bank: format detection, dispatch and whole-file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.banks.model import BankFormatError, normalize_hash
from handlers.banks.parse import UnknownFormatError, detect_format, parse_bank

DATA = Path(__file__).resolve().parent / "data" / "banks"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("v1.csv", "csv"),
        ("signals.txt", "hma"),
        ("video.vpdq", "vpdq"),
        ("ncmec-v1.jsonl", "ncmec"),
        ("ncmec-broken.json", "ncmec"),
        ("stopncii.json", "stopncii"),
        ("tcap.jsonl", "tcap"),
    ],
)
def test_detects_every_format(name: str, fmt: str) -> None:
    """Each test file's format is detected from its content."""
    assert detect_format((DATA / name).read_text()) == fmt
    assert parse_bank((DATA / name).read_bytes()).format == fmt


def test_explicit_format_and_bom() -> None:
    """An explicit format is used as given; a UTF-8 BOM is ignored."""
    data = b"\xef\xbb\xbf" + (DATA / "v1.csv").read_bytes()
    assert len(parse_bank(data, "csv").entries) == 3
    assert parse_bank(data).format == "csv"


def test_unknown_and_undecodable_files() -> None:
    """Unknown content, unknown format names and non-UTF-8 bytes raise clear errors."""
    with pytest.raises(UnknownFormatError, match="cannot tell the format"):
        parse_bank(b"something else entirely\n")
    with pytest.raises(UnknownFormatError, match="empty file"):
        parse_bank(b"\n# nothing\n")
    with pytest.raises(UnknownFormatError, match="unknown format 'xml'"):
        parse_bank(b"pdq " + b"0" * 64, "xml")
    with pytest.raises(UnknownFormatError, match="not UTF-8"):
        parse_bank(b"\xff\xfe\x00garbage")
    with pytest.raises(UnknownFormatError, match="unknown kind"):
        parse_bank(b'[{"foo": 1}]')


def test_raise_for_errors_lists_lines() -> None:
    """raise_for_errors summarises every invalid line (capped) in one message."""
    result = parse_bank((DATA / "broken.csv").read_bytes())
    with pytest.raises(BankFormatError) as info:
        result.raise_for_errors(limit=2)
    message = str(info.value)
    assert message.startswith("3 invalid line(s): line 3: ")
    assert "line 4:" in message and "(and 1 more)" in message
    assert len(info.value.errors) == 3
    parse_bank((DATA / "v1.csv").read_bytes()).raise_for_errors()


def test_normalize_hash() -> None:
    """Hashes are lower-cased and length-checked; vPDQ values are re-encoded canonically."""
    assert normalize_hash(" MD5 ", "5D41402ABC4B2A76B9719D911017C592") == (
        "md5",
        "5d41402abc4b2a76b9719d911017c592",
    )
    assert normalize_hash("vpdq", "0,100," + "AB" * 32 + ",0") == (
        "vpdq",
        "0,100," + "ab" * 32 + ",0.000",
    )
    with pytest.raises(ValueError, match="sha1 must be 40 hex digits"):
        normalize_hash("sha1", "abc")
    with pytest.raises(ValueError, match="empty vpdq"):
        normalize_hash("vpdq", " ")


async def test_parse_bank_async() -> None:
    """The async wrapper parses in a thread and returns the same result."""
    from handlers.banks.parse import parse_bank_async

    data = (DATA / "tcap.jsonl").read_bytes()
    result = await parse_bank_async(data, category="x")
    assert result.entries == parse_bank(data, category="x").entries
