"""Bad bank files in every format: one line naming the file (and line), the
documented exit status 2, and the bank exactly as it was. Big inputs run as a
real process whose peak memory stays under a stated bound."""

from __future__ import annotations

import json

import pytest
from edges_support import BIG_INPUT_RSS_MB, MD5, PDQ, Workspace, sparse

FRAME = f"0,100,{PDQ},0.000"
DEEP = "[" * 100_000 + "]" * 100_000

#: (name, format or None for auto, content, what the error line says)
REFUSED: list[tuple[str, str | None, str | bytes, str]] = [
    ("csv-bad-hash", None, f"hash_type,hash_value\nmd5,{MD5}\nmd5,xyz\n",
     "line 3: md5 must be 32 hex digits"),
    ("csv-bad-header", None, f"hash_type,hash\nmd5,{MD5}\n", "missing column(s) hash_value"),
    ("csv-unknown-type", None, f"hash_type,hash_value\nphotodna,{MD5}\n",
     "line 2: unknown hash type 'photodna'"),
    ("csv-not-utf8", None, b"hash_type,hash_value\nmd5,caf\xe9\n", "not UTF-8 text (line 2"),
    ("csv-quoted-forever", "csv", 'hash_type,hash_value\nvpdq,"' + ("x" * 1000 + "\n") * 1200,
     "line 2: a field longer than allowed"),
    ("csv-empty", "csv", "", "empty file"),
    ("hma-type", None, f"pdq {PDQ}\nurl https://example.org\n",
     "line 2: unsupported signal type 'url'"),
    ("hma-fields", "hma", f"pdq {PDQ} extra\n", "line 1: expected '<signal_type> <value>'"),
    ("vpdq-order", None, f"{FRAME}\n{FRAME}\n", "line 2: frame number 0 does not increase"),
    ("vpdq-quality", "vpdq", f"0,101,{PDQ},0.0\n", "line 1: quality out of range"),
    ("ncmec-nan", "ncmec", '{"id": NaN, "fingerprints": {"MD5": "' + MD5 + '"}}\n',
     "line 1: invalid JSON: NaN is not a JSON value"),
    ("ncmec-nan-auto", None, '{"id": NaN, "fingerprints": {"MD5": "' + MD5 + '"}}\n',
     "line 1: NaN is not a JSON value"),
    ("ncmec-id-object", None, '{"id": {"a": 1}, "fingerprints": {"MD5": "' + MD5 + '"}}\n',
     "record id must be a string or a whole number"),
    ("ncmec-deep", "ncmec", DEEP, "JSON nested deeper than 32 levels"),
    ("ncmec-deep-auto", None, DEEP, "JSON nested deeper than 32 levels"),
    ("ncmec-deep-record", None,
     '{"id": "N-1", "fingerprints": {"MD5": "' + MD5 + '"}}\n{"id": "N-2", "x": '
     + "[" * 5000 + "]" * 5000 + "}\n",
     "line 2: invalid JSON: JSON nested deeper than 32 levels"),
    ("stopncii-status", None,
     json.dumps([{"signalType": "ImagePDQ", "hashValue": PDQ, "hashStatus": "Maybe"}]),
     "unknown hashStatus 'Maybe'"),
    ("stopncii-unclosed", "stopncii", '[{"signalType": "ImagePDQ", "hashValue": "' + PDQ + '"}',
     "JSON list is not closed"),
    ("tcap-deleted", None,
     json.dumps({"hash_digest": MD5, "algorithm": "MD5", "deleted": "yes"}) + "\n",
     "deleted must be true or false"),
    ("tcap-infinity", "tcap",
     '{"hash_digest": "' + MD5 + '", "algorithm": "MD5", "id": Infinity}\n',
     "Infinity is not a JSON value"),
    ("unknown-format", None, "something else entirely\n", "cannot tell the format"),
]


