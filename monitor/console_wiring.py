"""The console's wiring: its services and settings built from chanwatch's own
(``chanwatch web``, the demo, the tests and the benchmark all build it here).

This is where ``monitor`` hands ``hotline.console`` what it may not import
itself: media spread and the bank import flow of ``handlers``, the access
services of the one factory (``access.services.build_services``) and the
``[web]`` settings as a plain :class:`ConsoleConfig`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher

from access.services import build_services
from handlers.banks import FORMATS, parse_bank_async
from handlers.banks.service import import_parsed
from handlers.spread import media_spread
from hotline.console.config import ConsoleConfig
from hotline.console.services import BankImportFn, ConsoleServices, ImportOutcome, SpreadFn
from hotline.queue import AlertQueue
from monitor.access_control import limits_from, pacing_from
from monitor.cli.media import spread_object
from monitor.settings import Settings
from storage.codec import utc_now
from storage.sqlite import SQLiteStore


class _Clock:
    """A plain ``() -> datetime`` as the access layer's Clock."""

    def __init__(self, fn: Callable[[], datetime]) -> None:
        self._fn = fn

    def now(self) -> datetime:
        return self._fn()


def console_config(settings: Settings) -> ConsoleConfig:
    web = settings.web
    return ConsoleConfig(
        cookie_secure=web.cookie_secure, session_lifetime=web.session_lifetime,
        idle_timeout=web.idle_timeout, max_failures=web.max_failures,
        failure_window=web.failure_window, lockout=web.lockout, lockout_max=web.lockout_max,
        page_size=web.page_size, ledger_key_file=settings.ledger.signing_key_file,
        ledger_origin=settings.ledger.origin, witness_url=settings.ledger.witness_url,
        export_dir=web.export_dir, pdq_threshold=settings.matching.pdq_threshold,
        channel_limit=settings.accounts.channel_limit, max_upload_bytes=web.max_upload,
    )


def _spread(store: SQLiteStore, settings: Settings) -> SpreadFn:
    async def spread(media_id: int) -> dict[str, Any]:
        found = await media_spread(
            store, media_id, pdq_threshold=settings.matching.pdq_threshold,
            min_quality=settings.matching.pdq_min_quality,
        )
        return spread_object(found)

    return spread


def _bank_import(store: SQLiteStore, settings: Settings) -> BankImportFn:
    """``chanwatch bank import``'s flow: parse, refuse a file with invalid lines
    unless skip-invalid, then import atomically (handlers.banks.service)."""

    async def run(
        actor: str, bank: str, data: bytes, fmt: str, skip_invalid: bool,
        threshold: int | None, replace: bool, progress: Callable[[str], None],
    ) -> ImportOutcome:
        progress("parsing the file")
        result = await parse_bank_async(data, fmt)
        errors = tuple(str(e) for e in result.errors)
        usable = bool(result.entries or result.withdrawals)
        if (errors and not skip_invalid) or not usable:
            return ImportOutcome(result.format, len(result.entries), 0, 0, result.duplicates,
                                 errors, imported=False)
        progress(f"importing {len(result.entries)} entries")
        report = await import_parsed(
            store, bank, result, actor=actor, source="console upload", threshold=threshold,
            default_threshold=settings.matching.pdq_threshold, replace=replace,
        )
        return ImportOutcome(
            result.format, len(result.entries), report.added, report.withdrawn,
            result.duplicates, errors, imported=True,
            enabled_entries=report.bank.enabled_entries, total_entries=report.bank.entries,
            threshold=report.bank.threshold,
        )

    return run


def console_services(
    store: SQLiteStore,
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    hasher: PasswordHasher | None = None,
) -> ConsoleServices:
    """The console's services on ``store`` (open it first). ``clock``: the time
    every rule and the queue use (tests pass a fake one); ``hasher``: the
    password hashing profile (tests pass a cheap one)."""
    now = clock or utc_now
    access = build_services(
        store, limits_from(settings.access), pacing_from(settings.accounts),
        clock=_Clock(now), hasher=hasher,
    )
    return ConsoleServices(
        store=store,
        access=access,
        queue=AlertQueue(store, clock=now),
        spread=_spread(store, settings),
        bank_import=_bank_import(store, settings),
        bank_formats=tuple(FORMATS),
        clock=now,
    )
