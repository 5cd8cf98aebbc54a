"""deploy/: the container image, compose file and systemd unit stay in step
with the package layout and keep secrets out of the image and the repository."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _packages() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [p.rstrip("*") for p in meta["tool"]["setuptools"]["packages"]["find"]["include"]]


def test_containerfile_copies_every_package() -> None:
    """Every package pyproject installs is copied into the image, so
    `pip install .` in the image builds the same distribution as here."""
    text = (DEPLOY / "Containerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) ", text, flags=re.M))
    assert set(_packages()) <= copied


def test_containerfile_bakes_in_no_secret() -> None:
    """The image sets paths for secrets but never copies a session, key or .env."""
    text = (DEPLOY / "Containerfile").read_text()
    copies = re.findall(r"^COPY .*$", text, flags=re.M)
    assert not [c for c in copies if re.search(r"session|\.env|\.key|secret", c)]
    assert "API_HASH" not in text and "SESSION_STRING" not in text


def test_systemd_unit_runs_the_monitor_hardened() -> None:
    """The unit runs `chanwatch run` as its own user with a private umask, so
    session files and the database are not readable by others."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "chanwatch@.service").read_text())
    service = unit["Service"]
    assert service["ExecStart"].endswith("chanwatch run")
    assert service["User"] == "chanwatch"
    assert service["UMask"] == "0077"
    assert service["KillSignal"] == "SIGTERM"


def test_filled_in_settings_are_ignored_by_git() -> None:
    """The compose file's env file and secrets folder can never be committed."""
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "deploy/chanwatch.env" in ignored
    assert "deploy/secrets/" in ignored
    assert "*.session" in ignored
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "env_file: chanwatch.env" in compose
