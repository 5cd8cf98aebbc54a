"""The running monitor's heartbeat, for ``chanwatch health`` (the container's
HEALTHCHECK, or any supervisor).

While ``chanwatch run`` is up, its scheduler writes a small JSON file every
:data:`BEAT_EVERY` (and once at start): when, whether the Telegram client is
connected, how many channels are watched. The file sits next to the database,
one per account (``chanwatch.db.ACCOUNT.health``, mode 0600), and is removed
when the monitor stops cleanly. :func:`check` reads it: a missing, stale or
"not connected" heartbeat is unhealthy. A beat written from the event loop's
own scheduler also shows that the loop is not stuck.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from monitor.settings import Settings
from storage.errors import ChanwatchError

log = structlog.get_logger(__name__)

#: How often the running monitor writes its heartbeat.
BEAT_EVERY = timedelta(seconds=30)
#: A heartbeat older than this is stale (four missed beats).
MAX_AGE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Vitals:
    connected: bool
    channels: int


def heartbeat_path(settings: Settings) -> Path:
    """Where the monitor of ``settings``' account writes its heartbeat."""
    db = settings.database.path
    account = re.sub(r"[^A-Za-z0-9_.-]", "_", settings.telegram.account)
    return db.with_name(f"{db.name}.{account}.health")


def beat(path: Path, vitals: Vitals, now: datetime | None = None) -> None:
    """Write the heartbeat atomically, readable by its owner only."""
    record = {
        "at": (now or datetime.now(UTC)).isoformat(),
        "pid": os.getpid(),
        "connected": vitals.connected,
        "channels": vitals.channels,
    }
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh)
    os.replace(tmp, path)


class Heartbeat:
    """Writes ``path`` from the monitor's scheduler with what ``vitals()`` says."""

    def __init__(self, path: Path, vitals: Callable[[], Vitals]) -> None:
        self.path = path
        self._vitals = vitals

    def schedule(self, scheduler: Any) -> None:
        self.beat()
        scheduler.add_job(self.beat, "interval", seconds=BEAT_EVERY.total_seconds(),
                          id="heartbeat", coalesce=True, max_instances=1)

    def beat(self) -> None:
        try:
            beat(self.path, self._vitals())
        except OSError as exc:  # the monitor goes on; `chanwatch health` will say so
            log.warning("heartbeat_write_failed", path=str(self.path), error=str(exc))

    def remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("heartbeat_remove_failed", path=str(self.path), error=str(exc))


def check(path: Path, max_age: timedelta = MAX_AGE, now: datetime | None = None) -> str:
    """One line describing a healthy monitor; raises :class:`Unhealthy` otherwise."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(record["at"])
        connected, channels = bool(record["connected"]), int(record["channels"])
    except FileNotFoundError:
        raise Unhealthy(f"no heartbeat at {path}: the monitor is not running") from None
    except OSError as exc:
        raise Unhealthy(f"cannot read the heartbeat {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise Unhealthy(f"the heartbeat {path} is unreadable: {exc}") from None
    age = (now or datetime.now(UTC)) - at
    if age > max_age:
        raise Unhealthy(
            f"the monitor's last heartbeat was {int(age.total_seconds())}s ago "
            f"(more than {int(max_age.total_seconds())}s): it is stuck or gone"
        )
    if not connected:
        raise Unhealthy("the monitor is running but not connected to Telegram")
    return (f"healthy: connected, {channels} channel(s) watched, "
            f"last heartbeat {max(0, int(age.total_seconds()))}s ago")


class Unhealthy(ChanwatchError):
    """The monitor is not running, stuck, or not connected; the message says which."""
