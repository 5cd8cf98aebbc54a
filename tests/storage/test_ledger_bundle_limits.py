"""The verifier on hostile bundles made in the test: ZIP bombs declaring over a
gigabyte, members inflating past what they declare, over-size bundles, deep JSON
everywhere it parses JSON, and unusual ZIP members. Each is NOT VERIFIED (or could
not be read) with one reason naming the member and the limit, never an exception."""

from __future__ import annotations

import zlib
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
    resign,
    write_zip,
)

from storage.ledger.bundle import manifest_note_text
from storage.ledger.bundle_zip import BundleLimits
from storage.ledger.note import Checkpoint, Signer
from storage.ledger.verify import VerifyReport, verify_bundle

ORIGIN = "chanwatch.test/ledger"
GIB_AND_A_HALF = 1536  # MiB


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
async def bundle(tmp_path: Path, signer: Signer) -> Path:
    return await export_small_case(tmp_path, signer, ORIGIN, captures=5)


def rezip(bundle: Path, files: dict[str, bytes], **replace: Member) -> Path:
    """The bundle's files again, with some members replaced by hand-made ones."""
    members = [replace.get(n.replace(".", "_")) or member(n, d) for n, d in files.items()]
    return write_zip(bundle.with_name("hostile.zip"), members)


def refused(report: VerifyReport, fragment: str) -> str:
    assert report.status == 1, (report.problems, report.unreadable)
    assert len(report.problems) == 1, report.problems
    assert fragment in report.problems[0], report.problems[0]
    return report.problems[0]


def test_header_declaring_over_a_gigabyte(bundle: Path, signer: Signer) -> None:
    """records.jsonl's ZIP header says 1.5 GB while the signed manifest says its real size:
    refused before a byte is inflated."""
    files = members_of(bundle)
    data = files["records.jsonl"]
    lying = Member("records.jsonl", bomb(GIB_AND_A_HALF), GIB_AND_A_HALF << 20, 0)
    message = refused(verify_bundle(rezip(bundle, files, records_jsonl=lying), signer.verifier),
                      "records.jsonl: the ZIP header says it unpacks to 1,610,612,736 bytes")
    assert f"manifest.json says {len(data):,}" in message


def test_stream_inflating_past_its_declared_size(bundle: Path, signer: Signer) -> None:
    """A deflate stream of 1.5 GB under a header (and manifest) saying a few hundred
    bytes: stopped at the declared size."""
    files = members_of(bundle)
    size = len(files["records.jsonl"])
    sneaky = Member("records.jsonl", bomb(GIB_AND_A_HALF), size, zlib.crc32(files[
        "records.jsonl"]))
    refused(verify_bundle(rezip(bundle, files, records_jsonl=sneaky), signer.verifier),
            "records.jsonl: cannot be read from the ZIP (Bad CRC-32")


def test_self_consistent_bomb_under_a_forged_manifest(bundle: Path, signer: Signer) -> None:
    """A forger's manifest and header agree on 1.5 GB: with the pinned key the manifest's
    signature stops it; without a key the compression ratio does, before inflating."""
    files = forge(members_of(bundle), Signer.generate(ORIGIN),
                  records_jsonl=GIB_AND_A_HALF << 20)
    huge = Member("records.jsonl", bomb(GIB_AND_A_HALF), GIB_AND_A_HALF << 20, 0)
    path = rezip(bundle, files, records_jsonl=huge)
    refused(verify_bundle(path, signer.verifier), "manifest.sig: not signed by a trusted key")
    report = verify_bundle(path)
    refused(report, "more than 100:1, setting ledger.verify.max_ratio): a ZIP bomb")
    assert "no trusted key" in report.unchecked[0]


def test_bundle_and_unpacked_size_limits(bundle: Path, signer: Signer) -> None:
    """Over the bundle size limit: refused from its size alone; over the unpacked total:
    refused at the member that crosses it; both name the setting."""
    small = BundleLimits(max_bundle_bytes=1000)
    refused(verify_bundle(bundle, signer.verifier, limits=small),
            "bytes, more than a bundle may have: 1,000 (setting ledger.verify.max_bundle_bytes)")
    tight = BundleLimits(max_unpacked_bytes=3000)
    report = verify_bundle(bundle, signer.verifier, limits=tight)
    assert report.status == 1
    assert "(setting ledger.verify.max_unpacked_bytes)" in report.problems[0]
    few = BundleLimits(max_members=4)
    refused(verify_bundle(bundle, signer.verifier, limits=few),
            "the ZIP declares 10 members; a bundle has at most 4 (setting "
            "ledger.verify.max_members)")


