"""Tests for storage.ledger.verify: every kind of tampering with a bundle is caught
with a message naming the file and line, and an intact bundle verifies."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.ledger.bundle import manifest_note_text
from storage.ledger.export import export_case
from storage.ledger.ledger import append_record
from storage.ledger.merkle import MerkleTree, leaf_hash
from storage.ledger.note import Checkpoint, Signer, open_checkpoint
from storage.ledger.verify import VerifyReport, verify_bundle
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

ORIGIN = "chanwatch.test/ledger"
AT = datetime(2026, 11, 2, 8, tzinfo=UTC)
Files = dict[str, bytes]


async def fill(tx: Transaction) -> None:
    await append_record(tx, "authorization.granted", "sup1", {
        "case": "K-1", "authorization": "A-1", "channels": [100]}, at=AT)
    for i in range(12):
        await append_record(tx, "post.captured", "service:monitor", {
            "channel": 100, "message": i, "authorization": "A-1",
            "text_sha256": f"{i:02x}" * 32}, at=AT)
        await append_record(tx, "login", "op1", {}, at=AT)


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
async def bundle(tmp_path: Path, signer: Signer) -> AsyncIterator[Path]:
    out = tmp_path / "k1.zip"
    async with SQLiteStore(tmp_path / "ledger.db") as store:
        await store.transaction(fill)
        await export_case(store, signer, ORIGIN, case="K-1", actor="sup1", out=out)
    yield out


def read(path: Path) -> Files:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write(path: Path, files: Files, *, fix_manifest: bool = True,
          resign: Signer | None = None) -> Path:
    """Rewrite the bundle; with ``fix_manifest`` the forger also updates the hashes and
    sizes in the manifest and signs it again with ``resign`` (a forger's own key, or the
    ledger's: as if the key itself had leaked, to show the checks behind the signature)."""
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": str(len(d))}
                             for n, d in files.items() if n not in ("manifest.json",
                                                                     "manifest.sig")}
        files["manifest.json"] = json.dumps(manifest).encode()
        if resign is not None:
            files["manifest.sig"] = resign.sign(manifest_note_text(files["manifest.json"])
                                                ).encode()
    out = path.with_name("tampered.zip")
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out


def lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def tampered(bundle: Path, change: Callable[[Files], None], *, fix_manifest: bool = True,
             key: Signer | None = None, resign: Signer | None = None) -> VerifyReport:
    files = read(bundle)
    change(files)
    path = write(bundle, files, fix_manifest=fix_manifest, resign=resign or key)
    return verify_bundle(path, None if key is None else key.verifier)


def assert_caught(report: VerifyReport, *fragments: str) -> None:
    assert not report.ok
    text = "\n".join(report.problems)
    for fragment in fragments:
        assert fragment in text, text


def test_intact_bundle_verifies(bundle: Path, signer: Signer) -> None:
    """The untouched bundle verifies under the pinned key, and also unpinned (with a note)."""
    report = verify_bundle(bundle, signer.verifier)
    assert report.ok and report.pinned and report.records == 14 and report.status == 0
    unpinned = verify_bundle(bundle)
    assert unpinned.ok and not unpinned.pinned and unpinned.status == 3
    assert "key shipped in the bundle" in unpinned.unchecked[0]


def test_a_changed_byte_in_a_record(bundle: Path, signer: Signer) -> None:
    """One byte changed in record 3 (still canonical): its leaf hash no longer matches."""
    def change(files: Files) -> None:
        recs = lines(files["records.jsonl"])
        recs[2] = recs[2].replace(b'"text_sha256":"01', b'"text_sha256":"11', 1)
        files["records.jsonl"] = b"".join(recs)

    assert_caught(tampered(bundle, change, key=signer),
                  "records.jsonl line 3: its leaf hash is", "the record was changed")


def test_a_changed_byte_without_fixing_the_manifest(bundle: Path, signer: Signer) -> None:
    """The same change without updating the manifest is also named as a manifest mismatch."""
    def change(files: Files) -> None:
        files["records.jsonl"] = files["records.jsonl"].replace(b'service:', b'servicE:', 1)

    report = tampered(bundle, change, fix_manifest=False, key=signer)
    assert_caught(report, "records.jsonl: SHA-256 is", "manifest.json says")


