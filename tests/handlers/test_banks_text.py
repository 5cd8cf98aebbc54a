"""Line formats: chanwatch CSV, HMA signal text, vPDQ hash files."""

from __future__ import annotations

from pathlib import Path

from handlers.banks.text import parse_csv, parse_hma, parse_vpdq_file
from handlers.hashing.vpdq import decode_frames

DATA = Path(__file__).resolve().parent / "data" / "banks"
P1 = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"


def _errors(result: object) -> list[str]:
    return [str(e) for e in result.errors]  # type: ignore[attr-defined]


def test_csv_valid() -> None:
    """A valid CSV gives one entry per row with category (lower-cased), source_ref and note."""
    result = parse_csv((DATA / "v1.csv").read_text())
    assert result.ok and result.records == 3
    first, second, third = result.entries
    assert (first.hash_type, first.hash_value, first.category) == ("pdq", P1, "csam")
    assert (first.source_ref, first.note) == ("case-1", "bridge original")
    assert second.hash_type == "md5" and second.note is None
    assert third.hash_type == "sha256" and third.category is None


def test_csv_broken_lines_have_numbers() -> None:
    """Invalid rows are reported with their line numbers; valid rows still parse."""
    result = parse_csv((DATA / "broken.csv").read_text())
    assert _errors(result) == [
        "line 3: pdq must be 64 hex digits, got 'not-hex'",
        "line 4: unknown hash type 'crc32' (expected one of sha256, sha1, md5, pdq, vpdq)",
        "line 5: expected 3 fields, got 2",
    ]
    assert [e.hash_type for e in result.entries] == ["pdq", "md5"]


def test_csv_header_errors_and_defaults() -> None:
    """A bad header is one error on its line; the default category fills empty cells;
    repeated hashes are kept once and counted; blank lines are skipped."""
    bad = parse_csv("hash,value\npdq," + P1 + "\n")
    assert len(bad.errors) == 1 and bad.errors[0].line == 1
    assert "missing column(s) hash_type, hash_value" in bad.errors[0].message
    assert "unknown column(s) hash, value" in bad.errors[0].message
    assert parse_csv("").errors[0].message.startswith("empty file")
    text = f"hash_value,hash_type\n\n{P1},PDQ\n{P1.upper()},pdq\n"
    ok = parse_csv(text, category="ncii")
    assert ok.ok and len(ok.entries) == 1 and ok.duplicates == 1
    assert ok.entries[0].category == "ncii"


def test_csv_quoted_multiline_field_keeps_line_numbers() -> None:
    """A quoted note spanning lines does not shift later line numbers."""
    text = f'hash_type,hash_value,note\npdq,{P1},"two\nlines"\nmd5,zz,x\nmd5,yy,"a\nb"\n'
    result = parse_csv(text)
    assert len(result.entries) == 1
    assert [e.line for e in result.errors] == [4, 5]


def test_hma_valid_and_broken() -> None:
    """HMA text maps signal types (video_md5 -> md5); bad lines carry line numbers."""
    good = parse_hma((DATA / "signals.txt").read_text(), category="CSAM", source_ref="hma.txt")
    assert good.ok
    assert [e.hash_type for e in good.entries] == ["pdq", "md5", "md5"]
    assert {e.category for e in good.entries} == {"csam"}
    assert {e.source_ref for e in good.entries} == {"hma.txt"}
    bad = parse_hma((DATA / "signals-broken.txt").read_text())
    assert [e.line for e in bad.errors] == [2, 3, 4]
    assert "unsupported signal type 'url'" in bad.errors[0].message


def test_vpdq_file_valid() -> None:
    """A vPDQ file becomes one vpdq entry holding all its frames (low quality kept)."""
    result = parse_vpdq_file((DATA / "video.vpdq").read_text(), source_ref="video.vpdq")
    assert result.ok and len(result.entries) == 1
    entry = result.entries[0]
    assert entry.hash_type == "vpdq" and entry.source_ref == "video.vpdq"
    frames = decode_frames(entry.hash_value)
    assert [(f.frame, f.quality, f.timestamp) for f in frames] == [
        (0, 100, 0.0),
        (30, 100, 1.0),
        (60, 45, 2.0),
    ]


def test_vpdq_file_broken() -> None:
    """Bad quality, a frame number going back and a missing field are errors by line."""
    result = parse_vpdq_file((DATA / "video-broken.vpdq").read_text())
    assert _errors(result) == [
        "line 2: quality out of range 0..100: 101",
        "line 3: frame number 0 does not increase",
        "line 4: expected 4 fields frame,quality,hex,timestamp, got 3",
    ]
    assert len(decode_frames(result.entries[0].hash_value)) == 1
    assert _errors(parse_vpdq_file("# only a comment\n")) == ["line 1: no frames in vPDQ file"]
