"""The store contract's repositories: small typed interfaces by role.

``await store.transaction(fn)`` hands ``fn`` one :class:`Transaction`; every
repository it exposes works inside that one database transaction, so a change,
its audit row and its evidence-ledger record commit or roll back together.
``await store.snapshot(fn)`` hands ``fn`` a read-only transaction (one
consistent snapshot; its write methods fail).

Callers see only these Protocols and the models of :mod:`storage.models` and
:mod:`storage.access_models`; each backend (``storage/sqlite/``, later
``storage/postgres/``) implements them with its own SQL. Rules (who may, which
transitions are legal, which ledger record a change writes) are not here: they
live in ``storage.changes``, ``storage.ledger``, ``access``, ``hotline`` and
``handlers`` and call these repositories.
"""

from storage.repos.access import (
    AccountsRepo,
    AuthorizationsRepo,
    CasesRepo,
    RequestsRepo,
    TokensRepo,
    UsersRepo,
)
from storage.repos.capture import ChannelsRepo, MediaRepo, PostsRepo, WatchesRepo
from storage.repos.detections import DetectionsRepo
from storage.repos.records import AuditRepo, LedgerRepo
from storage.repos.review import AlertsRepo, BanksRepo, NoticesRepo
from storage.repos.transaction import Transaction

__all__ = [
    "AccountsRepo",
    "AlertsRepo",
    "AuditRepo",
    "AuthorizationsRepo",
    "BanksRepo",
    "CasesRepo",
    "ChannelsRepo",
    "DetectionsRepo",
    "LedgerRepo",
    "MediaRepo",
    "NoticesRepo",
    "PostsRepo",
    "RequestsRepo",
    "TokensRepo",
    "Transaction",
    "UsersRepo",
    "WatchesRepo",
]
