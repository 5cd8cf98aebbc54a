"""``chanwatch evidence verify`` fails closed: bundles exported through the real CLI
from a ledger made by the real access layer, then cut short, re-signed with another
key, handed over as another case's, or checked for their legal basis. Each of the
four situations of issue 19 ends with a clear message and the documented exit
status, while an untouched bundle verifies with its key and case pinned."""

from __future__ import annotations

import asyncio
import json
import os
import zipfile
from pathlib import Path

import pytest
from bundle_support import resign
from evidence_support import CHANNELS, TwoCases, add_posts, run, seed_two_cases

from storage.ledger.keys import generate_signing_key
from storage.ledger.merkle import MerkleTree, leaf_hash
from storage.ledger.note import Checkpoint, Signer

ORIGIN = "unit.test/chanwatch"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(tmp_path / "cw.db"))
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(tmp_path / "ledger.key"))
    monkeypatch.setenv("CHANWATCH_LEDGER__ORIGIN", ORIGIN)
    return tmp_path


@pytest.fixture
def cases(env: Path) -> TwoCases:
    return seed_two_cases(env / "cw.db")


@pytest.fixture
def vkey(env: Path) -> str:
    return generate_signing_key(env / "ledger.key", ORIGIN)


def export(monkeypatch: pytest.MonkeyPatch, cases: TwoCases, ref: str, name: str) -> str:
    """Export case ``ref`` as supervisor sam; the bundle's SHA-256."""
    monkeypatch.setenv("CHANWATCH_TOKEN", cases.tokens["sam"])
    code, out, err = run("evidence", "export", "--case", ref, "-o", name)
    monkeypatch.delenv("CHANWATCH_TOKEN")
    assert code == 0, err
    return out.split("bundle SHA-256 ", 1)[1].split()[0]


