"""The running monitor's side of the evidence ledger: checkpoints and settings.

* :meth:`LedgerService.start` loads the signing key (``ledger.signing_key_file``,
  created by ``chanwatch init``), records the effective settings when they
  changed since the last run (one ``setting.change`` record) and schedules the
  checkpoint job (every ``ledger.checkpoint_interval``, signing only when the
  tree grew, then sending it to ``ledger.witness_url`` if set, and getting it
  an RFC 3161 timestamp from ``ledger.timestamp.url`` if set).
* :meth:`LedgerService.stop` signs a final checkpoint on a clean shutdown when
  the tree grew since the last one.

Without a signing key the monitor still records (the ledger is appended to in
every change's transaction either way) but logs an error: nothing is signed
until the key exists (``chanwatch init`` or ``chanwatch evidence key --generate``).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import structlog

from monitor.settings import LedgerSettings, Settings
from storage.ledger import canonical
from storage.ledger.checkpoint import add_checkpoint_job, checkpoint_job
from storage.ledger.keys import KeyFileError, load_signing_key
from storage.ledger.ledger import append_record
from storage.ledger.note import Signer
from storage.ledger.records import MONITOR_ACTOR, plain
from storage.ledger.timestamp import TimestampError, Tsa, load_roots
from storage.repos import Transaction
from storage.repos.transactional import Transactional

log = structlog.get_logger(__name__)

#: The settings sections whose values decide what is captured, matched, alerted
#: and signed (connection details, paths of the database and logging are not).
RECORDED_SECTIONS = (
    "media", "matching", "alerts", "monitor", "handlers", "access", "accounts", "ledger",
)


def effective_settings(settings: Settings) -> dict[str, Any]:
    """The recorded sections as ledger JSON (secrets are masked by pydantic)."""
    dumped = settings.model_dump(mode="json", include=set(RECORDED_SECTIONS))
    out: dict[str, Any] = plain(dumped)
    return out


async def record_settings(tx: Transaction, values: dict[str, Any]) -> int | None:
    """Append ``setting.change`` unless the last one recorded the same values;
    its seq, or None when nothing changed (runs in ``store.transaction``)."""
    digest = hashlib.sha256(canonical.dumps(values)).hexdigest()
    rows = await tx.ledger.rows(types=["setting.change"], newest_first=True, limit=1)
    previous = canonical.loads(rows[0].record).get("settings_sha256") if rows else None
    if previous == digest:
        return None
    return await append_record(tx, "setting.change", MONITOR_ACTOR, {
        "settings": values, "settings_sha256": digest, "previous_sha256": previous,
    })


def timestamp_authority(ledger: LedgerSettings) -> Tsa | None:
    """The TSA of ``ledger.timestamp``, or None when timestamps are off.

    Raises :class:`~storage.ledger.timestamp.TimestampError` when the CA file
    cannot be read."""
    section = ledger.timestamp
    if section.url is None or section.ca_file is None:
        return None
    return Tsa(section.url, load_roots(section.ca_file), section.timeout.total_seconds())


class LedgerService:
    def __init__(self, store: Transactional, settings: Settings) -> None:
        self._store = store
        self._settings = settings.ledger
        self._values = effective_settings(settings)
        self._signer: Signer | None = None
        self._tsa: Tsa | None = None

    @property
    def signing(self) -> bool:
        return self._signer is not None

    async def start(self, scheduler: Any) -> None:
        seq = await self._store.transaction(lambda tx: record_settings(tx, self._values))
        if seq is not None:
            log.info("ledger.settings_recorded", seq=seq)
        path = self._settings.signing_key_file
        try:
            self._signer = await asyncio.to_thread(load_signing_key, path)
        except (KeyFileError, OSError) as exc:
            log.error("ledger.no_signing_key", path=str(path), error=str(exc),
                      fix="run `chanwatch init` or `chanwatch evidence key --generate`")
            return
        try:
            self._tsa = await asyncio.to_thread(timestamp_authority, self._settings)
        except TimestampError as exc:
            log.error("ledger.no_timestamps", error=str(exc),
                      fix="check ledger.timestamp.ca_file")
        add_checkpoint_job(
            scheduler, self._store, self._signer, self._settings.origin,
            self._settings.checkpoint_interval, self._settings.witness_url, self._tsa,
        )

    async def stop(self) -> None:
        """Sign a last checkpoint if the tree grew (call before the store closes)."""
        if self._signer is None:
            return
        stored = await checkpoint_job(
            self._store, self._signer, self._settings.origin, self._settings.witness_url,
            self._tsa,
        )
        log.info("ledger.final_checkpoint", size=stored.tree_size, id=stored.id)
