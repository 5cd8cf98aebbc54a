"""Application wiring: settings -> store -> bank index -> pipeline -> Telegram
client -> watches, reconciliation, live intake -> scheduler (and the evidence
ledger's settings record and checkpoint job, :mod:`monitor.ledger`; the
hotline's new-alert announcements and due-time job, :mod:`monitor.alerting`).

:class:`MonitorApp` starts the parts in that order and stops them in reverse.
``run`` keeps it going until SIGTERM or SIGINT: the scheduler stops, live
intake and the channel workers stop (a post in flight is either committed or
stays above its channel's cursor and is recorded at the next start), the client
disconnects, a last checkpoint is signed if the ledger grew, and the store
flushes its last batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import replace
from datetime import timedelta

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.index.live import LiveBankIndex, load_index
from handlers.index.live import refresh as refresh_index
from handlers.pipeline import Pipeline, Registry, new_context
from hotline.notify import Notifier
from monitor.access_control import AccessControl, AccessOptions
from monitor.alerting import Alerting, build_notifier
from monitor.intake import Intake
from monitor.ledger import LedgerService
from monitor.reconcile import PostSink, Reconciler
from monitor.settings import Settings
from monitor.telegram.client import MonitorClient, build_client, config_from_settings
from monitor.telegram.layer import layer_checked
from monitor.telegram.media import MediaDownloader
from monitor.watches import WatchGate, WatchManager, allow_all
from storage.models import WatchRecord
from storage.sqlite import SQLiteStore

log = structlog.get_logger(__name__)

#: How often the watch table is compared with the channels joined.
WATCH_SYNC_EVERY = timedelta(seconds=15)
#: How often the bank index checks whether banks were imported or changed.
INDEX_RELOAD_EVERY = timedelta(seconds=30)
#: Authorization enforced with the system clock and log notifications.
ENFORCED = AccessOptions()
#: Backoff between reconnection attempts after Telethon gave up.
RECONNECT_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)


def _all_of(first: WatchGate, second: WatchGate) -> WatchGate:
    """A gate that lets a watch through only when both do."""
    if first is allow_all:
        return second

    async def gate(watch: WatchRecord) -> bool:
        return await first(watch) and await second(watch)

    return gate


class NotLoggedIn(Exception):
    """The session is not authorized: run ``chanwatch login`` first."""


class MonitorApp:
    """The running monitor for one Telegram account."""

    def __init__(
        self,
        settings: Settings,
        *,
        gate: WatchGate = allow_all,
        watch_sync_every: timedelta = WATCH_SYNC_EVERY,
        index_reload_every: timedelta = INDEX_RELOAD_EVERY,
        access: AccessOptions = ENFORCED,
        notifier: Notifier | None = None,
    ) -> None:
        """``access``: the clock, notifier and snapshot age of the authorization
        gate, account pool and enforcement job (:mod:`monitor.access_control`),
        which are always on: nothing is joined or recorded without a valid
        authorization. ``gate``: a further condition on joins. ``notifier``: how
        alerts and reminders reach people (default: the settings' webhook, else
        the log only)."""
        self.settings = settings
        self._gate = gate
        self._access_options = access
        self._access_control: AccessControl | None = None
        self._watch_sync_every = watch_sync_every
        self._index_reload_every = index_reload_every
        self.pipeline: Pipeline | None = None
        self.store = SQLiteStore(settings.database.path)
        self._client: MonitorClient | None = None
        self._watches: WatchManager | None = None
        self._reconciler: Reconciler | None = None
        self._intake: Intake | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._stopping = False
        self._index: LiveBankIndex | None = None
        self.ledger: LedgerService | None = None
        self._notifier = notifier
        self.alerting: Alerting | None = None

    # -- accessors (raise when not started) ---------------------------------
    @property
    def access(self) -> AccessControl:
        assert self._access_control is not None, "monitor not started"
        return self._access_control

    @property
    def client(self) -> MonitorClient:
        assert self._client is not None, "monitor not started"
        return self._client

    @property
    def watches(self) -> WatchManager:
        assert self._watches is not None, "monitor not started"
        return self._watches

    @property
    def reconciler(self) -> Reconciler:
        assert self._reconciler is not None, "monitor not started"
        return self._reconciler

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        settings = self.settings
        account = settings.telegram.account
        client_config = config_from_settings(settings)
        await self.store.open()
        index = await load_index(self.store, settings.matching.vpdq_policy())
        self._index = index
        registry = Registry.default()
        for dotted in settings.handlers.extra:
            registry.load_dotted(dotted)
        pipeline = Pipeline(
            registry, new_context(self.store, index, settings.pipeline_config())
        )
        self.pipeline = pipeline

        notifier = self._notifier or build_notifier(settings)
        self.alerting = Alerting(self.store, settings, notifier)
        options = self._access_options
        if options.notifier is None:
            options = replace(options, notifier=notifier)
        # no join, no recording without authorization
        access = self._access_control = AccessControl(self.store, settings, options)
        await access.pool.ensure(account, settings.telegram.session_file)
        gated = access.sink(pipeline)
        gate = _all_of(self._gate, access.watch_gate(account))
        sink: PostSink = self.alerting.wrap(gated)  # operators hear of each new alert

        client = build_client(client_config)
        self._client = client
        await client.connect()  # LayerMismatchError: the server speaks another layer
        with layer_checked():
            authorized = await client.is_user_authorized()
            me = await client.get_me() if authorized else None
        if not authorized:
            # its watches go to the other accounts
            await access.pool.lost(account, "AUTH_KEY_UNREGISTERED")
            raise NotLoggedIn(
                "the Telegram session is not logged in: run `chanwatch login` first"
            )
        await access.pool.session_ok(account)
        log.info("telegram_connected", account=account, user_id=getattr(me, "id", None))

        downloader = MediaDownloader(client)
        self._watches = WatchManager(
            client, self.store, account=account, gate=gate, reporter=access.pool,
            on_active=self._watch_active,
        )
        self._reconciler = Reconciler(
            client, self.store, sink, account=account,
            fetcher_factory=downloader.fetcher, on_lost=self._watches.mark_lost,
            on_account_lost=self._account_lost,
            revisit_every=settings.monitor.reconcile_interval.total_seconds(),
            authority_of=gated.authority_of,
        )
        self._intake = Intake(client, self.store, self._reconciler, self._watches.is_watched)
        self._intake.register()
        client.reconnect_hooks.append(self._reconciler.reconnected)

        await access.enforcer.run_once()  # ended authorizations take effect before any join
        await self.sync_watches()

        scheduler = AsyncIOScheduler(timezone="UTC")
        interval = settings.monitor.reconcile_interval.total_seconds()
        scheduler.add_job(self._reconcile_all, "interval", seconds=interval,
                          id="reconcile", coalesce=True, max_instances=1)
        scheduler.add_job(self.sync_watches, "interval",
                          seconds=self._watch_sync_every.total_seconds(),
                          id="watches", coalesce=True, max_instances=1)
        scheduler.add_job(self._reload_index, "interval",
                          seconds=self._index_reload_every.total_seconds(),
                          id="bank-index", coalesce=True, max_instances=1)
        access.schedule(scheduler, self.sync_watches)
        self.alerting.schedule(scheduler)
        self.ledger = LedgerService(self.store, settings)
        await self.ledger.start(scheduler)
        scheduler.start()
        self._scheduler = scheduler
        log.info("monitor_started", channels=len(self._reconciler.channel_ids()),
                 reconcile_every_s=interval)

    def _watch_active(self, watch: WatchRecord) -> None:
        """A watch got its channel id: the gate judges the first posts on fresh data."""
        self.access.gate.invalidate()

    async def _account_lost(self, error: str) -> None:
        """Telegram ended this account's session (banned, deactivated, logged out)."""
        # marked; its watches go to other accounts
        await self.access.pool.lost(self.settings.telegram.account, error)

    async def sync_watches(self) -> None:
        """Join/leave as the watch table says, then (re)start channel workers."""
        watched = await self.watches.sync()
        self.reconciler.set_channels(self.watches.watched())
        log.debug("watches_synced", channels=len(watched))

    async def _reload_index(self) -> None:
        """Reload the bank index when banks changed; re-match recent media when one grew."""
        if self._index is not None and self.pipeline is not None:
            await refresh_index(self._index, self.pipeline.ctx)

    async def _reconcile_all(self) -> None:
        self.reconciler.request_all()

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        log.info("monitor_stopping")
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._intake is not None:
            self._intake.unregister()
        if self._reconciler is not None:
            await self._reconciler.stop()
        if self.alerting is not None:  # announcements in flight
            await self.alerting.stop()
        if self._client is not None:
            await self._client.disconnect()
        if self._access_control is not None:  # refused posts counted since the last run
            await self._access_control.gate.flush_refusals()
        if self.ledger is not None:
            await self._final_checkpoint(self.ledger)
        await self.store.close()
        log.info("monitor_stopped")

    @staticmethod
    async def _final_checkpoint(ledger: LedgerService) -> None:
        try:
            await ledger.stop()
        except Exception:  # logged; the next start's job signs what is missing
            log.exception("ledger.final_checkpoint_failed")

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Start, run until ``stop`` is set (or SIGTERM/SIGINT), then stop."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
        try:
            await self.start()
            await self._keep_connected(stop)
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.stop()

    async def _keep_connected(self, stop: asyncio.Event) -> None:
        """Wait for ``stop``; reconnect when Telethon gave up reconnecting itself."""
        stop_wait = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                gone = asyncio.ensure_future(self.client.disconnected)
                await asyncio.wait({stop_wait, gone}, return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():
                    gone.cancel()
                    return
                log.warning("telegram_disconnected", action="reconnect")
                await self._reconnect(stop)
        finally:
            stop_wait.cancel()

    async def _reconnect(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            delay = RECONNECT_BACKOFF[min(attempt, len(RECONNECT_BACKOFF) - 1)]
            try:
                await self.client.connect()
            except (ConnectionError, OSError, TimeoutError) as exc:
                attempt += 1
                log.warning("reconnect_failed", attempt=attempt, retry_in=delay,
                            error=f"{type(exc).__name__}: {exc}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            log.info("telegram_reconnected", attempt=attempt + 1)
            self.reconciler.request_all()
            return
