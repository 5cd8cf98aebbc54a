"""Sending a new checkpoint to a witness and recording its answer.

The request follows C2SP ``tlog-witness`` ``add-checkpoint``: a POST whose
body is ``old <size the witness last saw>``, one base64 consistency-proof hash
per line, a blank line, then the signed checkpoint. A witness answers 200 with
its cosignature line(s), or 409 with the tree size it already has (then the
request is repeated once from that size). Whatever comes back (status and
body, or the connection error) is stored in ``ledger_witness_acks``; a witness
that is down never stops the ledger or the signing.
"""

from __future__ import annotations

import asyncio
import base64
import urllib.error
import urllib.request
from datetime import UTC, datetime

import structlog

from storage.ledger.canonical import format_time
from storage.ledger.merkle import MerkleTree
from storage.repos.records import WitnessAck
from storage.repos.transactional import Transactional

log = structlog.get_logger(__name__)

TIMEOUT_S = 10.0
MAX_BODY = 64 * 1024


def _request_body(old_size: int, tree: MerkleTree, note: str) -> bytes:
    proof = tree.consistency_proof(old_size)
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _post(url: str, body: bytes) -> tuple[int | None, str]:
    if not url.startswith(("http://", "https://")):
        return None, f"witness URL {url!r} is not http(s)"
    req = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310
            return int(resp.status), resp.read(MAX_BODY).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(MAX_BODY).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        return None, f"witness unreachable: {exc}"


async def submit_checkpoint(
    store: Transactional, url: str, checkpoint_id: int, note: str, tree: MerkleTree
) -> tuple[int | None, str]:
    """POST checkpoint ``checkpoint_id`` (covering all of ``tree``) to the
    witness at ``url``; record and return ``(status, body)``."""
    old = await store.snapshot(lambda tx: tx.witness_acks.last_acked_size(url))
    old = min(old, tree.size)
    status, body = await asyncio.to_thread(_post, url, _request_body(old, tree, note))
    if status == 409 and body.strip().isdigit() and int(body.strip()) <= tree.size:
        old = int(body.strip())
        status, body = await asyncio.to_thread(_post, url, _request_body(old, tree, note))
    received = format_time(datetime.now(UTC))
    ack = WitnessAck(checkpoint_id, url, status, body, received)
    await store.transaction(lambda tx: tx.witness_acks.insert(ack))
    if status == 200:
        log.info("ledger.witness_ack", checkpoint=checkpoint_id, url=url, old_size=old)
    else:
        log.warning("ledger.witness_refused", checkpoint=checkpoint_id, url=url, status=status,
                    answer=body[:200])
    return status, body