def away_from_the_ledger_key(monkeypatch: pytest.MonkeyPatch, env: Path) -> None:
    """Verify as a court would: on a machine without the unit's signing key."""
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(env / "no-such.key"))


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def rewrite(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def last_line(out: str) -> str:
    return out.strip().splitlines()[-1]


def test_an_untouched_bundle_verifies_with_key_and_case_pinned(
    env: Path, cases: TwoCases, vkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key, case and the bundle's SHA-256 pinned: VERIFIED, exit 0."""
    digest = export(monkeypatch, cases, "K-1", "k1.zip")
    away_from_the_ledger_key(monkeypatch, env)
    code, out, err = run("evidence", "verify", "k1.zip", "--key", vkey, "--case", "K-1",
                         "--sha256", digest)
    assert code == 0, out + err
    assert last_line(out).startswith("VERIFIED: case K-1, ")


def test_1_a_bundle_cut_short_fails(
    env: Path, cases: TwoCases, vkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-1 exported twice; the second bundle cut back to the first export record (its
    proofs still lead to the signed root): the signed manifest catches it, whether the
    manifest is left alone or its file list is fixed and re-signed with the leaked key."""
    export(monkeypatch, cases, "K-1", "first.zip")
    asyncio.run(add_posts(env / "cw.db", "K-1", cases.authz["K-1"], 10, 3))
    export(monkeypatch, cases, "K-1", "second.zip")
    files = members(env / "second.zip")
    records = files["records.jsonl"].splitlines(keepends=True)
    cut = max(i for i, r in enumerate(records[:-1]) if b'"type":"export"' in r) + 1
    files["records.jsonl"] = b"".join(records[:cut])
    files["proofs.jsonl"] = b"".join(files["proofs.jsonl"].splitlines(keepends=True)[:cut])
    away_from_the_ledger_key(monkeypatch, env)

    code, out, _ = run("evidence", "verify", str(rewrite(env / "cut.zip", files)), "--key", vkey)
    assert code == 1
    assert "FAIL: records.jsonl: the ZIP header says it unpacks to" in out
    assert "FAIL: proofs.jsonl: the ZIP header says it unpacks to" in out
    assert last_line(out).startswith("NOT VERIFIED: 2 problems"), out
    signer = Signer.from_skey((env / "ledger.key").read_text())
    resigned = rewrite(env / "cut2.zip", resign(dict(files), signer))
    code, out, _ = run("evidence", "verify", str(resigned), "--key", vkey)
    assert code == 1
    assert f"records.jsonl: {cut} records" in out and "the signed manifest claims" in out
    assert "the last record is not this bundle's export record" in out


def test_2_a_bundle_of_another_key_fails_and_no_key_is_not_verified(
    env: Path, cases: TwoCases, vkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle re-signed entirely with a forger's key: exit 1 under the real key; with
    no trusted key at all: exit 3, saying what was and was not checked."""
    export(monkeypatch, cases, "K-1", "k1.zip")
    forger = Signer.generate(ORIGIN)
    files = members(env / "k1.zip")
    records = files["records.jsonl"].splitlines(keepends=True)
    del records[1]
    tree = MerkleTree([leaf_hash(r.rstrip(b"\n")) for r in records])
    files["records.jsonl"] = b"".join(records)
    files["proofs.jsonl"] = b"".join(
        json.dumps({"index": i, "leaf_hash": tree.leaf(i).hex(),
                    "inclusion": [h.hex() for h in tree.inclusion_proof(i)]}).encode() + b"\n"
        for i in range(tree.size))
    files["checkpoint.txt"] = forger.sign(Checkpoint(ORIGIN, tree.size, tree.root()).body()
                                          ).encode()
    files["public_key.txt"] = (forger.vkey() + "\n").encode()
    forged = rewrite(env / "forged.zip", resign(files, forger))
    away_from_the_ledger_key(monkeypatch, env)

    code, out, _ = run("evidence", "verify", str(forged), "--key", vkey)
    assert code == 1
    assert last_line(out).startswith("NOT VERIFIED: manifest.sig: not signed by a trusted key")
    code, out, _ = run("evidence", "verify", "k1.zip")
    assert code == 3, out
    assert "checked: the ZIP's structure within the limits; manifest.sig over" in out
    assert "records: canonical form, leaf hashes, inclusion proofs" in out
    assert "not checked: no trusted key: the signatures were checked only with the key " \
           "shipped in the bundle" in out
    assert last_line(out).startswith("NOT VERIFIED: nothing wrong was found, but not "
                                     "everything could be checked")


def test_3_the_wrong_case_or_file_fails_naming_both(
    env: Path, cases: TwoCases, vkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-2's bundle handed over as K-1's: --case and --sha256 each name both values."""
    k1 = export(monkeypatch, cases, "K-1", "k1.zip")
    k2 = export(monkeypatch, cases, "K-2", "k2.zip")
    away_from_the_ledger_key(monkeypatch, env)
    code, out, _ = run("evidence", "verify", "k2.zip", "--key", vkey, "--case", "K-1")
    assert code == 1
    assert last_line(out) == ("NOT VERIFIED: case: this bundle is for case 'K-2', not the "
                              "expected 'K-1'")
    code, out, _ = run("evidence", "verify", "k2.zip", "--key", vkey, "--sha256", k1)
    assert code == 1
    assert last_line(out) == f"NOT VERIFIED: k2.zip: SHA-256 is {k2}, not the expected {k1}"
    assert run("evidence", "verify", "k2.zip", "--key", vkey, "--case", "K-2",
               "--sha256", k2)[0] == 0


def test_4_the_legal_basis_travels_with_the_captures(
    env: Path, cases: TwoCases, vkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-1's bundle holds its authorization, request, approval, the watch's creation,
    activation and join (with the channel's title), beside the captures; nothing of
    K-2; the report names authorization and watch next to each capture."""
    export(monkeypatch, cases, "K-1", "k1.zip")
    files = members(env / "k1.zip")
    records = [json.loads(r) for r in files["records.jsonl"].splitlines()]
    types = [r["type"] for r in records]
    for needed in ("authorization.create", "request.create", "request.approve",
                   "watch.create", "request.activate", "watch.update", "post.captured"):
        assert needed in types, (needed, types)
    watch = str(cases.watches["K-1"])
    joined = [r for r in records if r["type"] == "watch.update"]
    assert joined and all(r["watch"] == watch for r in joined)
    assert joined[-1]["channel"] == "1001" and joined[-1]["channel_title"] == "Alpha News"
    assert [r["watch"] for r in records if r["type"] == "request.activate"] == [watch]
    assert all(r.get("case") in ("K-1", None) for r in records)
    assert str(CHANNELS["K-2"][0]) not in {r.get("channel") for r in records}
    assert str(cases.watches["K-2"]) not in {r.get("watch") for r in records}
    page = files["report.html"].decode()
    assert "Alpha News (@alpha_news, 1001)" in page
    capture_rows = page.split("Captures and their legal basis", 1)[1].split("</table>", 1)[0]
    assert capture_rows.count(f"#{cases.authz['K-1']} court, AG Test, Gs 1/26") == 3, \
        capture_rows
    assert capture_rows.count(f"#{watch} @alpha_news, active since") == 3, capture_rows


def test_unreadable_bundle_and_bad_pins_are_exit_2(
    env: Path, cases: TwoCases, vkey: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing bundle, a bad --sha256, an unreadable trusted-keys file: exit 2, one line."""
    code, _, err = run("evidence", "verify", "nope.zip", "--key", vkey)
    assert code == 2 and "nope.zip: cannot read it" in err and len(err.splitlines()) == 1
    code, _, err = run("evidence", "verify", "nope.zip", "--sha256", "12ab")
    assert code == 2 and "--sha256 '12ab': not 64 hex digits" in err
    code, _, err = run("evidence", "verify", "nope.zip", "--trusted-keys", "keys.txt")
    assert code == 2 and "--trusted-keys keys.txt: cannot read it" in err
    (env / "keys.txt").write_text("# nothing but a comment\n")
    code, _, err = run("evidence", "verify", "nope.zip", "--trusted-keys", "keys.txt")
    assert code == 2 and "holds no verifier key" in err
