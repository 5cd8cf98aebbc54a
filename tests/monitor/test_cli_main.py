"""monitor.cli: the root parser, dispatch, exit statuses and one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from access_support import seed_cli_users

import monitor.cli
from monitor.cli import COMMAND_MODULES, main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A clean environment with a fresh database path; returned for subprocesses."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(tmp_path / "cw.db"))
    # an initialised database and a logged-in reader (reads of case data need one)
    monkeypatch.setenv("CHANWATCH_TOKEN", seed_cli_users(tmp_path / "cw.db")["otto"])
    return dict(os.environ)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def subprocess_run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *argv],
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_command_module_is_registered() -> None:
    """Each monitor/cli module with a register() is listed in COMMAND_MODULES."""
    cli_dir = Path(monitor.cli.__file__).parent
    modules = {
        f"monitor.cli.{p.stem}"
        for p in cli_dir.glob("*.py")
        if p.stem not in ("__init__", "__main__", "common")
        and "\ndef register(" in p.read_text(encoding="utf-8")
    }
    assert modules == set(COMMAND_MODULES)


def test_help_exits_zero(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists the commands and exits 0."""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--config FILE.toml" in out and "watch" in out and "alerts" in out


def test_no_command_is_a_usage_error(env: dict[str, str]) -> None:
    """Without a command: the help on stderr and exit status 2."""
    code, out, err = run()
    assert code == 2 and out == "" and "usage: chanwatch" in err


def test_unknown_command(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """argparse's usage error for an unknown command: exit status 2."""
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_bad_setting_is_exit_2_one_line(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong setting: exit status 2 and one line naming it, before any work."""
    monkeypatch.setenv("CHANWATCH_MATCHING__PDQ_THRESHOLD", "-3")
    code, out, err = run("watch", "list")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("chanwatch: error: setting matching.pdq_threshold")


def test_config_file_option(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--config reads the TOML file; a broken one is exit status 2."""
    db = tmp_path / "from_toml.db"
    monkeypatch.delenv("CHANWATCH_DATABASE__PATH")
    good = tmp_path / "good.toml"
    good.write_text(f'[database]\npath = "{db}"\n', encoding="utf-8")
    users = {"ivan": ("investigator",), "sam": ("supervisor",)}
    monkeypatch.setenv("CHANWATCH_TOKEN", seed_cli_users(db, users)["ivan"])
    opened = run(
        "--config", str(good), "case", "open", "K-9", "--title", "t", "--supervisor", "sam"
    )
    assert opened[0] == 0, opened
    assert db.exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[database\n", encoding="utf-8")
    code, _, err = run("--config", str(bad), "watch", "list")
    assert code == 2 and "invalid TOML" in err and err.count("\n") == 1


def test_unexpected_failure_is_exit_1_one_line(env: dict[str, str], tmp_path: Path) -> None:
    """A database file that is not SQLite: exit status 1, one line, no traceback."""
    (tmp_path / "cw.db").write_bytes(b"this is not a database" * 100)
    code, out, err = run("watch", "list")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "not a database" in err


def test_quiet_commands_hide_info_logs(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """List commands do not print INFO log lines; DEBUG shows them, as JSON off a TTY."""
    assert run("watch", "list")[0] == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("CHANWATCH_LOG__LEVEL", "DEBUG")
    assert run("watch", "list")[0] == 0
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert any(line.get("event") == "store opened" for line in lines)


def test_exit_statuses_as_a_subprocess(env: dict[str, str]) -> None:
    """The real process exits 0, 2 (bad input, bad setting) as main() returns."""
    users = {"ivan": ("investigator",), "sam": ("supervisor",)}
    db = Path(env["CHANWATCH_DATABASE__PATH"]).with_name("sub.db")
    tokens = seed_cli_users(db, users)
    env = {**env, "CHANWATCH_DATABASE__PATH": str(db), "CHANWATCH_TOKEN": tokens["ivan"]}
    ok = subprocess_run(env, "case", "open", "K-P", "--title", "t", "--supervisor", "sam")
    assert ok.returncode == 0, ok.stderr
    assert "case 'K-P' opened" in ok.stdout
    listed = subprocess_run(env, "--json", "case", "list")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)["reference"] == "K-P"
    bad_input = subprocess_run(env, "watch", "request", "K-P", "not a channel", "--reason", "r")
    assert bad_input.returncode == 2
    assert bad_input.stderr.startswith("chanwatch: error:")
    bad_setting = subprocess_run({**env, "CHANWATCH_TELEGRAM__API_ID": "abc"}, "watch", "list")
    assert bad_setting.returncode == 2
    assert bad_setting.stderr.strip().splitlines() == [
        "chanwatch: error: setting telegram.api_id (CHANWATCH_TELEGRAM__API_ID): input should "
        "be a valid integer, unable to parse string as an integer (got 'abc')"
    ]


def test_bad_user_handler_is_a_settings_error(env: dict[str, str]) -> None:
    """A handler named in the settings that cannot be imported stops `run` with exit 2,
    one line naming the setting, before any connection to Telegram."""
    proc = subprocess_run(
        {
            **env,
            "CHANWATCH_TELEGRAM__API_ID": "1",
            "CHANWATCH_TELEGRAM__API_HASH": "0123456789abcdef0123456789abcdef",
            "CHANWATCH_HANDLERS__EXTRA": "nosuch_pkg.mod:handle",
        },
        "run",
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == (
        "chanwatch: error: setting handlers.extra (CHANWATCH_HANDLERS__EXTRA): handler "
        "'nosuch_pkg.mod:handle': cannot import nosuch_pkg.mod: No module named 'nosuch_pkg'"
    )
