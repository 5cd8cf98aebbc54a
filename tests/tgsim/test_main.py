"""The command line ``python -m tgsim`` (tgsim/__main__.py)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from tgsim_support import login, make_client, sim_phone, wait_for

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tgsim" / "examples" / "scenario.toml"


async def test_cli_serves_scenario_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The CLI writes the info file once listening, serves Telethon, and exits 0 on SIGTERM."""
    info_path = tmp_path / "info.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgsim", "--port", "0",
        "--state-dir", str(tmp_path / "state"), "--info-file", str(info_path),
        "--scenario", str(EXAMPLE), "--log-level", "warning",
        cwd=REPO, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_for(info_path.exists, timeout=30)
        info = json.loads(info_path.read_text())
        assert info["host"] == "127.0.0.1" and info["port"] > 0 and info["dc_id"] == 2
        assert info["public_key"].startswith("-----BEGIN RSA PUBLIC KEY-----")
        assert info["channels"]["hidden"]["invite_hash"] == "ExampleInvite42"
        client = make_client(info, tmp_path / "cli.session")
        try:
            await login(client, sim_phone(info["dc_id"], 1))
            msgs = await client.get_messages(await client.get_entity("example_news"), limit=5)
            assert {m.text for m in msgs} >= {"A generated picture"}
        finally:
            await client.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()


async def test_cli_rejects_bad_scenario(tmp_path: Path) -> None:
    """A broken scenario file stops the CLI with exit code 2 and a message naming it."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[[step]]\naction = 'explode'\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tgsim", "--state-dir", str(tmp_path / "s"),
        "--info-file", str(tmp_path / "i.json"), "--scenario", str(bad),
        cwd=REPO, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert "bad.toml" in stderr.decode() and "'action' must be one of" in stderr.decode()
    assert not (tmp_path / "i.json").exists()