def test_a_record_not_in_canonical_form(bundle: Path, signer: Signer) -> None:
    """Whitespace added to a record is reported as not canonical."""
    def change(files: Files) -> None:
        recs = lines(files["records.jsonl"])
        recs[1] = recs[1].replace(b'","', b'", "', 1)
        files["records.jsonl"] = b"".join(recs)

    assert_caught(tampered(bundle, change, key=signer),
                  "records.jsonl line 2: not in canonical form")


def test_a_removed_record(bundle: Path, signer: Signer) -> None:
    """Record 5 and its proof removed (manifest fixed): the export record's count catches it."""
    def change(files: Files) -> None:
        for name in ("records.jsonl", "proofs.jsonl"):
            kept = lines(files[name])
            del kept[4]
            files[name] = b"".join(kept)

    assert_caught(tampered(bundle, change, key=signer),
                  "records.jsonl: 13 records, seq 0 to 25; the signed manifest claims 14",
                  "have selection_sha256", "the export record (seq 25) says records 13")


def test_reordered_records(bundle: Path, signer: Signer) -> None:
    """Two records swapped in records.jsonl: their positions no longer match the proofs."""
    def change(files: Files) -> None:
        recs = lines(files["records.jsonl"])
        recs[3], recs[4] = recs[4], recs[3]
        files["records.jsonl"] = b"".join(recs)

    assert_caught(tampered(bundle, change, key=signer),
                  "records.jsonl line 4: record seq", "is for another position")


def test_reordered_records_and_proofs(bundle: Path, signer: Signer) -> None:
    """Records and proofs swapped together: the ledger order is broken and named."""
    def change(files: Files) -> None:
        for name in ("records.jsonl", "proofs.jsonl"):
            items = lines(files[name])
            items[3], items[4] = items[4], items[3]
            files[name] = b"".join(items)

    assert_caught(tampered(bundle, change, key=signer),
                  "proofs.jsonl line 5", "not in ledger order")


def test_a_changed_proof_hash(bundle: Path, signer: Signer) -> None:
    """One hash of one inclusion proof changed: that proof no longer leads to the root."""
    def change(files: Files) -> None:
        proofs = lines(files["proofs.jsonl"])
        obj = json.loads(proofs[6])
        h = obj["inclusion"][1]
        obj["inclusion"][1] = ("0" if h[0] != "0" else "1") + h[1:]
        proofs[6] = json.dumps(obj).encode() + b"\n"
        files["proofs.jsonl"] = b"".join(proofs)

    assert_caught(tampered(bundle, change, key=signer),
                  "proofs.jsonl line 7 (index", "does not lead to the checkpoint root")


def test_another_key(bundle: Path, signer: Signer) -> None:
    """A forger re-signs the checkpoint with their own key and ships that key: the pinned key
    catches both the key file and the signature."""
    forger = Signer.generate(ORIGIN)

    def change(files: Files) -> None:
        cp = open_checkpoint(files["checkpoint.txt"].decode(), signer.verifier)
        files["checkpoint.txt"] = forger.sign(cp.body()).encode()
        files["public_key.txt"] = (forger.vkey() + "\n").encode()

    assert_caught(tampered(bundle, change, key=signer, resign=forger),
                  "manifest.sig: not signed by a trusted key")
    # with the ledger's own manifest signature, the key file and the checkpoint still fail
    assert_caught(tampered(bundle, change, key=signer),
                  "public_key.txt: holds", "not the pinned key",
                  "checkpoint.txt: note is not signed by key")


def test_an_edited_checkpoint(bundle: Path, signer: Signer) -> None:
    """A checkpoint whose size was edited no longer verifies under its signature."""
    def change(files: Files) -> None:
        text = files["checkpoint.txt"].decode()
        origin, size, rest = text.split("\n", 2)
        files["checkpoint.txt"] = f"{origin}\n{int(size) + 1}\n{rest}".encode()

    assert_caught(tampered(bundle, change, key=signer),
                  "checkpoint.txt: signature by", "does not verify")


