"""`chanwatch login` and `chanwatch run` as a user runs them (subprocesses against
an in-process tgsim): prompts, the session file's mode, one-line errors."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from access_support import seed_users
from e2e_support import logged_in_session, settings_env
from layer_support import serve_an_older_layer
from telethon.tl.alltlobjects import LAYER
from tgsim_support import sim_phone

from tgsim import Server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


async def chanwatch(
    args: list[str], env: dict[str, str], cwd: Path, stdin: bytes = b""
) -> tuple[int, str, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CHANWATCH_")}
    full.update(env)
    full["PYTHONPATH"] = str(REPO)  # this checkout's code, not the installed one
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", *args, cwd=cwd, env=full,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_login_prompts_and_writes_0600_session(sim: Server, tmp_path: Path) -> None:
    """`chanwatch login --sign-up` (an admin's command) asks for the code and a name,
    logs in and writes the session file readable by its owner only; a second run
    says it already is."""
    session = tmp_path / "acct.session"
    env = settings_env(sim, session, tmp_path / "c.db", tmp_path / "key.pem")
    tokens = await seed_users(tmp_path / "c.db")
    env["CHANWATCH_TOKEN"] = tokens["root"]
    phone = sim_phone(sim.dc_id, 3)
    code, out, err = await chanwatch(
        ["login", "--phone", phone, "--sign-up"], env, tmp_path,
        stdin=f"{str(sim.dc_id) * 5}\nDora\n".encode(),
    )
    assert code == 0, err
    assert "Login code Telegram sent you:" in out
    assert f"logged in as Dora (user id {sim.user_id(phone)})" in out
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    code, out, err = await chanwatch(["login"], env, tmp_path)
    assert code == 0, err
    assert "already logged in as Dora" in out


async def test_run_without_login_says_to_log_in(sim: Server, tmp_path: Path) -> None:
    """`chanwatch run` with a session that never logged in fails with one line."""
    session = tmp_path / "fresh.session"
    session.write_bytes(b"")
    os.chmod(session, 0o600)
    env = settings_env(sim, session, tmp_path / "c.db", tmp_path / "key.pem")
    code, _out, err = await chanwatch(["run"], env, tmp_path)
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        "chanwatch: error: the Telegram session is not logged in: run `chanwatch login` first"
    )


async def test_run_refuses_readable_session(sim: Server, tmp_path: Path) -> None:
    """`chanwatch run` refuses a group-readable session file, saying how to fix it."""
    session = tmp_path / "open.session"
    session.write_bytes(b"")
    os.chmod(session, 0o640)
    env = settings_env(sim, session, tmp_path / "c.db", tmp_path / "key.pem")
    code, _out, err = await chanwatch(["run"], env, tmp_path)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("chanwatch: error: session file") and "chmod 600" in last


async def test_run_without_api_id(tmp_path: Path) -> None:
    """A missing api_id is one line naming the setting (exit status 2)."""
    code, _out, err = await chanwatch(
        ["run"], {"CHANWATCH_DATABASE__PATH": str(tmp_path / "c.db")}, tmp_path
    )
    assert code == 2
    assert "telegram.api_id (CHANWATCH_TELEGRAM__API_ID) is required" in err


async def test_login_against_an_older_layer_is_one_line_and_leaves_no_file(
    sim: Server, tmp_path: Path
) -> None:
    """`chanwatch login` against a server of another layer: one line naming both
    layers and what to do, exit 1, no session file; a second try says the same."""
    serve_an_older_layer(sim)
    session = tmp_path / "acct.session"
    env = settings_env(sim, session, tmp_path / "c.db", tmp_path / "key.pem")
    env["CHANWATCH_TOKEN"] = (await seed_users(tmp_path / "c.db"))["root"]
    for _ in range(2):
        code, _out, err = await chanwatch(
            ["login", "--phone", sim_phone(sim.dc_id, 3), "--sign-up"], env, tmp_path
        )
        assert code == 1
        [line] = err.strip().splitlines()
        assert line.startswith("chanwatch: error: the Telegram server speaks an older layer")
        assert f"layer {LAYER} of the installed Telethon" in line and "pin Telethon" in line
        assert not [p for p in tmp_path.iterdir() if "session" in p.name]


async def test_run_against_an_older_layer_is_one_line(sim: Server, tmp_path: Path) -> None:
    """`chanwatch run` with a logged-in session, after the server changed layer."""
    session = await logged_in_session(sim, tmp_path / "acct.session")
    serve_an_older_layer(sim)
    env = settings_env(sim, session, tmp_path / "c.db", tmp_path / "key.pem")
    code, _out, err = await chanwatch(["run"], env, tmp_path)
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("chanwatch: error: the Telegram server speaks an older layer")
    assert "Traceback" not in err


async def test_run_with_a_damaged_session_names_the_file(sim: Server, tmp_path: Path) -> None:
    """`chanwatch run` with a truncated session file: one line with its path."""
    session = await logged_in_session(sim, tmp_path / "acct.session")
    session.write_bytes(session.read_bytes()[:2048])
    env = settings_env(sim, session, tmp_path / "c.db", tmp_path / "key.pem")
    code, _out, err = await chanwatch(["run"], env, tmp_path)
    assert code == 1
    assert err.strip().splitlines()[-1] == (
        f"chanwatch: error: session file {session} cannot be used: it is damaged (truncated "
        "or overwritten); move it aside and log in again with `chanwatch login` (using the "
        "Telethon that runs the monitor)"
    )
