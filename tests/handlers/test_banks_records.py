"""JSON record formats: NCMEC-, StopNCII- and TCAP-style, with withdrawals."""

from __future__ import annotations

from pathlib import Path

from handlers.banks.records import iter_records, parse_ncmec, parse_stopncii, parse_tcap

DATA = Path(__file__).resolve().parent / "data" / "banks"
P1 = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
P2 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
M1 = "5d41402abc4b2a76b9719d911017c592"
M2 = "7d793037a0760186574b0282f2f435e7"


def test_ncmec_valid() -> None:
    """Each MD5/SHA1/PDQ fingerprint becomes an entry with id, classification, csam category;
    PhotoDNA is counted as skipped, not an error."""
    result = parse_ncmec((DATA / "ncmec-v1.jsonl").read_text())
    assert result.ok and result.records == 2 and result.skipped == 1
    assert [(e.hash_type, e.source_ref) for e in result.entries] == [
        ("md5", "N-1"),
        ("sha1", "N-1"),
        ("pdq", "N-1"),
        ("md5", "N-2"),
    ]
    assert {e.category for e in result.entries} == {"csam"}
    assert result.entries[0].note == "classification=A1"


def test_ncmec_tombstone_is_a_withdrawal() -> None:
    """A tombstone withdraws every entry of that id; other records are entries."""
    result = parse_ncmec((DATA / "ncmec-v2.jsonl").read_text())
    assert result.ok
    [w] = result.withdrawals
    assert (w.line, w.reason, w.source_ref, w.hash_value) == (1, "tombstone", "N-1", None)
    assert [(e.source_ref, e.hash_value) for e in result.entries] == [("N-2", M2), ("N-3", P2)]


def test_ncmec_broken_json_list_has_line_numbers() -> None:
    """In a JSON list, each bad record's error names the line the record starts on."""
    result = parse_ncmec((DATA / "ncmec-broken.json").read_text())
    assert [str(e) for e in result.errors] == [
        "line 3: record has no id",
        "line 4: pdq must be 64 hex digits, got 'xyz'",
        "line 5: record is not a JSON object",
    ]
    assert [e.source_ref for e in result.entries] == ["N-1"]


def test_ncmec_document_errors() -> None:
    """An unclosed or invalid JSON list is one error with a line; missing fingerprints too."""
    unclosed = parse_ncmec('[\n{"id": "1", "fingerprints": {"MD5": "' + M1 + '"}}\n')
    assert unclosed.errors[0].message == "JSON list is not closed"
    invalid = parse_ncmec('[\n{"id": 1,,}\n]')
    assert invalid.errors[0].line == 2 and "invalid JSON" in invalid.errors[0].message
    empty = parse_ncmec('{"id": "7", "fingerprints": {}}')
    assert str(empty.errors[0]) == "line 1: record 7: no fingerprints"


def test_stopncii_statuses() -> None:
    """Active hashes are entries (ncii); Withdrawn and Deleted are withdrawals by hash;
    an unsupported signal type is an error with its record number."""
    result = parse_stopncii((DATA / "stopncii.json").read_text())
    assert [(e.hash_type, e.hash_value, e.source_ref, e.category) for e in result.entries] == [
        ("pdq", P1, "s-1", "ncii")
    ]
    assert [(w.reason, w.hash_type, w.hash_value) for w in result.withdrawals] == [
        ("withdrawn", "md5", M2),
        ("deleted", "pdq", P2),
    ]
    assert [str(e) for e in result.errors] == [
        "record 4: unsupported signalType 'VideoTMK' (ImagePDQ, VideoMD5)"
    ]
    odd = parse_stopncii('{"signalType": "ImagePDQ", "hashValue": "' + P1 + '", "hashStatus": "X"}')
    assert "unknown hashStatus" in odd.errors[0].message


def test_tcap_records() -> None:
    """TCAP: entries (terror), deleted -> withdrawal, bad flags/algorithms/JSON by line."""
    result = parse_tcap((DATA / "tcap.jsonl").read_text(), category=None)
    assert [(e.hash_type, e.source_ref, e.category) for e in result.entries] == [
        ("sha256", "11", "terror"),
        ("pdq", "13", "terror"),
    ]
    assert [(w.line, w.hash_value) for w in result.withdrawals] == [(2, M1)]
    assert [e.line for e in result.errors] == [4, 5, 6]
    assert "deleted must be true or false" in result.errors[0].message


def test_category_argument_overrides_format_default() -> None:
    """A category given by the importer replaces the format's default."""
    result = parse_tcap('{"hash_digest": "' + M1 + '", "algorithm": "md5"}', category="extremism")
    assert result.entries[0].category == "extremism"


def test_iter_records_variants() -> None:
    """Records come from JSON Lines, a list, or a wrapped list (record numbers, no lines)."""
    assert [(line, n) for line, n, _ in iter_records('{"a": 1}\n\n{"a": 2}\n')] == [(1, 1), (3, 2)]
    assert [(line, n) for line, n, _ in iter_records('[{"a": 1},\n {"a": 2}]')] == [(1, 1), (2, 2)]
    wrapped = list(iter_records('{"records": [{"a": 1}, {"a": 2}]}'))
    assert [(line, n) for line, n, _ in wrapped] == [(None, 1), (None, 2)]
