"""Tests for storage.ledger.witness against a small real HTTP witness on 127.0.0.1.

The witness below is a fake of an external service we cannot run here: it
implements the C2SP tlog-witness add-checkpoint rules we rely on (verify the
log's signature, check ``old`` against what it saw, verify the consistency
proof) and answers with a cosignature line of its own key.
"""

from __future__ import annotations

import base64
import threading
import zipfile
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storage.ledger.checkpoint import checkpoint_job, sign_checkpoint
from storage.ledger.export import export_case
from storage.ledger.ledger import append_record
from storage.ledger.merkle import ProofError, verify_consistency
from storage.ledger.note import NoteError, Signer, open_checkpoint, open_note
from storage.ledger.verify import verify_bundle
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

ORIGIN = "chanwatch.test/ledger"


class Witness:
    def __init__(self, log_signer: Signer) -> None:
        self.log_verifier = log_signer.verifier
        self.key = Signer.generate("witness.test/w1")
        self.size = 0
        self.root = b""
        self.requests: list[str] = []


def _handler(w: Witness) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            w.requests.append(body)
            head, note = body.split("\n\n", 1)
            old_line, *proof_b64 = head.split("\n")
            old = int(old_line.removeprefix("old "))
            try:
                cp = open_checkpoint(note, w.log_verifier, ORIGIN)
            except NoteError as exc:
                return self._answer(403, str(exc))
            if old != w.size:
                return self._answer(409, f"{w.size}\n")
            try:
                verify_consistency(old, cp.size, w.root or cp.root, cp.root,
                                   [base64.b64decode(p) for p in proof_b64])
            except ProofError as exc:
                return self._answer(422, str(exc))
            w.size, w.root = cp.size, cp.root
            cosig = w.key.sign(cp.body()).split("\n\n", 1)[1]
            return self._answer(200, cosig)

    return Handler


@pytest.fixture
def log_signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture
def witness(log_signer: Signer) -> Iterator[tuple[Witness, str]]:
    w = Witness(log_signer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(w))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield w, f"http://127.0.0.1:{server.server_address[1]}/add-checkpoint"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "ledger.db") as s:
        yield s


async def _grow(store: SQLiteStore, n: int) -> None:
    async def add(tx: Transaction) -> None:
        for _ in range(n):
            await append_record(tx, "login", "alice", {})

    await store.transaction(add)


async def _acks(store: SQLiteStore) -> list[tuple[object, ...]]:
    acks = await store.snapshot(lambda tx: tx.witness_acks.list())
    return [(a.checkpoint_id, a.status, a.body) for a in acks]


async def test_witness_cosigns_and_ack_is_recorded(
    store: SQLiteStore, log_signer: Signer, witness: tuple[Witness, str]
) -> None:
    """Two growing checkpoints: the witness verifies consistency and each ack is stored."""
    w, url = witness
    await _grow(store, 3)
    first = await checkpoint_job(store, log_signer, ORIGIN, url)
    await _grow(store, 4)
    second = await checkpoint_job(store, log_signer, ORIGIN, url)
    acks = await _acks(store)
    assert [(a[0], a[1]) for a in acks] == [(first.id, 200), (second.id, 200)]
    assert str(acks[1][2]).startswith("\u2014 witness.test/w1 ")
    assert w.size == 7 and w.requests[1].startswith("old 3\n")


async def test_conflict_is_retried_from_the_witness_size(
    store: SQLiteStore, log_signer: Signer, witness: tuple[Witness, str]
) -> None:
    """A witness that already saw size 2 answers 409; the request is repeated from 2."""
    w, url = witness
    await _grow(store, 2)
    stored, _, _ = await sign_checkpoint(store, log_signer, ORIGIN)
    w.size, w.root = 2, stored.root  # the witness learnt size 2 elsewhere
    await _grow(store, 3)
    await checkpoint_job(store, log_signer, ORIGIN, url)
    assert [a[1] for a in await _acks(store)] == [200]
    assert w.requests[0].startswith("old 0\n") and w.requests[1].startswith("old 2\n")


async def test_unreachable_witness_is_recorded_not_fatal(
    store: SQLiteStore, log_signer: Signer
) -> None:
    """A witness that is down leaves a NULL-status ack; the checkpoint is still signed."""
    await _grow(store, 1)
    stored = await checkpoint_job(store, log_signer, ORIGIN, "http://127.0.0.1:9/add")
    acks = await _acks(store)
    assert acks[0][0] == stored.id and acks[0][1] is None
    assert "unreachable" in str(acks[0][2])


async def test_export_carries_the_witness_cosignature(
    store: SQLiteStore, log_signer: Signer, witness: tuple[Witness, str], tmp_path: Path
) -> None:
    """An export with a witness adds its cosignature line to checkpoint.txt; the bundle
    still verifies under the log's key, and the ack is recorded."""
    w, url = witness

    async def add(tx: Transaction) -> None:
        await append_record(tx, "authorization.granted", "sup", {
            "case": "K-1", "authorization": "A-1", "channels": [5]})

    await store.transaction(add)
    out = tmp_path / "k1.zip"
    await export_case(store, log_signer, ORIGIN, case="K-1", actor="sup", out=out,
                      witness_url=url)
    with zipfile.ZipFile(out) as zf:
        note = zf.read("checkpoint.txt").decode()
    assert note.count("\u2014 ") == 2 and "\u2014 witness.test/w1 " in note
    assert open_note(note, w.key.verifier) == open_note(note, log_signer.verifier)
    assert verify_bundle(out, log_signer.verifier).ok
    assert [a[1] for a in await _acks(store)] == [200]
