"""``chanwatch evidence status``: what is signed and what is timestamped.

The ledger's size, its latest checkpoint (and how many records are not signed
yet), the newest timestamp token, and every gap: a checkpoint whose timestamp
attempts all failed (the checkpoint job keeps retrying them), or a latest
checkpoint that has no token yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.repos import Transaction
from storage.repos.records import StoredCheckpoint, TimestampAttempt, TimestampGap


@dataclass
class LedgerStatus:
    records: int
    latest: StoredCheckpoint | None
    latest_token: TimestampAttempt | None
    newest_token: TimestampAttempt | None
    gaps: list[TimestampGap] = field(default_factory=list)

    @property
    def unstamped_latest(self) -> bool:
        return self.latest is not None and self.latest_token is None


async def ledger_status(tx: Transaction) -> LedgerStatus:
    latest = await tx.checkpoints.latest()
    return LedgerStatus(
        records=await tx.ledger.size(),
        latest=latest,
        latest_token=None if latest is None else await tx.timestamps.token_of(latest.id),
        newest_token=await tx.timestamps.latest_token(),
        gaps=await tx.timestamps.gaps(),
    )


def status_lines(status: LedgerStatus, tsa_url: str | None) -> list[str]:
    """What ``evidence status`` prints, one fact per line."""
    latest = status.latest
    if latest is None:
        lines = [f"ledger: {status.records} records; no checkpoint signed yet "
                 "(run `chanwatch evidence checkpoint`)"]
    else:
        unsigned = status.records - latest.tree_size
        lines = [f"ledger: {status.records} records; latest checkpoint #{latest.id}: size "
                 f"{latest.tree_size}, signed at {latest.signed_at}"
                 + (f" ({unsigned} records not signed yet)" if unsigned else "")]
    if tsa_url is None:
        lines.append("timestamps: off (setting ledger.timestamp.url)")
    else:
        lines.append(f"timestamps: TSA {tsa_url}")
    token = status.newest_token
    if token is not None:
        lines.append(f"newest timestamp: checkpoint #{token.checkpoint_id} at {token.gen_time} "
                     f"by {token.tsa_name}")
    if latest is not None and status.unstamped_latest and tsa_url is not None and not any(
            g.checkpoint_id == latest.id for g in status.gaps):
        lines.append(f"timestamp gap: checkpoint #{latest.id} (size {latest.tree_size}) has no "
                     "timestamp yet (no attempt so far)")
    for gap in status.gaps:
        lines.append(f"timestamp gap: checkpoint #{gap.checkpoint_id} (size {gap.tree_size}, "
                     f"signed at {gap.signed_at}) has no timestamp: {gap.attempts} attempt(s), "
                     f"the last at {gap.last_attempt}: {gap.last_error}; retried by the "
                     "checkpoint job")
    return lines
