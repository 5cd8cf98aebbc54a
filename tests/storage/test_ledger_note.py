"""Tests for storage.ledger.note: C2SP signed notes, keys and checkpoints.

Reference vectors: the ``PeterNeumann`` keys, text and signature are from
golang.org/x/mod ``sumdb/note`` (note.go documentation and example_test.go); the
``example.com/foo`` note and vkey are the example of the C2SP signed-note spec.
"""

from __future__ import annotations

import base64

import pytest

from storage.ledger.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    key_id,
    open_checkpoint,
    open_note,
)

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
          "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1"
             "YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_go_reference_signer_reproduces_vkey_and_signature() -> None:
    """The Go reference skey gives the reference vkey and byte-identical signed note."""
    signer = Signer.from_skey(GO_SKEY)
    assert signer.vkey() == GO_VKEY
    assert signer.skey() == GO_SKEY
    assert signer.sign(GO_TEXT) == GO_TEXT + "\n" + GO_SIG
    assert open_note(GO_TEXT + "\n" + GO_SIG, Verifier.from_vkey(GO_VKEY)) == GO_TEXT


def test_c2sp_spec_example_verifies() -> None:
    """The C2SP spec's example note verifies under its vkey; the key id is as the spec defines."""
    v = Verifier.from_vkey(C2SP_VKEY)
    assert open_note(C2SP_NOTE, v) == "This is an example message.\n"
    assert key_id("example.com/foo", v.public).hex() == "530d903a"


def test_other_signatures_are_ignored_known_bad_one_rejects() -> None:
    """A second signer's line is ignored; a changed text fails for the known key."""
    other = Signer.generate("witness.example/w1")
    note = Signer.from_skey(GO_SKEY).sign(GO_TEXT)
    both = note + other.sign(GO_TEXT).split("\n\n", 1)[1]
    assert open_note(both, Verifier.from_vkey(GO_VKEY)) == GO_TEXT
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("answer", "ANSWER"), Verifier.from_vkey(GO_VKEY))
    with pytest.raises(NoteError, match="not signed by key"):
        open_note(note, other.verifier)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("PeterNeumann+c74f20a3", "NAME\\+KEYID\\+BASE64"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3+ABpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not an Ed25519"),
        ("PeterNeumann+c74f20a3+!!!", "not valid base64"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
    ],
)
def test_bad_vkeys_refused(vkey: str, message: str) -> None:
    """Malformed verifier keys each give a clear error."""
    with pytest.raises(NoteError, match=message):
        Verifier.from_vkey(vkey)


def test_checkpoint_round_trip_and_parse_errors() -> None:
    """A checkpoint body is origin, size, base64 root; it signs and opens; bad bodies fail."""
    signer = Signer.generate("chanwatch.test/ledger")
    cp = Checkpoint("chanwatch.test/ledger", 12, bytes(range(32)))
    b64 = base64.b64encode(bytes(range(32))).decode()
    assert cp.body() == f"chanwatch.test/ledger\n12\n{b64}\n"
    note = signer.sign(cp.body())
    assert open_checkpoint(note, signer.verifier, "chanwatch.test/ledger") == cp
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(note, signer.verifier, "elsewhere/ledger")
    for body, message in [("o\n012\nAAAA\n", "not a decimal"), ("o\n1\nAAAA\n", "expected 32"),
                          ("o\n1\n", "origin, size and root"), ("o\nx\nAA==\n", "not a decimal")]:
        with pytest.raises(NoteError, match=message):
            Checkpoint.parse(body)
