"""Quirks of other server implementations (tgsim/quirks.py): getMessages sorted
and sparse, message ids with gaps, a server of an older layer; per server (the
constructor, a scenario's [quirks] table, the command line) and per test."""

from __future__ import annotations

import asyncio
import json
import struct
import sys
from pathlib import Path

import pytest
from telethon import errors, events
from telethon.tl import functions, types
from telethon.tl.alltlobjects import LAYER, tlobjects
from tgsim_support import ClientFactory, login, make_client, sim_phone, wait_for

from tgsim import Quirks, Server
from tgsim.quirks import as_older_layer, other_layer_user_id
from tgsim.scenario import ScenarioError, parse

REPO = Path(__file__).resolve().parents[2]


async def _raw_by_id(client: object, ch: object, ids: list[int]) -> list[object]:
    channel = types.InputChannel(ch.id, ch.access_hash)  # type: ignore[attr-defined]
    request = functions.channels.GetMessagesRequest(
        channel, [types.InputMessageID(i) for i in ids]
    )
    result = await client(request)  # type: ignore[operator]
    return list(result.messages)


def _shape(messages: list[object]) -> list[tuple[str, int]]:
    return [(type(m).__name__, int(m.id)) for m in messages]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ the options


def test_quirks_are_checked_on_every_assignment() -> None:
    """Wrong values are refused by the constructor and by a per-test assignment,
    naming the field; the defaults are Telegram's behaviour."""
    q = Quirks()
    assert (q.get_messages, q.message_ids, q.id_stride, q.layer) == (
        "in_order", "per_channel", 1, None)
    assert q.active == []
    with pytest.raises(ValueError, match="get_messages must be one of in_order, sorted_sparse"):
        Quirks(get_messages="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="id_stride must be a whole number"):
        q.id_stride = 0
    with pytest.raises(ValueError, match="id_stride"):
        q.id_stride = True
    with pytest.raises(ValueError, match=f"layer must be a layer number 1..{LAYER}"):
        q.layer = LAYER + 1
    with pytest.raises(ValueError, match="message_ids must be one of per_channel, shared"):
        q.message_ids = "global"  # type: ignore[assignment]
    assert q.active == []  # nothing was changed by the refused assignments
    q.message_ids = "shared"
    q.id_stride = 7
    assert q.active == ["message_ids=shared", "id_stride=7"]


def test_scenario_quirks_table() -> None:
    """A scenario's [quirks] table sets the server's quirks; a wrong key or value
    is refused naming it."""
    scenario = parse(
        "[quirks]\nget_messages = 'sorted_sparse'\nmessage_ids = 'shared'\nid_stride = 3\n"
        f"layer = {LAYER - 1}\n", Path("."))
    assert scenario.quirks == Quirks("sorted_sparse", "shared", 3, LAYER - 1)
    assert parse("", Path(".")).quirks is None
    with pytest.raises(ScenarioError, match="quirks: unknown key 'order'"):
        parse("[quirks]\norder = 'sorted'\n", Path("."))
    with pytest.raises(ScenarioError, match="quirks: id_stride must be a whole number"):
        parse("[quirks]\nid_stride = -2\n", Path("."))
    with pytest.raises(ScenarioError, match="quirks: must be a table"):
        parse("quirks = 3\n", Path("."))


def test_older_layer_answers_leave_the_world_unchanged() -> None:
    """as_older_layer swaps the constructor of every User in an answer and copies
    the containers it changes; the original objects serialize as before."""
    user = types.User(id=7, access_hash=1, first_name="A")
    answer = types.messages.ChannelMessages(
        pts=1, count=0, messages=[], topics=[], chats=[], users=[user])
    before = bytes(answer)
    old = as_older_layer(answer)
    assert bytes(answer) == before and answer.users[0] is user
    cid = other_layer_user_id()
    assert cid not in tlobjects
    assert bytes(old) != before
    assert struct.pack("<I", cid) in bytes(old)
    assert struct.pack("<I", types.User.CONSTRUCTOR_ID) not in bytes(old)
    assert as_older_layer([user])[0] is not user
    plain = types.messages.ChannelMessages(
        pts=1, count=0, messages=[], topics=[], chats=[], users=[])
    assert as_older_layer(plain) is plain  # nothing to change: not copied


# ------------------------------------------------------------------ getMessages


async def test_get_messages_sorted_sparse(sim: Server, new_client: ClientFactory) -> None:
    """By default one entry per requested id in request order (messageEmpty for a
    deleted or unknown id); with the quirk, switched on per test, sorted by id, each
    id once, without the missing ones, which is what Telethon's get_messages then
    hands on: fewer results than ids, in another order."""
    ch = await sim.create_channel("Sparse", username="sparse_ch")
    a, b, c = [await sim.post(ch, text=t) for t in ("a", "b", "c")]
    await sim.delete(ch, [b])
    client = await new_client(1)
    asked = [c, 99, a, b, c]
    assert _shape(await _raw_by_id(client, ch, asked)) == [
        ("Message", c), ("MessageEmpty", 99), ("Message", a), ("MessageEmpty", b),
        ("Message", c)]
    sim.quirks.get_messages = "sorted_sparse"
    assert _shape(await _raw_by_id(client, ch, asked)) == [("Message", a), ("Message", c)]
    entity = await client.get_entity("sparse_ch")
    got = await client.get_messages(entity, ids=[c, b, a])
    assert [m.id for m in got] == [a, c]
    assert _shape(await _raw_by_id(client, ch, [b, 99])) == []
    sim.quirks.get_messages = "in_order"
    got = await client.get_messages(entity, ids=[c, b, a])
    assert [m.id if m else None for m in got] == [c, None, a]


# ------------------------------------------------------------------ ids with gaps


async def test_shared_counter_and_stride(tmp_path: Path) -> None:
    """With one counter for all channels and a stride, a channel's ids have gaps;
    history paging both ways, getMessages, getFullChannel and live updates
    (getChannelDifference included) still work."""
    sim = await Server.start(tmp_path / "state",
                             quirks=Quirks(message_ids="shared", id_stride=3))
    try:
        one = await sim.create_channel("One", username="gap_one")
        two = await sim.create_channel("Two", username="gap_two")
        ids_one: list[int] = []
        ids_two: list[int] = []
        for i in range(130):
            ids_one.append(await sim.post(one, text=f"one {i}"))
            if i % 3 == 0:
                ids_two.append(await sim.post(two, text=f"two {i}"))
        assert ids_one[:4] == [1, 7, 10, 13] and ids_two[:2] == [4, 16]
        assert set(ids_one).isdisjoint(ids_two)
        client = make_client(sim, tmp_path / "gap.session")
        try:
            await login(client, sim_phone(sim.dc_id, 1))
            entity = await client.get_entity("gap_one")
            await client(functions.channels.JoinChannelRequest(entity))
            newest = [m.id async for m in client.iter_messages(entity, wait_time=0)]
            assert newest == ids_one[::-1]
            oldest = [m.id async for m in client.iter_messages(
                entity, reverse=True, min_id=ids_one[9], wait_time=0)]
            assert oldest == ids_one[10:]
            got = await client.get_messages(entity, ids=[ids_one[5], ids_two[0], ids_one[6]])
            assert [m.id if m else None for m in got] == [ids_one[5], None, ids_one[6]]
            full = await client(functions.channels.GetFullChannelRequest(entity))
            assert full.full_chat.read_inbox_max_id == ids_one[-1]

            seen: list[int] = []
            client.add_event_handler(lambda e: seen.append(e.message.id), events.NewMessage())
            await client.get_dialogs()
            live = await sim.post(one, text="live")
            await wait_for(lambda: live in seen, timeout=10)
            before = set(sim.hub.connections)
            sim.drop_connections()  # missed while away: recovered through the pts gap
            missed = await sim.post(one, text="missed")
            await wait_for(lambda: bool(sim.hub.connections - before), timeout=10)
            after = await sim.post(one, text="after")
            await wait_for(lambda: {missed, after} <= set(seen), timeout=20)
            assert after - missed == 3 and missed - live == 3
        finally:
            await client.disconnect()
    finally:
        await sim.stop()


async def test_switching_id_modes_never_goes_back(sim: Server) -> None:
    """Ids of a channel keep increasing when the id quirks change during a test."""
    a = await sim.create_channel("A", username="mode_a")
    b = await sim.create_channel("B", username="mode_b")
    first = [await sim.post(a, text="1"), await sim.post(a, text="2")]
    sim.quirks.message_ids = "shared"
    sim.quirks.id_stride = 10
    shared = [await sim.post(b, text="3"), await sim.post(a, text="4")]
    sim.quirks.message_ids = "per_channel"
    sim.quirks.id_stride = 1
    back = [await sim.post(b, text="5"), await sim.post(a, text="6")]
    assert first == [1, 2]
    assert shared == [1, 11]
    assert back == [2, 12]


# ------------------------------------------------------------------ older layer


async def test_older_layer_server_fails_a_newer_client(tmp_path: Path) -> None:
    """A server of an older layer: signing in with the installed (newer) Telethon
    fails with TypeNotFoundError on the user object, as against a real one; the
    connection stays usable. Serving the client's own layer, it works."""
    sim = await Server.start(tmp_path / "state", quirks=Quirks(layer=LAYER - 1))
    try:
        client = make_client(sim, tmp_path / "old.session")
        try:
            with pytest.raises(errors.TypeNotFoundError) as caught:
                await login(client, sim_phone(sim.dc_id, 1))
            assert caught.value.invalid_constructor_id == other_layer_user_id()
            config = await client(functions.help.GetConfigRequest())  # no user in it
            assert config.this_dc == sim.dc_id
            # The server did sign the number up: only the client could not read it.
            assert sim.user_id(sim_phone(sim.dc_id, 1)) is not None
            sim.quirks.layer = LAYER  # the client's layer: pinned to a matching Telethon
            me = await client.get_me()
            assert me.phone == sim_phone(sim.dc_id, 1)
            sim.quirks.layer = LAYER - 30
            with pytest.raises(errors.TypeNotFoundError):
                await client.get_me()
            sim.quirks.layer = None
            assert (await client.get_me()).id == me.id
        finally:
            await client.disconnect()
    finally:
        await sim.stop()


# ------------------------------------------------------------------ command line


async def test_cli_quirk_options(tmp_path: Path) -> None:
    """The quirk options reach the server (and its info file) over the scenario's
    table; a wrong one exits with status 2 naming the option."""
    scenario = tmp_path / "s.toml"
    scenario.write_text("[quirks]\nget_messages = 'sorted_sparse'\nid_stride = 2\n")
    info_path = tmp_path / "info.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgsim", "--state-dir", str(tmp_path / "state"),
        "--info-file", str(info_path), "--scenario", str(scenario),
        "--message-ids", "shared", "--id-stride", "5", "--log-level", "warning",
        cwd=REPO, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_for(info_path.exists, timeout=30)
        info = json.loads(info_path.read_text())
        assert info["quirks"] == {"get_messages": "sorted_sparse", "message_ids": "shared",
                                  "id_stride": 5, "layer": None}
    finally:
        proc.terminate()
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()

    bad = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgsim", "--state-dir", str(tmp_path / "s2"),
        "--info-file", str(tmp_path / "i2.json"), "--layer", "0",
        cwd=REPO, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(bad.communicate(), 30)
    assert bad.returncode == 2
    assert "--layer: layer must be a layer number" in stderr.decode()
    assert not (tmp_path / "i2.json").exists()
