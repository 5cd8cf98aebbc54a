"""The history sweep (monitor/sweep.py) against tgsim, with and without the
quirks of an independent server: old deletions and edits are found, progress
survives a restart, the authorization decides what is recorded, one failing
channel does not hold up the others."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from quirk_support import QUIRKS, Rig, recorded_channel, rig
from structlog.testing import capture_logs
from telethon.tl.types import InputPeerChannel

from monitor.history_check import OnceLog
from monitor.revisit import AuthorityOf
from monitor.sweep import HistorySweep
from storage.ledger import canonical
from storage.models import Authority
from tgsim import Quirks


def sweeper(r: Rig, peers: dict[int, Any], *, batch: int = 50,
            authority_of: AuthorityOf | None = None, interval: float = 0.01) -> HistorySweep:
    return HistorySweep(r.client, r.store, r.pipeline, account="a", peers=lambda: peers,
                        lock_of=lambda _cid: None, authority_of=authority_of, batch=batch,
                        interval=interval, once=OnceLog())


async def _deleted_records(r: Rig) -> list[dict[str, Any]]:
    rows = await r.store.snapshot(lambda tx: tx.ledger.rows(types=["post.deleted"]))
    return [canonical.loads(row.record) for row in rows]


@pytest.mark.parametrize("preset", list(QUIRKS))
async def test_old_deletions_and_edits_are_found_and_a_restart_resumes(
    tmp_path: Path, preset: str
) -> None:
    """130 stored posts, 50 a batch: the first batch (the newest posts) finds a
    deletion there; a new sweep (a restart) continues below it, finds an old
    deletion and an old edit, and ends the pass with one log line and its counts."""
    async with rig(tmp_path, QUIRKS[preset]) as r:
        ch, peer, ids = await recorded_channel(r, "old_chan", 130)
        await r.sim.delete(ch, [ids[3], ids[100]])
        await r.sim.edit(ch, ids[10], text="v2 10")
        first = sweeper(r, {ch.id: peer})
        requests = await first.step()
        p = await r.store.sweep_progress(ch.id)
        assert p is not None and (p.pass_no, p.below, p.checked, p.deleted) == (1, ids[80], 50, 1)
        sparse = QUIRKS[preset].get_messages == "sorted_sparse"
        assert requests == (2 if sparse else 1)  # a left-out id costs a history page
        post = await r.store.get_post(ch.id, ids[3])
        assert post is not None and post["deleted_at"] is None  # not reached yet

        again = sweeper(r, {ch.id: peer})  # the monitor restarted
        with capture_logs() as logs:
            assert await again.step() == 1  # ids[30..79]: nothing gone, one request
            await again.step()  # ids[0..29]: fewer than a batch, the pass ends
        p = await r.store.sweep_progress(ch.id)
        assert p is not None
        assert (p.pass_no, p.below, p.last_pass_checked, p.last_pass_deleted) == (1, None, 130, 2)
        passes = [e for e in logs if e["event"] == "history_sweep_pass"]
        assert [(e["pass_no"], e["checked"], e["deleted"]) for e in passes] == [(1, 130, 2)]
        assert not [e for e in logs if e["log_level"] in ("warning", "error")]
        for mid in (ids[3], ids[100]):
            post = await r.store.get_post(ch.id, mid)
            assert post is not None and post["deleted_at"] is not None
        edited = await r.store.get_post(ch.id, ids[10])
        assert edited is not None and [e["previous_text"] for e in edited["edits"]] == ["v1 10"]

        # The next pass starts at the newest post again and finds nothing new.
        await again.step()
        p = await r.store.sweep_progress(ch.id)
        assert p is not None and (p.pass_no, p.checked, p.deleted) == (2, 50, 0)


async def test_deletions_only_under_a_valid_authorization(tmp_path: Path) -> None:
    """Without a valid authorization for the channel nothing is marked (the next
    pass looks again); with one, the deletion's ledger record names it."""
    async with rig(tmp_path, Quirks()) as r:
        ch, peer, ids = await recorded_channel(r, "authz_chan", 5)
        await r.sim.delete(ch, [ids[0]])
        authority: Authority | None = None

        async def authority_of(_channel: int) -> Authority | None:
            return authority

        sweep = sweeper(r, {ch.id: peer}, authority_of=authority_of)
        with capture_logs() as logs:
            await sweep.step()
        assert [e["why"] for e in logs if e["event"] == "deletion_not_recorded"] == [
            "no valid authorization"]
        post = await r.store.get_post(ch.id, ids[0])
        assert post is not None and post["deleted_at"] is None
        p = await r.store.sweep_progress(ch.id)
        assert p is not None and p.last_pass_deleted == 0

        authority = Authority(7, "K-7")
        await sweep.step()
        post = await r.store.get_post(ch.id, ids[0])
        assert post is not None and post["deleted_at"] is not None
        assert [(x["message"], x["authorization"], x["case"])
                for x in await _deleted_records(r)] == [(str(ids[0]), "7", "K-7")]


