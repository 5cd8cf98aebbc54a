"""The README's quick start ("Roles and the lawful-use model") run as written by
bash, without a terminal, as the users it names; then each result is checked.

The block is taken from the README itself, so a change to it that stops working
fails here. `chanwatch` on PATH is this checkout's CLI.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

from storage.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {  # test-only
    "ROOT_PASSWORD": "root's quick start password",
    "IVAN_PASSWORD": "ivan's quick start password",
    "SAM_PASSWORD": "sam's quick start password",
    "OTTO_PASSWORD": "otto's quick start password",
}


def readme_block(heading: str) -> str:
    """The first ``` block after ``heading`` in the README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    return section.split("```\n", 2)[1]


def environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANWATCH_")}
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "chanwatch"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m monitor.cli "$@"\n')
    wrapper.chmod(0o700)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["CHANWATCH_LEDGER__SIGNING_KEY_FILE"] = str(folder / "ledger.key")
    env.update(PASSWORDS)
    return env


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    block = readme_block("## Roles and the lawful-use model")
    assert "--password-stdin" in block and "CHANWATCH_TOKEN=$IVAN" in block
    work = tmp_path / "unit"
    work.mkdir()
    script = tmp_path / "quickstart.sh"
    # each command's output is kept, so every result can be checked below
    script.write_text(
        "set -euo pipefail\n" + block
        # afterwards: otto's revoked token is refused
        + "if CHANWATCH_TOKEN=$OTTO chanwatch alerts list 2> otto.err; then exit 9; fi\n"
    )
    proc = subprocess.run(
        ["bash", "-x", str(script)], cwd=work, env=environment(tmp_path),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out, trace = proc.stdout, proc.stderr
    # no password and no token ever reaches the output or the trace's results
    for password in PASSWORDS.values():
        assert password not in out

    # root: the database and the key, private; the origin as given
    db = work / "chanwatch.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ledger.key").stat().st_mode) == 0o600
    assert (tmp_path / "ledger.key").read_text().startswith(
        "PRIVATE+KEY+hotline.example.org/chanwatch+"
    )
    assert "ledger origin: 'hotline.example.org/chanwatch'" in trace
    # sam: the pending request listed, then approved; case list shows the authorization
    assert "request.approve" in out  # otto's audit list shows sam's approval
    assert "K-2026-17" in out and "AUTHORIZATIONS" in out
    # otto: an empty queue, said so
    assert "no alerts" in out
    # root: otto's tokens withdrawn
    assert "token(s) of 'otto' revoked" in out
    assert (work / "otto.err").read_text() == (
        "chanwatch: error: refused: the API token is unknown or was revoked\n"
    )

    rows = asyncio.run(audit(db))
    by_action: dict[str, set[tuple[str, str]]] = {}
    for actor, action, subject in rows:
        by_action.setdefault(action, set()).add((actor, subject))
    assert {("root", "user:ivan"), ("root", "user:otto"), ("sam", "user:sam")} <= by_action[
        "token.create"
    ]
    assert any(actor == "ivan" for actor, _ in by_action["case.open"])
    assert any(actor == "ivan" for actor, _ in by_action["authorization.create"])
    assert any(actor == "ivan" for actor, _ in by_action["request.create"])
    assert any(actor == "sam" for actor, _ in by_action["request.approve"])
    assert ("root", "user:otto") in by_action["token.revoke"]
    logins = {actor for actor, _ in by_action["auth.login"]}
    assert logins == {"root", "ivan", "sam", "otto"}  # each acted as themselves


async def audit(db: Path) -> list[tuple[str, str, str]]:
    store = SQLiteStore(db)
    await store.open()
    try:
        return [(r.actor, r.action, r.subject) for r in await store.list_audit(limit=10_000)]
    finally:
        await store.close()
