"""Timestamped checkpoints in the store and in bundles, with a real local TSA: a TSA
that is down never stops signing, the gap is kept and shown, and the checkpoint job
retries it; a bundle carries its checkpoint's token, the verifier checks it (and
``openssl ts -verify`` accepts it), and a swapped token is caught."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from tsa_support import closed_port_url, make_ca, make_tsa, serve

from storage.ledger.bundle import manifest_note_text, stamped_note
from storage.ledger.checkpoint import checkpoint_job, latest_checkpoint
from storage.ledger.export import export_case
from storage.ledger.ledger import append_record
from storage.ledger.note import Signer
from storage.ledger.status import ledger_status, status_lines
from storage.ledger.timestamp import Tsa
from storage.ledger.verify import verify_bundle
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

ORIGIN = "chanwatch.test/ledger"


async def fill(tx: Transaction) -> None:
    await append_record(tx, "authorization.granted", "sup1", {
        "case": "K-1", "authorization": "A-1", "channels": [100]})
    for i in range(3):
        await append_record(tx, "post.captured", "service:monitor", {
            "channel": 100, "message": i, "authorization": "A-1", "text_sha256": "00"})


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


async def test_tsa_down_leaves_a_visible_gap_that_the_job_fills(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """With the TSA down the checkpoint is still signed; status names the gap and why;
    when the TSA is back the next job run (no new records) stamps it and the gap goes."""
    tsa = make_tsa(tmp_path / "tsa")
    await store.transaction(fill)
    down = Tsa(closed_port_url(), (tsa.ca.cert,), timeout=2)
    first = await checkpoint_job(store, signer, ORIGIN, tsa=down)
    assert first.tree_size == 4
    status = await store.snapshot(ledger_status)
    assert [g.checkpoint_id for g in status.gaps] == [first.id] and status.unstamped_latest
    lines = status_lines(status, down.url)
    assert any(f"timestamp gap: checkpoint #{first.id} (size 4" in ln and "TSA unreachable" in ln
               for ln in lines), lines
    await checkpoint_job(store, signer, ORIGIN, tsa=down)  # still down: one more attempt
    assert (await store.snapshot(ledger_status)).gaps[0].attempts == 2

    await store.transaction(lambda tx: append_record(tx, "login", "op1", {}))
    with serve(tsa):
        second = await checkpoint_job(store, signer, ORIGIN, tsa=Tsa(tsa.url, (tsa.ca.cert,)))
    status = await store.snapshot(ledger_status)
    assert second.id != first.id and not status.gaps and not status.unstamped_latest
    assert tsa.requests == 2  # the new checkpoint, then the earlier gap
    assert status.newest_token is not None and status.newest_token.tsa_name == "CN=Test TSA"
    assert not any("gap" in ln for ln in status_lines(status, tsa.url))


async def test_a_timestamped_bundle_verifies_and_openssl_agrees(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """The export's checkpoint is stamped; checkpoint.tsr in the bundle verifies under the
    TSA's CA here and with `openssl ts -verify`; without the CA it is 'not checked'
    (exit 3), under another CA it fails."""
    tsa = make_tsa(tmp_path / "tsa")
    await store.transaction(fill)
    out = tmp_path / "k1.zip"
    with serve(tsa):
        result = await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out,
                                   tsa=Tsa(tsa.url, (tsa.ca.cert,)))
    assert result.timestamp is not None and result.timestamp_error is None
    report = verify_bundle(out, signer.verifier, tsa_roots=(tsa.ca.cert,))
    assert report.status == 0 and report.timestamp is not None, report.problems
    assert "CN=Test TSA" in report.timestamp
    unchecked = verify_bundle(out, signer.verifier)
    assert unchecked.ok and unchecked.status == 3
    assert "checkpoint.tsr (by CN=Test TSA) was not checked" in unchecked.unchecked[0]
    stranger = make_ca(tmp_path / "stranger", cn="Another Root")
    other = verify_bundle(out, signer.verifier, tsa_roots=(stranger.cert,))
    assert other.status == 1 and "checkpoint.tsr: the token's signature" in other.problems[0]

    with zipfile.ZipFile(out) as zf:
        (tmp_path / "checkpoint.tsr").write_bytes(zf.read("checkpoint.tsr"))
        note = stamped_note(zf.read("checkpoint.txt").decode())
        manifest = json.loads(zf.read("manifest.json"))
    (tmp_path / "stamped.txt").write_text(note)
    assert manifest["timestamp"]["imprint_sha256"] == hashlib.sha256(note.encode()).hexdigest()
    done = subprocess.run(["openssl", "ts", "-verify", "-in", str(tmp_path / "checkpoint.tsr"),
                           "-data", str(tmp_path / "stamped.txt"), "-CAfile", str(tsa.ca.pem)],
                          capture_output=True, text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stdout + done.stderr
    stored = await store.snapshot(latest_checkpoint)
    assert stored is not None and stored.note == note


async def test_a_token_of_another_checkpoint_is_caught(
    store: SQLiteStore, signer: Signer, tmp_path: Path
) -> None:
    """A bundle whose checkpoint.tsr is the token of another checkpoint (manifest even
    re-signed with the ledger key) fails on the imprint; an export while the TSA is
    down carries no token, says why, and notes it."""
    tsa = make_tsa(tmp_path / "tsa")
    await store.transaction(fill)
    with serve(tsa):
        cfg = Tsa(tsa.url, (tsa.ca.cert,))
        await export_case(store, signer, ORIGIN, case="K-1", actor="sup1",
                          out=tmp_path / "a.zip", tsa=cfg)
        await export_case(store, signer, ORIGIN, case="K-1", actor="sup1",
                          out=tmp_path / "b.zip", tsa=cfg)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        old_token = zf.read("checkpoint.tsr")
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["checkpoint.tsr"] = old_token
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["checkpoint.tsr"] = {"bytes": str(len(old_token)),
                                           "sha256": hashlib.sha256(old_token).hexdigest()}
    files["manifest.json"] = json.dumps(manifest).encode()
    files["manifest.sig"] = signer.sign(manifest_note_text(files["manifest.json"])).encode()
    with zipfile.ZipFile(tmp_path / "swapped.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    report = verify_bundle(tmp_path / "swapped.zip", signer.verifier, tsa_roots=(tsa.ca.cert,))
    assert report.status == 1
    assert any("checkpoint.tsr: the token is for another imprint" in p for p in report.problems)

    down = Tsa(closed_port_url(), (tsa.ca.cert,), timeout=2)
    result = await export_case(store, signer, ORIGIN, case="K-1", actor="sup1",
                               out=tmp_path / "c.zip", tsa=down)
    assert result.timestamp is None and "TSA unreachable" in (result.timestamp_error or "")
    plain = verify_bundle(tmp_path / "c.zip", signer.verifier, tsa_roots=(tsa.ca.cert,))
    assert plain.status == 0 and "carries no RFC 3161 timestamp" in plain.notes[0]
