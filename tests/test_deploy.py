"""deploy/: the container image, compose file and systemd unit work as written
from a clean host: they stay in step with the package layout, pin what they
install, keep the ledger key out of the data volume and secrets out of the image
and the repository. Where the tools exist, `docker compose config` checks the
compose file and `systemd-analyze verify` the unit after its documented install
steps (`make deploy-tools` installs both on Debian)."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "chanwatch@.service"
DATA = PurePosixPath("/var/lib/chanwatch")
KEYS = PurePosixPath("/etc/chanwatch/keys")


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _packages() -> list[str]:
    found = _pyproject()["tool"]["setuptools"]["packages"]["find"]
    return [p.rstrip("*") for p in found["include"]]


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    # Environment= repeats: keep every line (configparser keeps the last only).
    text = UNIT.read_text()
    text = re.sub(r"^Environment=(\w+)=", r"Environment.\1=", text, flags=re.M)
    unit.read_string(text)
    return unit


def _unit_environment() -> dict[str, str]:
    service = _unit()["Service"]
    return {k.split(".", 1)[1]: v for k, v in service.items() if k.startswith("Environment.")}


# ------------------------------------------------------------------ the image


def test_containerfile_copies_every_package() -> None:
    """Every package pyproject installs is copied into the image, so
    `pip install .` in the image builds the same distribution as here."""
    text = (DEPLOY / "Containerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) ", text, flags=re.M))
    assert set(_packages()) <= copied
    assert re.search(r"^COPY pyproject.toml README.md LICENSE ", text, flags=re.M)


def test_containerfile_bakes_in_no_secret() -> None:
    """The image sets paths for secrets but never copies a session, key or .env."""
    text = (DEPLOY / "Containerfile").read_text()
    copies = re.findall(r"^COPY .*$", text, flags=re.M)
    assert not [c for c in copies if re.search(r"session|\.env|\.key|secret", c)]
    assert "API_HASH" not in text and "SESSION_STRING" not in text


def test_containerfile_pins_checks_health_and_names_its_user() -> None:
    """Base image by full version, every pip install under the constraints file,
    a HEALTHCHECK, a documented numeric user, the key on its own volume."""
    text = (DEPLOY / "Containerfile").read_text()
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", text, flags=re.M)
    assert base and re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base.group(1))
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, flags=re.M)
    installs = re.findall(r"pip install [^\n\\]*", text)
    assert installs and all("-c constraints.txt" in i for i in installs)
    assert "--no-build-isolation" in installs[-1]
    assert re.search(r'^HEALTHCHECK .*\n\s+CMD \["chanwatch", "health"\]', text, flags=re.M)
    assert "--uid 10001" in text and re.search(r"^USER 10001:10001$", text, flags=re.M)
    assert "uid 10001" in text.split("ARG", 1)[0]  # said in the header
    assert f"CHANWATCH_LEDGER__SIGNING_KEY_FILE={KEYS}/ledger.key" in text
    assert f'VOLUME ["{DATA}", "{KEYS}"]' in text


def test_constraints_pin_every_dependency_within_pyproject() -> None:
    """deploy/constraints.txt pins each runtime dependency (with the `fast` extra)
    and the build backend to one version that pyproject.toml allows."""
    pins: dict[str, str] = {}
    for line in (DEPLOY / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and re.fullmatch(r"[\w.]+", version), line
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    meta = _pyproject()
    wanted = [
        *meta["project"]["dependencies"],
        *meta["project"]["optional-dependencies"]["fast"],
        *meta["build-system"]["requires"],
    ]
    for text in wanted:
        req = Requirement(text)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is not pinned in deploy/constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


# ---------------------------------------------------------------- compose


def _compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_config_keeps_the_key_out_of_the_data_volume(tmp_path: Path) -> None:
    """`docker compose config` accepts the file with the example settings copied
    as its env file, even one that names another key path (the file's own
    paths win), and mounts the key's volume read-only into the monitor."""
    compose = _compose()
    if compose is None:
        pytest.skip("neither `docker compose` nor docker-compose installed (make deploy-tools)")
    yaml = pytest.importorskip("yaml")
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    shutil.copy(DEPLOY / "compose.yaml", deploy / "compose.yaml")
    example = (DEPLOY / "settings.example.env").read_text()
    (deploy / "chanwatch.env").write_text(
        example + "CHANWATCH_LEDGER__SIGNING_KEY_FILE=chanwatch-ledger.key\n"
        "CHANWATCH_DATABASE__PATH=elsewhere.db\n"
    )
    proc = subprocess.run(
        [*compose, "-f", str(deploy / "compose.yaml"), "--profile", "cli", "config"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    config = yaml.safe_load(proc.stdout)
    assert set(config["volumes"]) == {"chanwatch-data", "chanwatch-keys"}

    def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        found = {}
        for volume in service["volumes"]:
            if isinstance(volume, str):
                source, target, *mode = volume.split(":")
                found[target] = (source, "ro" in mode)
            else:
                found[volume["target"]] = (volume["source"], bool(volume.get("read_only")))
        return found

    for name, key_read_only in (("persona1", True), ("cli", False)):
        service = config["services"][name]
        env = service["environment"]
        assert env["CHANWATCH_DATABASE__PATH"] == f"{DATA}/chanwatch.db"
        assert env["CHANWATCH_LEDGER__SIGNING_KEY_FILE"] == f"{KEYS}/ledger.key"
        assert mounts(service) == {
            str(DATA): ("chanwatch-data", False),
            str(KEYS): ("chanwatch-keys", key_read_only),
        }
    persona = config["services"]["persona1"]
    assert persona["environment"]["CHANWATCH_TELEGRAM__SESSION_FILE"].startswith(f"{DATA}/")
    assert persona["environment"]["CHANWATCH_TELEGRAM__ACCOUNT"] == "persona1"
    assert persona["restart"] == "unless-stopped"


def test_filled_in_settings_are_ignored_by_git() -> None:
    """The compose file's env file and secrets folder can never be committed."""
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "deploy/chanwatch.env" in ignored
    assert "deploy/secrets/" in ignored
    assert "*.session" in ignored
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "env_file: chanwatch.env" in compose


# ---------------------------------------------------------------- systemd


def test_systemd_unit_runs_the_monitor_hardened() -> None:
    """The unit runs `chanwatch run` as its own user with a private umask, so
    session files and the database are not readable by others; the key is read
    from its own folder, which the service cannot write."""
    service = _unit()["Service"]
    assert service["ExecStart"] == "/opt/chanwatch/.venv/bin/chanwatch run"
    assert service["User"] == "chanwatch"
    assert service["UMask"] == "0077"
    assert service["KillSignal"] == "SIGTERM"
    assert service["ReadWritePaths"] == str(DATA)
    assert service["ReadOnlyPaths"] == "/etc/chanwatch"
    env = _unit_environment()
    assert env["CHANWATCH_LEDGER__SIGNING_KEY_FILE"] == f"{KEYS}/ledger.key"
    assert env["CHANWATCH_TELEGRAM__ACCOUNT"] == "%i"


def _install_steps() -> list[list[str]]:
    """The install steps in the unit's header comment, as argument lists."""
    steps = []
    for line in UNIT.read_text().splitlines():
        if line.startswith("#   "):
            command = line[4:].split("#", 1)[0].strip()
            if command:
                steps.append(shlex.split(command))
    return steps


def _lay_out(steps: list[list[str]], root: Path) -> list[str]:
    """Carry out the file-making steps under ``root``; return the others' names."""
    others = []
    for argv in steps:
        if argv[0] == "install" and "-d" in argv:
            for folder in [a for a in argv[1:] if a.startswith("/")]:
                (root / folder.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif argv[0] == "install":
            source, dest = ROOT / argv[-2], root / argv[-1].lstrip("/")
            if argv[-1].endswith("/"):
                dest = dest / source.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, dest)
        elif argv[:3] == ["python3.11", "-m", "venv"]:
            (root / argv[3].lstrip("/") / "bin").mkdir(parents=True)
        elif argv[0].endswith("/bin/pip") and argv[1] == "install":
            script = root / argv[0].lstrip("/").rsplit("/", 1)[0] / "chanwatch"
            script.write_text("#!/bin/sh\nexec python3 -m monitor.cli \"$@\"\n")
            script.chmod(0o755)
        else:
            others.append(argv[0])
    return others


def test_install_steps_make_what_the_unit_needs(tmp_path: Path) -> None:
    """The documented steps create the user, every folder and file the unit names,
    the key folder `init` writes to, and end by enabling the unit."""
    steps = _install_steps()
    others = _lay_out(steps, tmp_path)
    assert others == ["useradd", "$EDITOR", "chanwatch-as", "chanwatch-as", "systemctl"]
    assert ["chanwatch-as", "persona1", "init", "admin"] in steps
    assert ["chanwatch-as", "persona1", "login"] in steps
    service = _unit()["Service"]
    for path in (service["WorkingDirectory"], f"{DATA}/sessions", str(KEYS),
                 "/etc/chanwatch/chanwatch.env", "/usr/local/sbin/chanwatch-as",
                 "/etc/systemd/system/chanwatch@.service",
                 service["ExecStart"].split()[0]):
        assert (tmp_path / path.lstrip("/")).exists(), path


def test_systemd_analyze_verifies_the_unit_after_the_install_steps(tmp_path: Path) -> None:
    """`systemd-analyze verify` of an instance, on a root laid out by the
    documented steps (with this host's own system units), finds nothing."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (make deploy-tools: Debian package systemd)")
    system_units = next(
        (p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
         if (p / "multi-user.target").exists()), None,
    )
    if system_units is None:
        pytest.skip("this host has no systemd unit folder to verify against")
    root = tmp_path / "root"
    _lay_out(_install_steps(), root)
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    proc = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", "chanwatch@persona1.service"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr


def test_chanwatch_as_uses_the_units_settings_and_checks_the_account() -> None:
    """chanwatch-as sets the same paths as the unit (account for %i), reads the
    same env files, and refuses an account name that is not a plain word."""
    script = (DEPLOY / "chanwatch-as").read_text()
    assigned = dict(re.findall(r"^\s+(CHANWATCH_\w+)=(\S+)$", script, flags=re.M))
    unit = {k: v.replace("%i", "$0") for k, v in _unit_environment().items()}
    assert assigned == unit
    files = re.findall(r"^EnvironmentFile=-?(\S+)$", UNIT.read_text(), flags=re.M)
    assert files == ["/etc/chanwatch/chanwatch.env", "/etc/chanwatch/%i.env"]
    assert all(f.replace("%i", "$0") in script for f in files)
    assert _unit()["Service"]["ExecStart"].split()[0] in script
    assert subprocess.run(["sh", "-n", str(DEPLOY / "chanwatch-as")], check=False).returncode == 0
    bad = subprocess.run([str(DEPLOY / "chanwatch-as"), "../x", "run"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "not an account name" in bad.stderr
    usage = subprocess.run([str(DEPLOY / "chanwatch-as"), "persona1"],
                           capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and usage.stderr.startswith("usage: chanwatch-as ACCOUNT")


# ---------------------------------------------------------------- licence


def test_licence_file_and_spdx_expression() -> None:
    """LICENSE holds the Apache License 2.0 text pyproject names in SPDX form."""
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    project = _pyproject()["project"]
    assert project["license"] == "Apache-2.0"
    assert "LICENSE" in project["license-files"]


def test_build_context_leaves_out_secrets_and_local_state() -> None:
    """.dockerignore keeps settings, sessions, keys, databases and virtualenvs out
    of the build context, and keeps everything the Containerfile copies in."""
    ignored = {line for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line and not line.startswith("#")}
    for pattern in (".env", "deploy/chanwatch.env", "deploy/secrets", "*.session", "*.db",
                    "*.key", ".venv*", ".git"):
        assert pattern in ignored, pattern
    copied = re.findall(r"^COPY (.+) \S+$", (DEPLOY / "Containerfile").read_text(), flags=re.M)
    sources = {s for line in copied for s in line.split()}
    assert sources == {"deploy/constraints.txt", "pyproject.toml", "README.md", "LICENSE",
                       *_packages()}
    assert not sources & ignored
