"""Shared helpers of the matching benchmarks: machine description, RSS, tables."""

from __future__ import annotations

import os
import platform
import resource
import sys
from collections.abc import Sequence

import numpy as np
from machine import cpu_model


def machine() -> str:
    """One paragraph describing the machine and the software versions."""
    import PIL

    return (
        f"machine: {platform.platform()} | CPU: {cpu_model()} | cores: {os.cpu_count()} | "
        f"Python {sys.version.split()[0]} | numpy {np.__version__} | Pillow {PIL.__version__}\n"
        f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"(other processes on the {os.cpu_count()} cores)"
    )


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc), else peak RSS."""
    try:
        with open("/proc/self/statm", encoding="utf-8") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as an aligned text table (first row: header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio(ours: float, peer: float, higher_is_better: bool) -> str:
    """How many times better ours is than the peer ("x" suffix)."""
    if ours <= 0 or peer <= 0:
        return "n/a"
    value = ours / peer if higher_is_better else peer / ours
    return f"{value:.1f}x"


def quiet_logs() -> None:
    """Only warnings from chanwatch's structlog loggers (keeps the tables readable)."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
