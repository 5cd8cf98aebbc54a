"""The in-process scenario API (tgsim/server.py): argument checks and lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgsim import Server


async def test_start_reports_address_and_key(sim: Server) -> None:
    """start() returns a listening server with host, OS-chosen port, dc id and PEM key."""
    assert sim.host == "127.0.0.1" and sim.port > 0 and sim.dc_id == 2
    assert sim.public_key_pem.startswith("-----BEGIN RSA PUBLIC KEY-----")


async def test_bad_dc_id(tmp_path: Path) -> None:
    """dc ids outside 1..9 (the digit X of 99966XYYYY) are refused."""
    with pytest.raises(ValueError, match="dc_id"):
        await Server.start(tmp_path, dc_id=10)


async def test_channel_lookup_by_handle_id_or_username(sim: Server) -> None:
    """Channels can be named by handle, id or @username; unknown ones are KeyError."""
    ch = await sim.create_channel("Look", username="look_up")
    assert sim.channel(ch).id == sim.channel(ch.id).id == sim.channel("@look_up").id == ch.id
    with pytest.raises(KeyError, match="no such channel"):
        sim.channel("nothing_here")


async def test_post_argument_checks(sim: Server, jpeg: bytes) -> None:
    """Two kinds of media, bad albums, unknown forwards and bad media are refused."""
    ch = await sim.create_channel("Checks", username="checks_ch")
    with pytest.raises(ValueError, match="at most one"):
        await sim.post(ch, photo=jpeg, video=b"x")
    with pytest.raises(ValueError, match="2 to 10"):
        await sim.post_album(ch, [jpeg])
    with pytest.raises(KeyError):
        await sim.post(ch, forward_from=(ch, 42))
    with pytest.raises(ValueError, match="not a decodable image"):
        await sim.post(ch, photo=b"nope")
    with pytest.raises(ValueError, match="document must be"):
        await sim.post(ch, document=(b"data", "", "application/pdf"))
    with pytest.raises(KeyError):
        await sim.edit(ch, 99, text="x")
    assert ch.pts == 1  # nothing was posted


async def test_delete_unknown_ids_is_a_no_op(sim: Server) -> None:
    """Deleting ids that do not exist changes nothing (no pts, no update)."""
    ch = await sim.create_channel("Del", username="del_ch")
    await sim.post(ch, text="keep")
    await sim.delete(ch, [5, 6])
    assert ch.pts == 2
