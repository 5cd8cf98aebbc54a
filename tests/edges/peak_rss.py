"""Run a command and write its peak resident memory (KiB) to a file.

``python peak_rss.py OUT -- COMMAND...`` exits with COMMAND's status. Why a
go-between: a process's peak (``ru_maxrss``) counts the memory of the process it
was forked from, up to its ``exec``; forked from the test runner (hundreds of
MB), every command would seem that big. Forked from this small process, the
command's own peak is what wait4 reports.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    out, sep, *command = argv
    assert sep == "--" and command
    proc = subprocess.Popen(command)
    _, status, usage = os.wait4(proc.pid, 0)
    with open(out, "w", encoding="ascii") as f:
        f.write(str(usage.ru_maxrss))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