@pytest.mark.parametrize("levels", [33, 100_000])
def test_deep_json_in_the_manifest(bundle: Path, signer: Signer, levels: int) -> None:
    """A manifest nested deeper than the limit (even signed with the ledger key): one
    reason, no RecursionError."""
    files = members_of(bundle)
    files["manifest.json"] = b'{"format": ' + deep_json(levels) + b"}"
    files["manifest.sig"] = signer.sign(manifest_note_text(files["manifest.json"])).encode()
    refused(verify_bundle(rezip(bundle, files), signer.verifier),
            "manifest.json: not a valid manifest (JSON nested more than 32 levels deep)")


def test_deep_json_in_records_proofs_and_consistency(bundle: Path, signer: Signer) -> None:
    """A record, a proof line and a consistency line nested 100,000 deep are each named
    by file and line."""
    files = members_of(bundle)
    records = files["records.jsonl"].splitlines(keepends=True)
    records[2] = b'{"x":' + deep_json(100_000) + b"}\n"
    proofs = files["proofs.jsonl"].splitlines(keepends=True)
    proofs[1] = b'{"index": 1, "x": ' + deep_json(100_000) + b"}\n"
    files["records.jsonl"], files["proofs.jsonl"] = b"".join(records), b"".join(proofs)
    files["consistency.jsonl"] = deep_json(100_000) + b"\n"
    path = rezip(bundle, resign(files, signer))
    previous = signer.sign(Checkpoint(ORIGIN, 2, b"\x01" * 32).body())
    report = verify_bundle(path, signer.verifier, previous)
    text = "\n".join(report.problems)
    assert report.status == 1
    assert "records.jsonl line 3: JSON nested more than 32 levels deep" in text
    assert "proofs.jsonl line 2: not a valid proof line (JSON nested more than 32" in text
    assert "consistency.jsonl line 1: not a valid proof line (JSON nested more than 32" in text


@pytest.mark.parametrize(("change", "fragment"), [
    ({"flags": 1}, "ZIP member 'records.jsonl' is encrypted"),
    ({"method": 12}, "uses compression method 12; bundles use only stored (0) or deflated (8)"),
    ({"method": 99}, "uses compression method 99"),
    ({"mode": 0o120777}, "ZIP member 'records.jsonl' is a symbolic link"),
    ({"mode": 0o010644}, "ZIP member 'records.jsonl' is a special file"),
    ({"name": "/etc/records.jsonl"}, "has an absolute path"),
    ({"name": "../records.jsonl"}, "has a path with '..'"),
    ({"name": "C:records.jsonl"}, "has an absolute path"),
    ({"name": "sub/records.jsonl"}, "has a path; bundle files are all at the top level"),
    ({"name": "records.jsonl/"}, "is a directory"),
])
def test_unusual_members(bundle: Path, signer: Signer, change: dict[str, object],
                         fragment: str) -> None:
    """Encrypted, unknown compression, links, special files, paths, directories:
    refused by name before anything is read."""
    files = members_of(bundle)
    odd = member("records.jsonl", files["records.jsonl"])
    for key, value in change.items():
        setattr(odd, key, value)
    refused(verify_bundle(rezip(bundle, files, records_jsonl=odd), signer.verifier), fragment)


def test_duplicates_bad_crc_and_not_a_zip(bundle: Path, signer: Signer, tmp_path: Path) -> None:
    """A member twice, a damaged member, a truncated ZIP, an empty file, a directory and
    a missing file: each one line (the last three: could not read)."""
    files = members_of(bundle)
    members = [member(n, d) for n, d in files.items()]
    members.append(member("records.jsonl", b"{}\n"))
    refused(verify_bundle(write_zip(tmp_path / "dup.zip", members), signer.verifier),
            "ZIP member 'records.jsonl' appears more than once")
    broken = member("proofs.jsonl", files["proofs.jsonl"])
    broken.crc ^= 1
    report = verify_bundle(rezip(bundle, files, proofs_jsonl=broken), signer.verifier)
    assert report.status == 1
    assert any("proofs.jsonl: cannot be read from the ZIP (Bad CRC-32" in p
               for p in report.problems), report.problems
    cut = tmp_path / "cut.zip"
    cut.write_bytes(bundle.read_bytes()[:-30])
    refused(verify_bundle(cut, signer.verifier), "cut.zip: not a ZIP file")
    (tmp_path / "empty.zip").write_bytes(b"")
    refused(verify_bundle(tmp_path / "empty.zip", signer.verifier), "empty.zip: not a ZIP file")
    for path, fragment in ((tmp_path, "not a regular file"),
                           (tmp_path / "missing.zip", "cannot read it")):
        report = verify_bundle(path, signer.verifier)
        assert report.status == 2 and fragment in (report.unreadable or ""), report.unreadable
