"""`chanwatch hash FILE...` (monitor/cli/hash_cmd.py): JSON lines from hash_media."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from handlers.hashing import hash_media
from monitor.cli import main

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "pdq"
ORIGINAL = TESTDATA / "bridge-mods" / "aaa-orig.jpg"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A clean CHANWATCH_* environment with a throw-away database path."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(tmp_path / "cw.db"))


def run(*argv: str) -> tuple[int, list[dict[str, object]], str]:
    """Run chanwatch in-process; parse stdout as JSON lines."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_image_and_text_file(tmp_path: Path) -> None:
    """An image gets its PDQ as hash_media computes it; a text file gets null PDQ."""
    text = tmp_path / "note.txt"
    text.write_bytes(b"hello")
    code, lines, err = run("hash", str(ORIGINAL), str(text))
    assert code == 0, err
    image, note = lines
    expected = hash_media(ORIGINAL.read_bytes(), "document")
    assert image["file"] == str(ORIGINAL)
    assert image["sha256"] == expected.sha256 and image["md5"] == expected.md5
    assert image["pdq"] == expected.pdq and image["pdq_quality"] == expected.pdq_quality
    assert image["status"] == "hashed" and image["media_type"] == "image"
    assert note["sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert note["pdq"] is None and note["pdq_quality"] is None


def test_dihedral_and_broken_image(tmp_path: Path) -> None:
    """--dihedral adds 8 variants; a truncated JPEG is reported with a reason, exit 0."""
    broken = tmp_path / "cut.jpg"
    broken.write_bytes(ORIGINAL.read_bytes()[:20000])
    code, lines, _ = run("hash", "--dihedral", str(ORIGINAL), str(broken))
    assert code == 0
    assert len(lines[0]["pdq_dihedral"]) == 8  # type: ignore[arg-type]
    assert lines[1]["status"] == "undecodable"
    assert "truncated" in str(lines[1]["reason"])


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    """A file that cannot be read is one error line on stderr; others still print."""
    code, lines, err = run("hash", str(tmp_path / "nope.jpg"), str(ORIGINAL))
    assert code == 2
    assert len(lines) == 1
    assert "nope.jpg" in err and err.count("\n") == 1
