"""Interactive login against tgsim: sign-in, sign-up, wrong codes, the session
file's mode, string sessions."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from layer_support import serve_an_older_layer
from telethon.tl.alltlobjects import LAYER
from tgsim_support import API_HASH, API_ID, make_client, sim_phone

from monitor.telegram.client import ClientConfig, ServerSpec, SessionError, build_client
from monitor.telegram.layer import LayerMismatchError
from monitor.telegram.login import Ask, LoginError, login
from tgsim import Server


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


def _config(sim: Server, **kw: object) -> ClientConfig:
    server = ServerSpec(sim.dc_id, sim.host, sim.port, sim.public_key_pem)
    return ClientConfig(api_id=API_ID, api_hash=API_HASH, server=server, **kw)  # type: ignore[arg-type]


def _script(answers: list[str]) -> tuple[Ask, list[str]]:
    asked: list[str] = []
    it: Iterator[str] = iter(answers)

    async def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(it)

    return ask, asked


async def test_sign_up_then_sign_in_writes_private_session(sim: Server, tmp_path: Path) -> None:
    """A new test number signs up (when allowed); the session file is 0600 and a
    second login sees it is already logged in without asking anything."""
    cfg = _config(sim, session_file=tmp_path / "acct.session")
    ask, asked = _script([str(sim.dc_id) * 5, "Anna"])
    result = await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 7),
                         allow_sign_up=True)
    assert not result.already and result.name == "Anna"
    assert result.user_id == sim.user_id(sim_phone(sim.dc_id, 7))
    assert stat.S_IMODE((tmp_path / "acct.session").stat().st_mode) == 0o600
    assert len(asked) == 2

    ask2, asked2 = _script([])
    again = await login(cfg, ask=ask2, ask_secret=ask2)
    assert again.already and again.user_id == result.user_id and asked2 == []
    client = build_client(cfg)
    await client.connect()
    try:
        assert await client.is_user_authorized()
    finally:
        await client.disconnect()


async def test_wrong_code_is_asked_again(sim: Server, tmp_path: Path) -> None:
    """A wrong login code is refused and asked for again."""
    cfg = _config(sim, session_file=tmp_path / "acct.session")
    code = str(sim.dc_id) * 5
    ask, asked = _script(["00000", code, "Ben"])
    result = await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 8),
                         allow_sign_up=True)
    assert result.user_id > 0
    assert asked.count("Login code Telegram sent you: ") == 2


async def test_unknown_number_without_sign_up(sim: Server, tmp_path: Path) -> None:
    """A number with no account is a clear error unless sign-up was asked for."""
    cfg = _config(sim, session_file=tmp_path / "acct.session")
    ask, _ = _script([str(sim.dc_id) * 5])
    with pytest.raises(LoginError, match="has no Telegram account"):
        await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 9))


async def test_invalid_phone(sim: Server, tmp_path: Path) -> None:
    """A number the server refuses is a clear error."""
    cfg = _config(sim, session_file=tmp_path / "acct.session")
    ask, _ = _script([])
    with pytest.raises(LoginError, match="not a valid phone number"):
        await login(cfg, ask=ask, ask_secret=ask, phone="12345")


async def test_readable_session_file_is_refused(sim: Server, tmp_path: Path) -> None:
    """Login refuses to use a session file others can read."""
    path = tmp_path / "shared.session"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    ask, _ = _script([])
    with pytest.raises(SessionError, match="chmod 600"):
        await login(_config(sim, session_file=path), ask=ask, ask_secret=ask)


async def test_string_session(sim: Server) -> None:
    """With a string session nothing is written and the string logs in again."""
    ask, _ = _script([str(sim.dc_id) * 5, "Cleo"])
    result = await login(_config(sim, session_string=""), ask=ask, ask_secret=ask,
                         phone=sim_phone(sim.dc_id, 6), allow_sign_up=True)
    assert result.session_string
    client = build_client(_config(sim, session_string=result.session_string))
    await client.connect()
    try:
        me = await client.get_me()
        assert me.id == result.user_id
    finally:
        await client.disconnect()


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "tgsim-state")


async def test_layer_mismatch_is_one_clear_error_and_leaves_no_file(
    sim: Server, tmp_path: Path
) -> None:
    """Against a server of an older layer, login names both layers and what to
    do, and no session file (nor a half-made one) is left behind; a retry says
    the same, not an unpacking error."""
    serve_an_older_layer(sim)
    cfg = _config(sim, session_file=tmp_path / "acct.session")
    for _ in range(2):
        ask, asked = _script([])
        with pytest.raises(LayerMismatchError) as caught:
            await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 7))
        message = str(caught.value)
        assert "\n" not in message
        assert "an older layer" in message and f"layer {LAYER}" in message
        assert "020b1422" in message and "pin Telethon" in message
        assert asked == []
        assert _files(tmp_path) == []


async def test_failed_login_leaves_no_session_file(sim: Server, tmp_path: Path) -> None:
    """A login that fails (three wrong codes) leaves no session file."""
    cfg = _config(sim, session_file=tmp_path / "acct.session")
    ask, _ = _script(["00000", "11111", "00000"])
    with pytest.raises(LoginError, match="three times"):
        await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 7),
                    allow_sign_up=True)
    assert _files(tmp_path) == []


async def test_half_made_session_is_removed_on_failure_and_replaced_on_success(
    sim: Server, tmp_path: Path
) -> None:
    """A session file that connected once but never logged in (what a failed
    login used to leave) goes when the next login fails, and is replaced by a
    logged-in one when it succeeds."""
    path = tmp_path / "acct.session"
    half = make_client(sim, path)
    await half.connect()  # an auth key, no account
    await half.disconnect()
    os.chmod(path, 0o600)
    cfg = _config(sim, session_file=path)
    ask, _ = _script(["00000", "11111", "00000"])
    with pytest.raises(LoginError):
        await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 5),
                    allow_sign_up=True)
    assert _files(tmp_path) == []

    half = make_client(sim, path)
    await half.connect()
    await half.disconnect()
    os.chmod(path, 0o600)
    ask, _ = _script([str(sim.dc_id) * 5, "Dana"])
    result = await login(cfg, ask=ask, ask_secret=ask, phone=sim_phone(sim.dc_id, 5),
                         allow_sign_up=True)
    assert not result.already
    assert _files(tmp_path) == ["acct.session"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    client = build_client(cfg)
    await client.connect()
    try:
        assert (await client.get_me()).id == result.user_id
    finally:
        await client.disconnect()


async def test_corrupt_session_file_is_reported_and_kept(sim: Server, tmp_path: Path) -> None:
    """Login does not overwrite a session file it cannot read: it names the file
    and what to do, and leaves it for the user to move aside."""
    path = tmp_path / "acct.session"
    path.write_bytes(b"not a session at all\n" * 10)
    os.chmod(path, 0o600)
    ask, _ = _script([])
    with pytest.raises(SessionError) as caught:
        await login(_config(sim, session_file=path), ask=ask, ask_secret=ask)
    assert str(path) in str(caught.value) and "chanwatch login" in str(caught.value)
    assert path.read_bytes() == b"not a session at all\n" * 10
