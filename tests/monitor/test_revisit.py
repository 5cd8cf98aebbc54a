"""Revisiting recent posts: edits and deletions that came with no update."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from quirk_support import QUIRKS, recorded_channel, rig
from structlog.testing import capture_logs
from telethon.errors import RPCError

from monitor.revisit import record_deletions, revisit
from storage.ledger import canonical
from storage.models import Authority, PostRecord
from storage.sqlite import SQLiteStore


@pytest.mark.parametrize("preset", list(QUIRKS))
async def test_revisit_records_missed_edit_and_deletion(tmp_path: Path, preset: str) -> None:
    """Posts stored earlier are fetched again by id and the answer is read by id,
    whatever its order and completeness: an edit goes through the pipeline
    (previous text kept) for the right post, a deleted post is marked, an
    unchanged one is left alone, and nothing is logged as unexpected."""
    async with rig(tmp_path, QUIRKS[preset]) as r:
        ch, peer, ids = await recorded_channel(r, "rev_chan", 6)
        await r.sim.edit(ch, ids[4], text="v2 4")
        await r.sim.delete(ch, [ids[1], ids[2]])
        with capture_logs() as logs:
            result = await revisit(r.client, r.store, r.pipeline, channel_id=ch.id,
                                   peer=peer, account="a")
        assert (result.edited, result.deleted) == ((ids[4],), (ids[1], ids[2]))
        edited = await r.store.get_post(ch.id, ids[4])
        assert edited is not None and edited["text"] == "v2 4"
        assert [e["previous_text"] for e in edited["edits"]] == ["v1 4"]
        for mid in (ids[0], ids[3], ids[5]):
            kept = await r.store.get_post(ch.id, mid)
            assert kept is not None and kept["deleted_at"] is None and not kept["edits"]
        for mid in (ids[1], ids[2]):
            gone = await r.store.get_post(ch.id, mid)
            assert gone is not None and gone["deleted_at"] is not None
        assert not [e for e in logs if e["log_level"] in ("warning", "error")]
        again = await revisit(r.client, r.store, r.pipeline, channel_id=ch.id, peer=peer,
                              account="a")
        assert (again.edited, again.deleted) == ((), ())


async def test_revisit_does_not_take_silence_for_a_deletion(tmp_path: Path) -> None:
    """A post the server leaves out of a sparse answer and whose history cannot be
    listed is neither deleted nor fatal: it stays unsettled for the next time."""
    async with rig(tmp_path, QUIRKS["sorted_sparse"]) as r:
        ch, peer, ids = await recorded_channel(r, "silent_chan", 3)
        await r.sim.delete(ch, [ids[1]])
        # The history listing that would settle the left-out id fails once.
        r.sim.faults.add(request="GetHistoryRequest", error="PEER_ID_INVALID", times=1)
        with pytest.raises(RPCError):
            await revisit(r.client, r.store, r.pipeline, channel_id=ch.id, peer=peer,
                          account="a")
        post = await r.store.get_post(ch.id, ids[1])
        assert post is not None and post["deleted_at"] is None
        result = await revisit(r.client, r.store, r.pipeline, channel_id=ch.id, peer=peer,
                               account="a")
        assert result.deleted == (ids[1],)


async def test_deletions_recorded_only_under_an_authority(tmp_path: Path) -> None:
    """record_deletions marks posts deleted with the channel's authority in their
    post.deleted records; when the authority hook finds none, nothing is marked."""
    store = SQLiteStore(tmp_path / "d.db")
    await store.open()
    try:
        when = datetime(2026, 1, 1, tzinfo=UTC)
        for mid in (1, 2):
            await store.record_post(PostRecord(
                100, mid, when, "text", None, None, None, None, None, None, None, None, None,
                None, "[]", (), (), when, "acct",
            ))

        async def none(_channel: int) -> Authority | None:
            return None

        async def k1(_channel: int) -> Authority | None:
            return Authority(3, "K-1")

        assert await record_deletions(store, 100, [1], none) is None
        assert (await store.get_post(100, 1) or {})["deleted_at"] is None
        assert await record_deletions(store, 100, [1, 2], k1) == 2

        rows = await store.snapshot(lambda tx: tx.ledger.rows(types=["post.deleted"]))
        found = [canonical.loads(r.record) for r in rows]
        assert [(r["message"], r["authorization"], r["case"]) for r in found] == [
            ("1", "3", "K-1"), ("2", "3", "K-1")]
    finally:
        await store.close()