@pytest.mark.parametrize(("name", "fmt", "content", "says"), REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_bank_file(
    ws: Workspace, name: str, fmt: str | None, content: str | bytes, says: str
) -> None:
    """Refused with one line naming the file and what is wrong; exit 2; nothing changed,
    neither into a new bank nor into an existing one."""
    path = ws.file(name, content)
    before = ws.snapshot()
    for bank in ("new", "base"):
        argv = ["bank", "import", bank, str(path), *(["--format", fmt] if fmt else [])]
        result = ws.cli(*argv)
        assert result.code == 2, result.err
        line = result.error_line()
        assert str(path) in line and says in line, line
    assert ws.snapshot() == before


def test_a_bank_name_of_100000_characters(ws: Workspace) -> None:
    """A name longer than any argument may be, and one longer than a bank name may be."""
    path = ws.file("ok.csv", f"hash_type,hash_value\nmd5,{MD5}\n")
    before = ws.snapshot()
    huge = ws.cli("bank", "import", "n" * 100_000, str(path))
    assert huge.code == 2 and "setting limits.argument_chars" in huge.error_line()
    long = ws.cli("bank", "import", "n" * 129, str(path))
    assert long.code == 2
    assert long.error_line() == (
        "chanwatch: error: bank name: 129 characters; limit 128 characters "
        "(setting limits.name_chars (CHANWATCH_LIMITS__NAME_CHARS))"
    )
    assert ws.snapshot() == before


def test_a_csv_with_an_extra_column_is_accepted(ws: Workspace) -> None:
    """The README says other fields are ignored: so they are."""
    path = ws.file("extra.csv", f"hash_type,hash_value,origin\nmd5,{'1' * 32},feed-7\n")
    result = ws.cli("bank", "import", "extra", str(path))
    assert result.code == 0, result.err
    assert "1 entries (1 new to the bank)" in result.out


def test_a_json_document_over_its_limit(ws: Workspace) -> None:
    """A document is read whole: limits.json_document_bytes (here lowered) bounds it."""
    records = [{"hash_digest": f"{i:032x}", "algorithm": "MD5"} for i in range(200)]
    path = ws.file("tcap.json", json.dumps(records))
    before = ws.snapshot()
    result = ws.cli("bank", "import", "t", str(path),
                    env={"CHANWATCH_LIMITS__JSON_DOCUMENT_BYTES": "4kB"})
    assert result.code == 2
    assert "setting limits.json_document_bytes" in result.error_line()
    assert ws.snapshot() == before


def test_missing_file_and_directory(ws: Workspace) -> None:
    before = ws.snapshot()
    for path in (ws.root / "nope.csv", ws.root):
        result = ws.cli("bank", "import", "b", str(path))
        assert result.code == 2 and f"cannot read bank file {path}" in result.error_line()
    assert ws.snapshot() == before


def test_a_100_mb_line(ws: Workspace) -> None:
    """Not 'field larger than field limit': the file, the line, the limit, the setting;
    the line is never held whole in memory."""
    path = ws.root / "long.csv"
    with path.open("w") as f:
        f.write(f"hash_type,hash_value\nmd5,{MD5}\nvpdq,\"")
        chunk = "x" * (1024 * 1024)
        for _ in range(100):
            f.write(chunk)
        f.write('"\n')
    before = ws.snapshot()
    result = ws.process("bank", "import", "b", str(path))
    assert result.code == 2
    assert result.error_line() == (
        f"chanwatch: error: bank file {path} line 3: a line longer than allowed; limit "
        "1048576 bytes (1.0 MiB) per line (setting limits.line_bytes "
        "(CHANWATCH_LIMITS__LINE_BYTES))"
    )
    assert result.max_rss_mb < BIG_INPUT_RSS_MB, result.max_rss_mb
    assert ws.snapshot() == before


@pytest.mark.parametrize("fmt", ["csv", "hma", "ncmec"])
def test_endless_input(ws: Workspace, fmt: str) -> None:
    """/dev/zero: refused at its first line, quickly and in little memory."""
    result = ws.process("bank", "import", "z", "/dev/zero", "--format", fmt)
    assert result.code == 2
    assert "bank file /dev/zero line 1: a line longer than allowed" in result.error_line()
    assert result.max_rss_mb < BIG_INPUT_RSS_MB, result.max_rss_mb


def test_a_3_gib_file(ws: Workspace) -> None:
    """Refused by its size before a byte is read."""
    path = sparse(ws.root / "huge.jsonl", 3 * 1024**3, b'{"id": "N-1"}\n')
    result = ws.process("bank", "import", "h", str(path))
    assert result.code == 2
    assert result.error_line() == (
        f"chanwatch: error: bank file {path}: 3221225472 bytes (3.0 GiB); limit 1073741824 "
        "bytes (1.0 GiB) (setting limits.bank_file_bytes (CHANWATCH_LIMITS__BANK_FILE_BYTES))"
    )
    assert result.max_rss_mb < BIG_INPUT_RSS_MB, result.max_rss_mb
