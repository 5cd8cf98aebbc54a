"""handlers.banks.reader: bank files read from disk, streamed, within limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handlers.banks.parse import UnknownFormatError, parse_bank
from handlers.banks.reader import BankLimits, read_bank
from storage.errors import InvalidInput, LimitExceeded

DATA = Path(__file__).resolve().parent / "data" / "banks"
MD5 = "5d41402abc4b2a76b9719d911017c592"
PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
SMALL = BankLimits(file_bytes=64 * 1024, json_document_bytes=16 * 1024, line_bytes=1024,
                   json_depth=8)


@pytest.mark.parametrize("path", sorted(DATA.iterdir()), ids=lambda p: p.name)
def test_streamed_equals_in_memory(path: Path) -> None:
    """Every test bank file (each format, good and broken) reads from disk exactly as
    parse_bank reads its bytes: same format, entries, withdrawals and errors."""
    streamed = read_bank(path)
    whole = parse_bank(path.read_bytes())
    assert streamed.format == whole.format
    assert streamed.entries == whole.entries
    assert streamed.withdrawals == whole.withdrawals
    assert streamed.errors == whole.errors


def test_a_long_line_is_refused_with_file_line_limit_and_setting(tmp_path: Path) -> None:
    """A line over limits.line_bytes stops the file: one message naming it all."""
    bank = tmp_path / "long.csv"
    bank.write_text(f"hash_type,hash_value\nmd5,{MD5}\nmd5,{'a' * 5000}\n")
    with pytest.raises(LimitExceeded) as info:
        read_bank(bank, limits=SMALL)
    assert str(info.value) == (
        f"bank file {bank} line 3: a line longer than allowed; limit 1024 bytes (1.0 KiB) per line "
        "(setting limits.line_bytes (CHANWATCH_LIMITS__LINE_BYTES))"
    )


def test_a_quoted_field_over_many_lines_is_bounded(tmp_path: Path) -> None:
    """CSV's quoted field spanning lines cannot grow past the line limit either."""
    bank = tmp_path / "quoted.csv"
    bank.write_text('hash_type,hash_value\nvpdq,"' + "x" * 500 + "\n" + "x" * 900 + '"\n')
    with pytest.raises(LimitExceeded, match=r"line 2: a field longer than allowed"):
        read_bank(bank, limits=SMALL)


def test_a_big_file_is_refused_before_reading(tmp_path: Path) -> None:
    """A regular file over limits.bank_file_bytes is refused by its size (sparse here)."""
    bank = tmp_path / "big.csv"
    with bank.open("wb") as f:
        f.truncate(3 * 1024**3)
    with pytest.raises(LimitExceeded) as info:
        read_bank(bank)
    assert "3221225472 bytes (3.0 GiB)" in str(info.value)
    assert "setting limits.bank_file_bytes" in str(info.value)


def test_endless_input_stops_at_the_line_limit() -> None:
    """/dev/zero never ends and has no line break: refused at the first line."""
    with pytest.raises(LimitExceeded, match="bank file /dev/zero line 1"):
        read_bank(Path("/dev/zero"), limits=SMALL)


def test_json_lines_are_streamed_and_json_documents_bounded(tmp_path: Path) -> None:
    """JSON Lines: each line within the line limit; a document (read whole): within
    limits.json_document_bytes, even when minified on one long line."""
    records = [{"id": f"N-{i}", "fingerprints": {"MD5": f"{i:032x}"}} for i in range(300)]
    lines = tmp_path / "n.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert len(read_bank(lines, limits=SMALL).entries) == 300  # 20 kB, lines of 70 B
    small_doc = tmp_path / "doc.json"
    small_doc.write_text(json.dumps({"records": records[:100]}))  # one line of 7 kB
    assert len(read_bank(small_doc, limits=SMALL).entries) == 100
    big_doc = tmp_path / "big.json"
    big_doc.write_text(json.dumps(records))
    with pytest.raises(LimitExceeded, match=r"setting limits\.json_document_bytes"):
        read_bank(big_doc, limits=SMALL)
    lines.write_text(json.dumps(records[0]) + "\n" + json.dumps({"id": "x" * 2000}) + "\n")
    with pytest.raises(LimitExceeded, match=rf"bank file {lines} line 2: a line longer"):
        read_bank(lines, limits=SMALL)


