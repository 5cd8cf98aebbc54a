"""``chanwatch sweep``: where the history sweep of each channel stands.

The running monitor re-checks every stored post of each watched channel, one
channel after another (:mod:`monitor.sweep`), and writes its progress after
every batch. This command only reads that progress: per channel the pass
number, whether a pass is open and how far it got (``below``: it continues
with posts under that message id), posts checked and deletions found in it,
and the same for the last complete pass.
"""

from __future__ import annotations

import argparse
from typing import Any

from monitor.cli.common import CliContext, SubParsers, add_json_flag, emit_list, open_store

COLUMNS = (
    "channel_id", "title", "stored", "pass", "state", "checked", "deleted", "below",
    "last_pass_at", "last_pass_checked", "last_pass_deleted",
)


def register(sub: SubParsers) -> None:
    parser = sub.add_parser("sweep", help="progress of the history sweep, per channel")
    add_json_flag(parser)
    parser.set_defaults(func=cmd_sweep, quiet=True)


async def cmd_sweep(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        progress = {p.channel_id: p for p in await store.list_sweep_progress()}
        channel_ids = sorted(set(progress) | await store.watched_channel_ids())
        rows: list[dict[str, Any]] = []
        for cid in channel_ids:
            channel = await store.get_channel(cid)
            p = progress.get(cid)
            row: dict[str, Any] = {
                "channel_id": cid,
                "title": channel.title if channel is not None else None,
                "stored": await store.count_posts(cid),
                "state": "not started",
            }
            if p is not None:
                row.update({
                    "pass": p.pass_no,
                    "state": "checking" if p.below is not None else "between passes",
                    "checked": p.checked,
                    "deleted": p.deleted,
                    "below": p.below,
                    "pass_started_at": p.pass_started_at,
                    "updated_at": p.updated_at,
                    "last_pass_at": p.last_pass_at,
                    "last_pass_checked": p.last_pass_checked,
                    "last_pass_deleted": p.last_pass_deleted,
                })
            rows.append(row)
    emit_list(args, ctx, rows, COLUMNS, empty="no watched channels")
    return 0
