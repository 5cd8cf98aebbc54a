"""``chanwatch evidence verify`` as a court runs it, in its own process, on hostile
bundles made in the test: ZIP bombs declaring 1.5 GB (in the ZIP header, in the
deflate stream, in a forger's own manifest), deep JSON, an over-size bundle and an
encrypted member. Each gives one line, ``NOT VERIFIED: <reason>``, exit status 1,
and the process's peak memory (``getrusage`` of the child) stays under 512 MB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_support import (
    Member,
    bomb,
    deep_json,
    export_small_case,
    forge,
    member,
    members_of,
    write_zip,
)

from storage.ledger.bundle import manifest_note_text
from storage.ledger.note import Signer

ORIGIN = "court.test/ledger"
REPO = Path(__file__).resolve().parents[2]
PEAK_LIMIT_KB = 512 * 1024
GIB_AND_A_HALF = 1536  # MiB

#: Runs the real CLI as a child and reports its exit status, output and peak RSS.
MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": done.returncode, "out": done.stdout, "err": done.stderr,
                  "peak_kb": peak}))
"""


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
async def bundle(tmp_path: Path, signer: Signer) -> Path:
    return await export_small_case(tmp_path, signer, ORIGIN, captures=20)


def verify(tmp_path: Path, path: Path, *args: str, **settings: str) -> dict[str, object]:
    """``chanwatch evidence verify PATH ARGS`` in a fresh process with only ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CHANWATCH_")}
    env.update(PYTHONPATH=str(REPO), CHANWATCH_LEDGER__SIGNING_KEY_FILE=str(tmp_path / "none"),
               **{f"CHANWATCH_{k.upper()}": v for k, v in settings.items()})
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "monitor.cli", "evidence",
         "verify", str(path), *args],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True, timeout=120)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def one_line(result: dict[str, object], fragment: str) -> None:
    out = str(result["out"]).splitlines()
    assert result["code"] == 1, result
    assert len(out) == 1 and out[0].startswith("NOT VERIFIED: ") and fragment in out[0], result
    assert result["err"] == "", result
    assert int(str(result["peak_kb"])) < PEAK_LIMIT_KB, result


def rezip(bundle: Path, files: dict[str, bytes], name: str, **replace: Member) -> Path:
    members = [replace.get(n.replace(".", "_")) or member(n, d) for n, d in files.items()]
    return write_zip(bundle.with_name(name), members)


def test_zip_bombs_of_a_declared_gigabyte_and_a_half(
    bundle: Path, signer: Signer, tmp_path: Path
) -> None:
    """The ZIP header declaring 1.5 GB; a stream inflating to 1.5 GB under an honest header;
    a forger's manifest and header agreeing on 1.5 GB (with the key pinned, and without)."""
    files = members_of(bundle)
    vkey = signer.vkey()
    declared = Member("records.jsonl", bomb(GIB_AND_A_HALF), GIB_AND_A_HALF << 20, 0)
    one_line(verify(tmp_path, rezip(bundle, files, "a.zip", records_jsonl=declared), "--key",
                    vkey), "records.jsonl: the ZIP header says it unpacks to 1,610,612,736")
    size = len(files["records.jsonl"])
    streamed = Member("records.jsonl", bomb(GIB_AND_A_HALF), size, 0)
    one_line(verify(tmp_path, rezip(bundle, files, "b.zip", records_jsonl=streamed), "--key",
                    vkey), "records.jsonl: cannot be read from the ZIP")
    forged = forge(files, Signer.generate(ORIGIN), records_jsonl=GIB_AND_A_HALF << 20)
    path = rezip(bundle, forged, "c.zip", records_jsonl=declared)
    one_line(verify(tmp_path, path, "--key", vkey), "manifest.sig: not signed by a trusted key")
    one_line(verify(tmp_path, path), "more than 100:1, setting ledger.verify.max_ratio")


def test_deep_json_oversize_and_encrypted(bundle: Path, signer: Signer, tmp_path: Path) -> None:
    """A forger's manifest nested 100,000 deep (no key: parsed, refused by its depth);
    a bundle over ledger.verify.max_bundle_bytes; an encrypted member."""
    files = members_of(bundle)
    forger = Signer.generate(ORIGIN)
    deep = dict(files, **{"public_key.txt": (forger.vkey() + "\n").encode()})
    deep["manifest.json"] = b'{"files": ' + deep_json(100_000) + b"}"
    deep["manifest.sig"] = forger.sign(manifest_note_text(deep["manifest.json"])).encode()
    one_line(verify(tmp_path, rezip(bundle, deep, "d.zip")),
             "manifest.json: not a valid manifest (JSON nested more than 32 levels deep)")
    one_line(verify(tmp_path, bundle, "--key", signer.vkey(),
                    LEDGER__VERIFY__MAX_BUNDLE_BYTES="2kB"),
             "more than a bundle may have: 2,000 (setting ledger.verify.max_bundle_bytes)")
    locked = member("records.jsonl", files["records.jsonl"])
    locked.flags = 1
    one_line(verify(tmp_path, rezip(bundle, files, "e.zip", records_jsonl=locked), "--key",
                    signer.vkey()), "ZIP member 'records.jsonl' is encrypted")
