"""Layer-tolerant TL construction and serialization (tgsim/tlkit.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import types

from tgsim.tlkit import mk, parse_object, serialize_result


def test_mk_drops_unknown_and_fills_required_fields() -> None:
    """mk ignores fields this layer lacks and invents neutral required ones."""
    ch = mk(types.Channel, id=5, title="T", not_a_field_in_any_layer=1)
    assert ch.id == 5 and ch.title == "T"
    assert isinstance(ch.photo, types.ChatPhotoEmpty)
    assert isinstance(ch.date, dt.datetime)
    invite = mk(types.ChatInvite, title="x")
    assert invite.participants_count == 0 and invite.photo.id == 0
    assert parse_object(bytes(invite)).title == "x"


def test_mk_refuses_what_it_cannot_invent() -> None:
    """A required field of an unknown TL type is a TypeError, not a guess."""
    with pytest.raises(TypeError, match="cannot invent"):
        mk(types.UpdateNewChannelMessage, pts=1, pts_count=1)


def test_serialize_results() -> None:
    """Vectors, Bools and objects serialize the way Telethon's read_result expects."""
    users = [types.User(id=1), types.User(id=2)]
    with BinaryReader(serialize_result(users)) as reader:
        assert [u.id for u in reader.tgread_vector()] == [1, 2]
    with BinaryReader(serialize_result(True)) as reader:
        assert reader.tgread_bool() is True
    with BinaryReader(serialize_result(False)) as reader:
        assert reader.tgread_bool() is False
    assert serialize_result(types.PeerChannel(3)) == bytes(types.PeerChannel(3))
    with pytest.raises(TypeError):
        serialize_result(3.5)