async def test_a_failing_channel_backs_off_and_the_others_go_on(tmp_path: Path) -> None:
    """A channel Telegram refuses (here: a wrong access hash) is logged once and
    backs off; the other channel is swept and its deletion recorded meanwhile."""
    async with rig(tmp_path, Quirks()) as r:
        good, good_peer, good_ids = await recorded_channel(r, "good_chan", 3)
        bad, _, _ = await recorded_channel(r, "bad_chan", 3)
        await r.sim.delete(good, [good_ids[1]])
        peers = {good.id: good_peer, bad.id: InputPeerChannel(bad.id, bad.access_hash + 1)}
        sweep = sweeper(r, peers, interval=0.001)
        with capture_logs() as logs:
            for _ in range(30):
                await sweep.step()
                await asyncio.sleep(0.002)
        failed = [e for e in logs if e["event"] == "history_sweep_failed"]
        assert failed and {e["channel_id"] for e in failed} == {bad.id}
        assert [e["log_level"] for e in failed].count("warning") == 1
        assert len(failed) < 30  # backed off: not tried at every step
        post = await r.store.get_post(good.id, good_ids[1])
        assert post is not None and post["deleted_at"] is not None
        progress = await r.store.sweep_progress(good.id)
        assert progress is not None and progress.pass_no > 1


async def test_channels_take_turns_and_empty_ones_cost_nothing(tmp_path: Path) -> None:
    """An open pass goes on first, then the channel swept least recently; a channel
    with nothing stored ends its pass at once without a request or a log line; a
    batch of 0 switches the sweep off."""
    async with rig(tmp_path, Quirks()) as r:
        a, a_peer, _ = await recorded_channel(r, "turn_a", 7)
        b, b_peer, _ = await recorded_channel(r, "turn_b", 2)
        empty = await r.sim.create_channel("Empty", username="turn_empty")
        peers = {a.id: a_peer, b.id: b_peer,
                 empty.id: InputPeerChannel(empty.id, empty.access_hash)}
        sweep = sweeper(r, peers, batch=3)
        order = []
        with capture_logs() as logs:
            for _ in range(6):
                before = {p.channel_id: p.updated_at for p in await r.store.list_sweep_progress()}
                requests = await sweep.step()
                after = {p.channel_id: p.updated_at for p in await r.store.list_sweep_progress()}
                moved = [c for c in after if before.get(c) != after[c]]
                order.append((moved, requests))
        assert order == [
            ([a.id], 1), ([a.id], 1), ([a.id], 1),  # 3 + 3 + 1: a's pass runs to its end
            ([b.id], 1),  # never swept: next
            ([empty.id], 0),  # nothing stored: the pass ends without a request
            ([a.id], 1),  # swept least recently
        ]
        assert [e["channel_id"] for e in logs if e["event"] == "history_sweep_pass"] == [
            a.id, b.id]
        off = sweeper(r, peers, batch=0)
        off.start()
        assert not off.running
        await off.stop()
        on = sweeper(r, peers, interval=60)
        on.start()
        assert on.running
        await on.stop()
        assert not on.running
