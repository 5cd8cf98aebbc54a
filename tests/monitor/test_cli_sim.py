"""`chanwatch sim` as a user runs it: a subprocess that prints the settings and
the login steps; following them (`chanwatch init`, `chanwatch login`, then the
project's own client with those settings) reaches the printed channels."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import stat
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.settings import Settings
from monitor.telegram.client import build_client, config_from_settings

ADMIN_PASSWORD = "sim test password"  # test-only
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Running:
    proc: asyncio.subprocess.Process
    lines: list[str]
    folder: Path

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def env(self) -> dict[str, str]:
        """The `export` lines it printed, as a user's shell would hold them."""
        found = {}
        for line in self.lines:
            if line.strip().startswith("export "):
                key, _, value = line.strip()[len("export "):].partition("=")
                found[key] = shlex.split(value)[0]
        return found


def _clean_env() -> dict[str, str]:
    """This environment without chanwatch's settings; this checkout's code first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANWATCH_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Running]:
    folder = tmp_path / "try"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", "sim", "--dir", str(folder), "--post-every", "1s",
        cwd=tmp_path, env=_clean_env(), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while not lines or lines[-1] != "Stop with Ctrl-C.":
            raw = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert raw, f"chanwatch sim ended early: {lines}"
            lines.append(raw.decode().rstrip("\n"))
        yield Running(proc, lines, folder)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(proc.wait(), 30)


async def chanwatch(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> tuple[int, str, str]:
    full = _clean_env()
    full.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor.cli", *args, cwd=cwd, env=full,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_printed_settings_and_login_steps_work(
    sim: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sim.env()
    key_file = Path(env["CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY_FILE"])
    env_file = sim.folder / "chanwatch.env"
    assert key_file.read_text().startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(sim.folder.stat().st_mode) == 0o700
    assert f"source {env_file}" in sim.text
    # Every file chanwatch will make lives in the sim's folder.
    for key in ("TELEGRAM__SESSION_FILE", "DATABASE__PATH", "LEDGER__SIGNING_KEY_FILE"):
        assert Path(env[f"CHANWATCH_{key}"]).parent == sim.folder

    # The login steps as printed, without a terminal.
    code, token, err = await chanwatch(
        ["init", "admin", "--token", "--password-stdin"], env, tmp_path,
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert code == 0, err
    env["CHANWATCH_TOKEN"] = token.strip()
    phone = re.search(r"chanwatch login --phone (\+\d+) --sign-up", sim.text)
    login_code = re.search(r"login code: (\d+)", sim.text)
    assert phone is not None and login_code is not None
    code, out, err = await chanwatch(
        ["login", "--phone", phone.group(1), "--sign-up"], env, tmp_path,
        stdin=f"{login_code.group(1)}\nTester\n",
    )
    assert code == 0, err
    assert "logged in as Tester" in out

    # The settings file as a .env, read by chanwatch's own settings and client.
    for key in [k for k in os.environ if k.startswith("CHANWATCH_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = Settings.load(env_file=env_file)
    assert str(settings.database.path) == env["CHANWATCH_DATABASE__PATH"]
    client = build_client(config_from_settings(settings))
    await client.connect()
    try:
        assert await client.is_user_authorized()
        history = [m.message async for m in client.iter_messages("sim_news", reverse=True)]
        assert history[:2] == [
            "Welcome to Sim News", "Today's links: https://example.org/today and @sim_photos",
        ]
        photos = [m async for m in client.iter_messages("sim_photos")]
        assert len(photos) == 2 and all(m.photo is not None for m in photos)
        for _ in range(100):  # --post-every 1s: a live post appears
            texts = [m.message async for m in client.iter_messages("sim_news", limit=5)]
            if any(t.startswith("Live post 1") for t in texts):
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail(f"no live post in @sim_news: {texts}")
    finally:
        await client.disconnect()

    sim.proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(sim.proc.wait(), 30) == 0
    assert sim.proc.stdout is not None
    assert b"tgsim stopped" in await sim.proc.stdout.read()


async def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    """A bad duration or port is one error line and exit status 2; nothing listens."""
    code, _out, err = await chanwatch(
        ["sim", "--dir", str(tmp_path / "s"), "--post-every", "soon"], {}, tmp_path
    )
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "chanwatch: error: --post-every: not a duration: 'soon' (e.g. 30s, 2m, 0)"
    )
    code, _out, err = await chanwatch(["sim", "--port", "70000"], {}, tmp_path)
    assert code == 2 and "is not a TCP port" in err
    assert not (tmp_path / "chanwatch-sim").exists()


def test_readme_walkthrough_uses_what_sim_prints() -> None:
    """The README's `chanwatch sim` walkthrough names the settings file, test
    number, login code and channels `chanwatch sim` prints (default folder)."""
    from monitor.cli import sim as sim_module

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### By hand, with `chanwatch sim`", 1)[1].split("\n## ", 1)[0]
    assert "source chanwatch-sim/chanwatch.env" in section
    assert "chanwatch login --phone +9996620001 --sign-up" in section
    assert "login code 22222" in section
    assert f"t.me/+{sim_module.INVITE}" in section
    for channel in ("@sim_news", "@sim_photos"):
        assert channel in section
    assert "chanwatch bank import demo monitor/demo_data/demo_bank.csv" in section
    assert (ROOT / "monitor" / "demo_data" / "demo_bank.csv").exists()