def test_deep_json_is_an_error_not_a_recursion(tmp_path: Path) -> None:
    """Nesting past limits.json_depth is named, whether the record is a line of JSON
    Lines or the document is deeper than Python could parse."""
    deep_line = tmp_path / "deep.jsonl"
    deep_line.write_text(
        json.dumps({"id": "N-1", "fingerprints": {"MD5": MD5}}) + "\n"
        + '{"id": "N-2", "x": ' + "[" * 20 + "]" * 20 + "}\n"
    )
    result = read_bank(deep_line, "ncmec", limits=SMALL)
    assert [str(e) for e in result.errors] == [
        "line 2: invalid JSON: JSON nested deeper than 8 levels; limit 8 "
        "(setting limits.json_depth (CHANWATCH_LIMITS__JSON_DEPTH))"
    ]
    abyss = tmp_path / "abyss.json"
    abyss.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(UnknownFormatError, match="nested deeper than 32 levels"):
        read_bank(abyss)
    result = read_bank(abyss, "tcap")
    assert "nested deeper than 32 levels" in str(result.errors[0])


def test_nan_and_odd_ids_are_refused(tmp_path: Path) -> None:
    """NaN is not JSON; an NCMEC id is a string or a whole number."""
    bank = tmp_path / "ids.jsonl"
    rows = [
        '{"id": NaN, "fingerprints": {"MD5": "' + MD5 + '"}}',
        '{"id": 1.5, "fingerprints": {"MD5": "' + MD5 + '"}}',
        '{"id": true, "fingerprints": {"MD5": "' + MD5 + '"}}',
        '{"id": 7, "fingerprints": {"PDQ": "' + PDQ + '"}}',
    ]
    bank.write_text("\n".join(rows) + "\n")
    result = read_bank(bank, "ncmec")
    assert [e.line for e in result.errors] == [1, 2, 3]
    assert "NaN is not a JSON value" in result.errors[0].message
    assert "must be a string or a whole number" in result.errors[1].message
    assert [(e.hash_type, e.source_ref) for e in result.entries] == [("pdq", "7")]
    with pytest.raises(UnknownFormatError, match="line 1: NaN"):
        read_bank(bank)


def test_csv_extra_columns_are_ignored(tmp_path: Path) -> None:
    """The README says other fields are ignored: an extra column is, in any place."""
    bank = tmp_path / "extra.csv"
    bank.write_text(f"source_system,hash_type,comment,hash_value\nx,md5,hello,{MD5}\n")
    result = read_bank(bank)
    assert result.ok and [(e.hash_type, e.hash_value) for e in result.entries] == [("md5", MD5)]
    missing = tmp_path / "missing.csv"
    missing.write_text(f"hash_type,comment\nmd5,{MD5}\n")
    assert "missing column(s) hash_value" in str(read_bank(missing).errors[0])


def test_unreadable_and_undecodable_files(tmp_path: Path) -> None:
    """A missing file, a directory, and bytes that are not UTF-8 (with their line)."""
    with pytest.raises(InvalidInput, match=r"cannot read bank file .*nope\.csv: No such file"):
        read_bank(tmp_path / "nope.csv")
    with pytest.raises(InvalidInput, match="Is a directory"):
        read_bank(tmp_path)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"# ok\npdq " + PDQ.encode() + b"\n# caf\xe9\n")
    with pytest.raises(UnknownFormatError, match=r"not UTF-8 text \(line 3, byte 6\)"):
        read_bank(latin)
