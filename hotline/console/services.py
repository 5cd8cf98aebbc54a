"""What the console calls: the access services (``access.services``: users,
cases, watch requests, accounts), the review queue, media spread and bank
import, handed in by ``monitor``'s wiring (spread and bank import are
``handlers``' work, which ``hotline`` does not import).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access.accounts import AccountPool
from access.cases import Cases
from access.requests import WatchRequests
from access.services import Services
from access.users import Users
from hotline.queue import AlertQueue
from storage.api import Store

#: ``spread(media_id)``: the medium's spread as one JSON-ready object (``media
#: spread --json``); raises LookupError for an unknown medium.
SpreadFn = Callable[[int], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What a bank import through the console did (as ``bank import`` says it)."""

    format: str
    entries: int
    added: int
    withdrawn: int
    duplicates: int
    errors: tuple[str, ...]  # "line N: what is wrong", as the CLI reports them
    imported: bool
    enabled_entries: int = 0
    total_entries: int = 0
    threshold: int | None = None


#: ``bank_import(actor, bank, data, fmt, skip_invalid, threshold, replace, progress)``:
#: parse and import a bank file with the CLI's own flow; ``progress(phase)`` is
#: called as it goes. Invalid lines without ``skip_invalid``: nothing imported.
BankImportFn = Callable[
    [str, str, bytes, str, bool, int | None, bool, Callable[[str], None]],
    Awaitable[ImportOutcome],
]


@dataclass(frozen=True, slots=True)
class ConsoleServices:
    store: Store
    access: Services
    queue: AlertQueue
    spread: SpreadFn
    bank_import: BankImportFn
    bank_formats: tuple[str, ...] = ()
    clock: Callable[[], datetime] | None = None

    @property
    def users(self) -> Users:
        return self.access.users

    @property
    def cases(self) -> Cases:
        return self.access.cases

    @property
    def requests(self) -> WatchRequests:
        return self.access.requests

    @property
    def accounts(self) -> AccountPool:
        return self.access.accounts
