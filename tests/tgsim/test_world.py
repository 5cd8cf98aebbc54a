"""World state and pts accounting (tgsim/world.py)."""

from __future__ import annotations

import pytest

from tgsim.world import Post, World, utcnow


@pytest.fixture
def world() -> World:
    """An empty dc-2 world."""
    return World(2, b"k" * 32)


def test_test_numbers_of_this_dc_only(world: World) -> None:
    """99966XYYYY is accepted only with X = the dc id and exactly four Y digits."""
    assert world.phone_ok("9996621234")
    assert not world.phone_ok("9996631234")
    assert not world.phone_ok("999662123")
    assert not world.phone_ok("+9996621234")


def test_pts_advances_like_telegram(world: World) -> None:
    """New post +1, edit +1, deleting N posts +N; the log answers events_after."""
    ch = world.create_channel("C", "chan_one", False, "")
    assert ch.pts == 1
    ids = []
    for text in ("a", "b", "c"):
        post = Post(world.next_id(ch), utcnow(), text)
        world.add_post(ch, post)
        ids.append(post.id)
    world.edit_post(ch, ids[0], "a2", [])
    event = world.delete_posts(ch, [ids[1], ids[2], 999])
    assert event is not None and (event.pts, event.pts_count) == (7, 2)
    assert ch.pts == 7
    assert [e.kind for e in ch.events_after(4)] == ["edit", "delete"]
    assert ch.events_after(7) == []
    assert world.delete_posts(ch, [999]) is None


def test_channel_validation(world: World) -> None:
    """Bad or duplicate usernames, private channels with usernames, bad invite hashes fail."""
    world.create_channel("A", "taken_name", False, "")
    with pytest.raises(ValueError, match="taken"):
        world.create_channel("B", "Taken_Name", False, "")
    with pytest.raises(ValueError, match="invalid channel username"):
        world.create_channel("B", "1bad", False, "")
    with pytest.raises(ValueError, match="private"):
        world.create_channel("B", "fine_name", True, "")
    with pytest.raises(ValueError, match="invite hash"):
        world.create_channel("B", None, True, "", invite_hash="bad hash!")


def test_membership_events_and_access(world: World) -> None:
    """Joins/leaves are recorded once; private channels are readable by members only."""
    acc = world.create_account("9996620001", "A")
    ch = world.create_channel("P", None, True, "")
    assert not world.can_read(ch, acc.user_id)
    assert world.join(ch, acc.user_id) and not world.join(ch, acc.user_id)
    assert world.can_read(ch, acc.user_id)
    assert world.leave(ch, acc.user_id) and not world.leave(ch, acc.user_id)
    assert world.events == [("join", ch.id, acc.user_id), ("leave", ch.id, acc.user_id)]
    assert world.resolve_user("+999 662 0001") == acc.user_id
    assert world.resolve_user(acc.user_id) == acc.user_id
    assert world.resolve_user("123") is None


def test_access_hashes_are_stable_per_secret() -> None:
    """Access hashes depend only on the secret and the object (stable across restarts)."""
    assert World(2, b"a" * 32).access_hash("channel", 5) == World(2, b"a" * 32).access_hash(
        "channel", 5
    )
    assert World(2, b"a" * 32).access_hash("channel", 5) != World(2, b"b" * 32).access_hash(
        "channel", 5
    )
