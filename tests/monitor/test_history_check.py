"""Reading getMessages answers by message id (monitor/history_check.py) against
tgsim with and without the quirks of an independent server, and against
answers no server should give."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from quirk_support import QUIRKS, recorded_channel, rig
from structlog.testing import capture_logs
from telethon.errors import RPCError
from telethon.tl import types

from monitor.history_check import Checked, OnceLog, check_ids, sort_answer
from tgsim import Quirks

CHANNEL = 1900000001


@pytest.mark.parametrize("preset", list(QUIRKS))
async def test_found_gone_and_never_by_position(tmp_path: Path, preset: str) -> None:
    """Whatever order and completeness the answer has, every id lands where it
    belongs: existing posts found (with their own text), deleted ones gone, with
    the evidence the server gave (messageEmpty, or absence from the history)."""
    async with rig(tmp_path, QUIRKS[preset]) as r:
        ch, peer, ids = await recorded_channel(r, "byid_chan", 12)
        gone = [ids[1], ids[5], ids[6], ids[11]]
        await r.sim.delete(ch, gone)
        asked = list(reversed(ids))  # asked newest first: an in-order answer is reversed too
        checked = await check_ids(r.client, peer, ch.id, asked, once=OnceLog())
        assert sorted(checked.found) == sorted(set(ids) - set(gone))
        assert all(m.message == f"v1 {ids.index(mid)}" for mid, m in checked.found.items())
        assert sorted(checked.gone) == sorted(gone)
        evidence = "history" if QUIRKS[preset].get_messages == "sorted_sparse" else "message_empty"
        assert set(checked.gone.values()) == {evidence}
        assert checked.unsettled == set() and checked.unexpected == []
        # One getMessages; a sparse answer costs one history page more.
        assert checked.requests == (2 if evidence == "history" else 1)


async def test_more_than_one_chunk_and_a_long_history(tmp_path: Path) -> None:
    """250 ids are asked in chunks of 100; the ids left out of a sparse answer are
    settled by a history listing over several pages."""
    async with rig(tmp_path, Quirks(get_messages="sorted_sparse")) as r:
        ch, peer, ids = await recorded_channel(r, "long_chan", 250)
        gone = [ids[0], ids[120], ids[249]]
        await r.sim.delete(ch, gone)
        checked = await check_ids(r.client, peer, ch.id, ids, once=OnceLog())
        assert sorted(checked.gone) == gone and len(checked.found) == 247
        # Three chunks; four history pages: 247 posts in three, and an empty one
        # showing the listing reached the channel's first post.
        assert checked.requests == 3 + 4


async def test_a_failing_server_raises_and_nothing_is_settled(tmp_path: Path) -> None:
    """An RPC error on the history listing is the caller's to handle (revisit and
    sweep log it once): nothing is called deleted on a half answer."""
    async with rig(tmp_path, Quirks(get_messages="sorted_sparse")) as r:
        ch, peer, ids = await recorded_channel(r, "fail_chan", 5)
        await r.sim.delete(ch, [ids[2]])
        r.sim.faults.add(request="GetHistoryRequest", error="PEER_ID_INVALID", times=1)
        with pytest.raises(RPCError):
            await check_ids(r.client, peer, ch.id, ids, once=OnceLog())
        again = await check_ids(r.client, peer, ch.id, ids, once=OnceLog())
        assert list(again.gone) == [ids[2]]


def _msg(mid: int, channel: int = CHANNEL, text: str = "t") -> types.Message:
    return types.Message(id=mid, peer_id=types.PeerChannel(channel),
                         date=datetime(2026, 1, 1, tzinfo=UTC), message=text)


def test_answers_no_server_should_give() -> None:
    """Ids not asked for, another chat's messages, a service message where a post
    was stored and contradicting entries are unexpected: none is taken for a
    deletion, contradictions stay unsettled, and the rest is still read."""
    out = Checked()
    service = types.MessageService(
        id=4, peer_id=types.PeerChannel(CHANNEL), date=datetime(2026, 1, 1, tzinfo=UTC),
        action=types.MessageActionPinMessage())
    answer = [
        _msg(9),                                    # not asked
        _msg(2, channel=CHANNEL + 1),               # another chat
        service,                                    # not a post
        _msg(3), types.MessageEmpty(id=3, peer_id=None),          # contradicting
        types.MessageEmpty(id=5, peer_id=types.PeerChannel(CHANNEL + 1)),  # other chat's
        types.MessageEmpty(id=6, peer_id=None), _msg(1, text="one"),
    ]
    sort_answer(answer, {1, 2, 3, 4, 5, 6}, CHANNEL, out)
    assert {m: msg.message for m, msg in out.found.items()} == {1: "one"}
    assert out.gone == {6: "message_empty"}
    assert out.unsettled == {3, 4}
    assert len(out.unexpected) == 5


def test_once_log_warns_once_until_cleared() -> None:
    once = OnceLog()
    with capture_logs() as logs:
        assert once.warning((1, "x"), "thing_failed", channel_id=1)
        assert not once.warning((1, "x"), "thing_failed", channel_id=1)
        assert once.warning((2, "x"), "thing_failed", channel_id=2)
        assert once.clear((1, "x")) and not once.clear((1, "x"))
        assert once.warning((1, "x"), "thing_failed", channel_id=1)
    assert [(e["log_level"], e["channel_id"]) for e in logs] == [
        ("warning", 1), ("debug", 1), ("warning", 2), ("warning", 1)]
