"""A plain `pip install .` carries everything chanwatch reads at run time: the
wheel holds every data file of the packages (migrations, the demo's bank and
picture, tgsim's example scenario), the licences, and the `chanwatch` script;
and `python -m monitor.demo` runs from the installed files alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: What a package folder holds that is documentation, not read at run time.
NOT_INSTALLED = {"README.md"}


def _packages() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [p.rstrip("*") for p in meta["tool"]["setuptools"]["packages"]["find"]["include"]]


def _package_data_files() -> set[str]:
    """Every non-Python file in the package folders (what code may open)."""
    found = set()
    for package in _packages():
        for path in (ROOT / package).rglob("*"):
            if (
                path.is_file()
                and path.suffix not in (".py", ".pyc")
                and "__pycache__" not in path.parts
                and not (path.name in NOT_INSTALLED and path.parent == ROOT / package)
            ):
                found.add(path.relative_to(ROOT).as_posix())
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip install .` builds, from a copy of the source (no build
    folder left in the repository)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(
        ROOT, src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "__pycache__", "*_cache", "build", "dist", "*.egg-info",
            "tests", "benchmarks", "*.db*", "*.session*",
        ),
    )
    out = tmp / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("chanwatch-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_data_licences_and_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
        metadata = zf.read(f"{info}/METADATA").decode()
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    missing = _package_data_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)}"
    assert "monitor/demo_data/demo_bank.csv" in names
    assert f"{info}/licenses/LICENSE" in names
    assert f"{info}/licenses/monitor/demo_data/LICENSE-ThreatExchange" in names
    assert "License-Expression: Apache-2.0" in metadata
    assert "chanwatch = monitor.cli:main" in entry_points


@pytest.mark.slow
def test_demo_runs_from_the_installed_files_alone(wheel: Path, tmp_path: Path) -> None:
    """The wheel unpacked as pip installs it, first on the path, run from an empty
    folder: the packages load from there and the demo raises its alert."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHANWATCH_")}
    env["PYTHONPATH"] = str(site)
    where = subprocess.run(
        [sys.executable, "-c",
         "import monitor, handlers, storage, tgsim, hotline, sys; "
         "print('\\n'.join(m.__file__ for m in (monitor, handlers, storage, tgsim, hotline)))"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert all(line.startswith(str(site)) for line in where.stdout.split()), where.stdout
    demo = subprocess.run(
        [sys.executable, "-m", "monitor.demo"],
        cwd=work, env=env, capture_output=True, text=True, timeout=110, check=False,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "ALERT 1: @photo_swap_demo" in demo.stdout
    assert list(work.iterdir()) == []  # the demo works in its own temporary folder
