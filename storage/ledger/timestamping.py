"""Getting RFC 3161 timestamps for signed checkpoints, and keeping every attempt.

A checkpoint is signed whether or not the TSA answers: timestamping comes after
signing and never blocks it. Every attempt is stored in ``ledger_timestamps``
(migration 0007) with the token or the reason it failed. The checkpoint job
(every ``ledger.checkpoint_interval``) stamps the newest checkpoint and then
retries, oldest first, the checkpoints whose attempts all failed, until the TSA
answers; ``chanwatch evidence status`` lists those gaps.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import structlog

from storage.ledger.canonical import format_time
from storage.ledger.timestamp import TimestampError, Tsa, request
from storage.repos.records import TimestampAttempt
from storage.repos.transactional import Transactional

log = structlog.get_logger(__name__)

#: Earlier checkpoints retried per run of the job, at most.
RETRIES_PER_RUN = 10


async def stamp(
    store: Transactional, tsa: Tsa, checkpoint_id: int, note: str
) -> TimestampAttempt:
    """The checkpoint's token if it has one, else one attempt to get it (recorded)."""
    have = await store.snapshot(lambda tx: tx.timestamps.token_of(checkpoint_id))
    if have is not None:
        return have
    data = note.encode("utf-8")
    now = format_time(datetime.now(UTC))
    imprint = hashlib.sha256(data).digest()
    try:
        response, info = await asyncio.to_thread(request, tsa, data)
    except TimestampError as exc:
        attempt = TimestampAttempt(checkpoint_id, tsa.url, now, imprint, None, None, None,
                                   str(exc))
        log.warning("ledger.timestamp_failed", checkpoint=checkpoint_id, url=tsa.url,
                    error=str(exc), retry="at the next checkpoint job")
    else:
        attempt = TimestampAttempt(checkpoint_id, tsa.url, now, imprint, response,
                                   format_time(info.time), info.tsa, None)
        log.info("ledger.timestamped", checkpoint=checkpoint_id, time=attempt.gen_time,
                 tsa=info.tsa)
    await store.transaction(lambda tx: tx.timestamps.insert(attempt))
    return attempt


async def stamp_pending(
    store: Transactional, tsa: Tsa, checkpoint_id: int, note: str
) -> bool:
    """Stamp the newest checkpoint, then retry earlier ones still without a token
    (stopping at the first failure: the TSA is still down). True when the newest
    has its token."""
    newest = await stamp(store, tsa, checkpoint_id, note)
    if newest.response is None:
        return False
    gaps = await store.snapshot(lambda tx: tx.timestamps.gaps(RETRIES_PER_RUN))
    if not gaps:
        return True
    notes = {c.id: c.note for c in await store.snapshot(lambda tx: tx.checkpoints.list())}
    for gap in gaps:
        found = notes.get(gap.checkpoint_id)
        if found is None:
            continue
        if (await stamp(store, tsa, gap.checkpoint_id, found)).response is None:
            break
    return True
