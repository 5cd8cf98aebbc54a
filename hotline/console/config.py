"""What the console needs to know, as plain values (``monitor`` builds it from
the ``[web]`` section and the others it reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    #: Cookies only over HTTPS (``Secure``, the ``__Host-`` prefix). Off only
    #: for a console on loopback without TLS (tests, the demo).
    cookie_secure: bool = True
    #: A session ends this long after sign-in, whatever happens.
    session_lifetime: timedelta = timedelta(hours=8)
    #: ... or after this long without a request.
    idle_timeout: timedelta = timedelta(minutes=30)
    #: Wrong passwords for one username, within ``failure_window``, before it is locked.
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    #: The first lockout; each further one doubles it, up to ``lockout_max``.
    lockout: timedelta = timedelta(minutes=1)
    lockout_max: timedelta = timedelta(hours=1)
    #: Alerts per queue page (the API's ``limit`` may ask for up to ``page_max``).
    page_size: int = 50
    page_max: int = 500
    #: How often the live feed looks for a new or changed alert.
    live_interval: timedelta = timedelta(seconds=1)
    #: The evidence ledger: signing key, origin and witness (as ``[ledger]``).
    ledger_key_file: Path = Path("chanwatch-ledger.key")
    ledger_origin: str = "chanwatch.local/ledger"
    witness_url: str | None = None
    #: Where export bundles are written before they are downloaded.
    export_dir: Path = Path("exports")
    #: PDQ threshold for near copies in the spread (as ``matching.pdq_threshold``).
    pdq_threshold: int = 31
    #: Channels one Telegram account may be in (as ``accounts.channel_limit``).
    channel_limit: int = 450
    #: Largest bank file accepted for an import through the console.
    max_upload_bytes: int = 64 * 1024 * 1024