def test_a_rebuilt_tree_under_the_shipped_key(bundle: Path, signer: Signer) -> None:
    """A forger drops a record, rebuilds every proof and signs with their own key: the pinned
    key still refuses it (unpinned, the export record's count catches the removal)."""
    forger = Signer.generate(ORIGIN)

    def change(files: Files) -> None:
        recs = lines(files["records.jsonl"])
        del recs[2]
        tree = MerkleTree([leaf_hash(r.rstrip(b"\n")) for r in recs])
        files["records.jsonl"] = b"".join(recs)
        files["proofs.jsonl"] = b"".join(
            json.dumps({"index": i, "leaf_hash": tree.leaf(i).hex(),
                        "inclusion": [h.hex() for h in tree.inclusion_proof(i)]}).encode()
            + b"\n" for i in range(tree.size))
        files["checkpoint.txt"] = forger.sign(Checkpoint(ORIGIN, tree.size, tree.root()).body()
                                              ).encode()
        files["public_key.txt"] = (forger.vkey() + "\n").encode()

    assert_caught(tampered(bundle, change, key=signer, resign=forger),
                  "manifest.sig: not signed by a trusted key")
    unpinned = tampered(bundle, change, resign=forger)
    assert_caught(unpinned, "records.jsonl line 3: record seq")
    assert unpinned.status == 1 and "no trusted key" in unpinned.unchecked[0]


def test_manifest_mismatch_missing_and_extra_files(bundle: Path, signer: Signer) -> None:
    """A changed report, a removed CSV and an added file are each named."""
    def change(files: Files) -> None:
        files["report.html"] += b"<!-- edited -->"
        files["report.pdf"] = files["report.pdf"].replace(b"%PDF-", b"%PDX-", 1)
        del files["records.csv"]
        files["notes.txt"] = b"added later"

    report = tampered(bundle, change, fix_manifest=False, key=signer)
    assert_caught(report, "report.html: the ZIP header says it unpacks to",
                  "report.pdf: SHA-256 is",
                  "records.csv: listed in manifest.json but missing from the bundle",
                  "notes.txt: not listed in manifest.json")


def test_duplicate_member_and_not_a_zip(bundle: Path, tmp_path: Path, signer: Signer) -> None:
    """A second records.jsonl in the ZIP and a file that is no ZIP are refused clearly."""
    with zipfile.ZipFile(bundle, "a") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("records.jsonl", b"{}\n")
    assert_caught(verify_bundle(bundle, signer.verifier),
                  "ZIP member 'records.jsonl' appears more than once in the ZIP")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert_caught(verify_bundle(junk, signer.verifier), "junk.zip: not a ZIP file")


def test_previous_checkpoint_inconsistent(bundle: Path, signer: Signer) -> None:
    """A previous checkpoint that this ledger does not extend is caught; a foreign one too."""
    files = read(bundle)
    cp = open_checkpoint(files["checkpoint.txt"].decode(), signer.verifier)
    fake_previous = signer.sign(Checkpoint(ORIGIN, cp.size, b"\x07" * 32).body())
    assert_caught(verify_bundle(bundle, signer.verifier, fake_previous),
                  "previous checkpoint: same size")
    smaller = signer.sign(Checkpoint(ORIGIN, 3, b"\x07" * 32).body())
    assert_caught(verify_bundle(bundle, signer.verifier, smaller),
                  "consistency.jsonl: no proof from the previous checkpoint's size 3")
    foreign = Signer.generate(ORIGIN).sign(Checkpoint(ORIGIN, 3, b"\x07" * 32).body())
    assert_caught(verify_bundle(bundle, signer.verifier, foreign),
                  "previous checkpoint: note is not signed by key")


def test_reformatted_proof_lines_still_verify(bundle: Path, signer: Signer) -> None:
    """Proof lines rewritten by another JSON tool (spaces, upper-case hex) are the same
    proofs: the bundle still verifies (only records.jsonl bytes are hashed)."""
    def change(files: Files) -> None:
        out = []
        for line in lines(files["proofs.jsonl"]):
            obj = json.loads(line)
            obj["inclusion"] = [h.upper() for h in obj["inclusion"]]
            out.append(json.dumps(obj, indent=None).encode() + b"\n")
        files["proofs.jsonl"] = b"".join(out)

    report = tampered(bundle, change, key=signer)
    assert report.ok, report.problems


def test_garbage_proof_lines(bundle: Path, signer: Signer) -> None:
    """A proof line that is not JSON, or has a short hash, is named by its line number."""
    def change(files: Files) -> None:
        proofs = lines(files["proofs.jsonl"])
        proofs[1] = b"not json\n"
        obj = json.loads(proofs[2])
        obj["inclusion"][0] = obj["inclusion"][0][:10]
        proofs[2] = json.dumps(obj).encode() + b"\n"
        files["proofs.jsonl"] = b"".join(proofs)

    assert_caught(tampered(bundle, change, key=signer),
                  "proofs.jsonl line 2: not a valid proof line",
                  "proofs.jsonl line 3 (index")
