"""One transaction of the store: every repository, bound to the same database
transaction, and the time it started."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from storage.repos.access import (
    AccountsRepo,
    AuthorizationsRepo,
    CasesRepo,
    RequestsRepo,
    TokensRepo,
    UsersRepo,
)
from storage.repos.capture import ChannelsRepo, MediaRepo, PostsRepo, SweepRepo, WatchesRepo
from storage.repos.console import AlertPagesRepo, StatsRepo, WebSessionsRepo
from storage.repos.detections import DetectionsRepo
from storage.repos.records import (
    AuditRepo,
    CheckpointsRepo,
    LedgerRepo,
    TimestampsRepo,
    WitnessAcksRepo,
)
from storage.repos.review import AlertsRepo, BanksRepo, NoticesRepo


class Transaction(Protocol):
    """What ``store.transaction(fn)`` and ``store.snapshot(fn)`` hand to ``fn``.

    ``fn`` must not start, commit or roll back the transaction itself; if it
    raises, everything it changed is rolled back and the exception propagates.
    ``now`` is the store's clock read once when the transaction began: use it
    for every timestamp of the change, so a change and its records agree.
    """

    @property
    def now(self) -> datetime: ...
    @property
    def read_only(self) -> bool: ...

    # capture
    @property
    def channels(self) -> ChannelsRepo: ...
    @property
    def watches(self) -> WatchesRepo: ...
    @property
    def posts(self) -> PostsRepo: ...
    @property
    def media(self) -> MediaRepo: ...
    @property
    def sweep(self) -> SweepRepo: ...

    # review
    @property
    def banks(self) -> BanksRepo: ...
    @property
    def alerts(self) -> AlertsRepo: ...
    @property
    def notices(self) -> NoticesRepo: ...
    @property
    def detections(self) -> DetectionsRepo: ...

    # records
    @property
    def audit(self) -> AuditRepo: ...
    @property
    def ledger(self) -> LedgerRepo: ...
    @property
    def checkpoints(self) -> CheckpointsRepo: ...
    @property
    def witness_acks(self) -> WitnessAcksRepo: ...
    @property
    def timestamps(self) -> TimestampsRepo: ...

    # people and authority
    @property
    def users(self) -> UsersRepo: ...
    @property
    def tokens(self) -> TokensRepo: ...
    @property
    def cases(self) -> CasesRepo: ...
    @property
    def authorizations(self) -> AuthorizationsRepo: ...
    @property
    def requests(self) -> RequestsRepo: ...
    @property
    def accounts(self) -> AccountsRepo: ...

    # the web console (hotline.console)
    @property
    def web_sessions(self) -> WebSessionsRepo: ...
    @property
    def alert_pages(self) -> AlertPagesRepo: ...
    @property
    def stats(self) -> StatsRepo: ...
