"""Write deploy/constraints.txt: the exact version of every package the image
installs (chanwatch's dependencies with the `fast` and `detect` extras, all the way down, and
the build backend), as pip resolves them today for this Python.

    python deploy/make_constraints.py        # `make constraints`

Run it with the Python the image uses (3.11) after changing dependencies in
pyproject.toml, review the diff, and commit it; tests/test_deploy.py checks that
every pin satisfies pyproject.toml.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "deploy" / "constraints.txt"
HEADER = """\
# Exact versions the container image installs (deploy/Containerfile):
#   pip install -c deploy/constraints.txt ...
# Made by `make constraints` (deploy/make_constraints.py) for CPython {python};
# regenerate after changing dependencies in pyproject.toml.
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(  # noqa: S603 (this Python's pip, fixed arguments)
            [sys.executable, "-m", "pip", "install", "--quiet", "--dry-run",
             "--ignore-installed", "--report", str(report), f"{ROOT}[fast,detect]",
             "setuptools>=77"],
            check=True,
        )
        installs = json.loads(report.read_text())["install"]
    pins = sorted(
        (item["metadata"]["name"].lower(), item["metadata"]["version"])
        for item in installs
        if item["metadata"]["name"].lower() != "chanwatch"
    )
    python = ".".join(map(str, sys.version_info[:2]))
    OUT.write_text(HEADER.format(python=python) + "".join(f"{n}=={v}\n" for n, v in pins))
    sys.stdout.write(f"wrote {OUT} ({len(pins)} packages)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
