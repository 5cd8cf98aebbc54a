"""Who gets which pushed update (tgsim/hub.py), with recording stand-in connections."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from telethon.tl import types

from tgsim.faults import Faults
from tgsim.hub import Hub
from tgsim.session import AuthKey
from tgsim.world import Post, World, utcnow


class _Recorder:
    """Stands in for a live connection (the hub only needs key, no_updates, push)."""

    def __init__(self, user_id: int | None, no_updates: bool = False) -> None:
        self.key: AuthKey | None = AuthKey(b"k" * 256, 0, user_id)
        self.no_updates = no_updates
        self.pushed: list[Any] = []

    def push(self, updates: Any) -> None:
        self.pushed.append(updates)


class _Key:
    fingerprint = 0
    public_pem = ""


@pytest.fixture
def hub() -> Hub:
    """A hub over an empty world."""
    return Hub(World(2, b"s" * 32), Faults(), _Key(), structlog.get_logger())  # type: ignore[arg-type]


def test_pushes_reach_members_only(hub: Hub) -> None:
    """Members get the update; outsiders, banned users, no-updates and anonymous keys do not."""
    world = hub.world
    member, outsider, banned = (world.create_account(f"999662000{i}", "U") for i in range(3))
    ch = world.create_channel("C", "chan_c", False, "")
    world.join(ch, member.user_id)
    world.join(ch, banned.user_id)
    ch.banned.add(banned.user_id)
    conns = {
        "member": _Recorder(member.user_id),
        "member_quiet": _Recorder(member.user_id, no_updates=True),
        "outsider": _Recorder(outsider.user_id),
        "banned": _Recorder(banned.user_id),
        "anonymous": _Recorder(None),
    }
    hub.connections.update(conns.values())
    event = world.add_post(ch, Post(world.next_id(ch), utcnow(), "hi"))
    hub.push_event(ch, event)
    assert {name for name, c in conns.items() if c.pushed} == {"member"}
    (updates,) = conns["member"].pushed
    (update,) = updates.updates
    assert isinstance(update, types.UpdateNewChannelMessage)
    assert (update.pts, update.pts_count, update.message.message) == (2, 1, "hi")
    assert [c.id for c in updates.chats] == [ch.id]


def test_several_events_share_one_updates(hub: Hub) -> None:
    """push_events sends an album's posts in a single Updates, in order."""
    world = hub.world
    acc = world.create_account("9996620001", "U")
    ch = world.create_channel("C", "chan_c", False, "")
    world.join(ch, acc.user_id)
    conn = _Recorder(acc.user_id)
    hub.connections.add(conn)
    events = [world.add_post(ch, Post(world.next_id(ch), utcnow(), str(i))) for i in range(3)]
    hub.push_events(ch, events)
    (updates,) = conn.pushed
    assert [u.pts for u in updates.updates] == [2, 3, 4]


def test_delete_update_carries_count(hub: Hub) -> None:
    """A deletion of two posts pushes UpdateDeleteChannelMessages with pts_count 2."""
    world = hub.world
    acc = world.create_account("9996620001", "U")
    ch = world.create_channel("C", "chan_c", False, "")
    world.join(ch, acc.user_id)
    ids = []
    for text in "ab":
        post = Post(world.next_id(ch), utcnow(), text)
        world.add_post(ch, post)
        ids.append(post.id)
    conn = _Recorder(acc.user_id)
    hub.connections.add(conn)
    event = world.delete_posts(ch, ids)
    assert event is not None
    hub.push_event(ch, event)
    (update,) = conn.pushed[0].updates
    assert isinstance(update, types.UpdateDeleteChannelMessages)
    assert (update.messages, update.pts, update.pts_count) == (ids, 5, 2)
