"""World objects as TL objects (tgsim/render.py)."""

from __future__ import annotations

from telethon.tl import types

from tgsim import render
from tgsim.world import Post, World, utcnow


def test_channel_view_depends_on_viewer() -> None:
    """Members see left=False, others left=True, banned users ChannelForbidden."""
    world = World(2, b"s" * 32)
    acc = world.create_account("9996620001", "A")
    ch = world.create_channel("C", "chan_x", False, "")
    assert render.channel(ch, acc.user_id).left is True
    world.join(ch, acc.user_id)
    shown = render.channel(ch, acc.user_id)
    assert shown.left is False and shown.broadcast and shown.username == "chan_x"
    ch.banned.add(acc.user_id)
    assert isinstance(render.channel(ch, acc.user_id), types.ChannelForbidden)


def test_user_phone_only_for_self() -> None:
    """The phone number and the self flag appear only in the user's own view."""
    world = World(2, b"s" * 32)
    acc = world.create_account("9996620001", "A")
    assert render.user(acc, acc.user_id).phone == "9996620001"
    other = render.user(acc, 123)
    assert other.phone is None and not other.is_self


def test_forwarded_message_names_source() -> None:
    """A forwarded post renders fwd_from with the source channel and its post id."""
    world = World(2, b"s" * 32)
    src = world.create_channel("S", "src_chan", False, "")
    dst = world.create_channel("D", "dst_chan", False, "")
    date = utcnow()
    post = Post(1, date, "t", fwd_from=(src.id, 7, date, "sig"))
    msg = render.message(world, dst, post)
    assert msg.post and msg.peer_id == types.PeerChannel(dst.id)
    assert msg.fwd_from.from_id == types.PeerChannel(src.id)
    assert msg.fwd_from.channel_post == 7 and msg.fwd_from.post_author == "sig"
    assert [c.id for c in render.chats_for(world, [post], dst, None)] == [dst.id, src.id]
