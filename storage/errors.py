"""chanwatch's error vocabulary: one root and four categories.

Every exception chanwatch raises on purpose is a :class:`ChanwatchError`, and
every one caused by the request (what the caller asked, the files and settings
it gave) belongs to exactly one of four categories:

* :class:`InvalidInput`: bad arguments, files, settings, hash lists, images,
  and requests the lawful-use policy does not allow as made; a limit crossed
  (:class:`LimitExceeded`).
* :class:`NotFound`: the thing named (alert, case, bank, medium, channel...)
  does not exist.
* :class:`Refused`: the actor may not do this (role, policy on people).
* :class:`Conflict`: the state does not allow it (illegal transition, lost
  race, already exists).

An error that is none of these is a failure of chanwatch or of what it runs on
(a damaged or full database, a peer that does not answer): its class derives
from :class:`ChanwatchError` without a category. Interfaces map the categories
in one table each: the CLI to exit statuses (``monitor/cli/exits.py``), the web
to HTTP statuses (``hotline/http_errors.py``). Anything that is not a
``ChanwatchError`` reaching an interface is a bug: the CLI's last-resort
handler reports it with an incident id.

A class names its category among its bases (after a base of its own such as
:class:`StoreError`, if any) and keeps the built-in bases callers catch
(``ValueError``, ``LookupError``, ``RuntimeError``), so ``except ValueError``
keeps working. ``tests/storage/test_errors.py`` checks every class.

``storage`` is the ground floor, so every package may import this module.
"""

from __future__ import annotations

from typing import Final


class ChanwatchError(Exception):
    """Root of every error chanwatch raises on purpose; ``str(err)`` is one line
    for the person or program that made the request, and never holds a secret."""


class InvalidInput(ChanwatchError):
    """Category: the request's input is wrong (arguments, files, settings, hash
    lists, images), or breaks a limit or a rule the caller must change it for."""


class NotFound(ChanwatchError, LookupError):
    """Category: the thing named does not exist (alert, watch, bank, medium...)."""


class Refused(ChanwatchError):
    """Category: the actor may not do this (unknown, disabled, missing role, policy)."""


class Conflict(ChanwatchError):
    """Category: the current state does not allow it (illegal transition, lost
    race, already exists)."""


#: The four categories, in the order interfaces document them.
CATEGORIES: Final[tuple[type[ChanwatchError], ...]] = (InvalidInput, NotFound, Refused, Conflict)


def category_of(exc: BaseException) -> type[ChanwatchError] | None:
    """The category ``exc`` belongs to; None for an uncategorised failure or a
    foreign exception."""
    for cls in type(exc).__mro__:
        if cls in CATEGORIES:
            return cls
    return None


def lookup(table: dict[type[ChanwatchError], int], exc: BaseException) -> int | None:
    """``table``'s value for ``exc``: the entry of its category, else of the
    nearest class of its own that the table names (``ChanwatchError`` for a
    failure); None for an exception that is not a ``ChanwatchError``."""
    category = category_of(exc)
    if category is not None and category in table:
        return table[category]
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return None


# ------------------------------------------------------------- limits


def setting_label(setting: str) -> str:
    """``limits.line_bytes`` -> ``setting limits.line_bytes (CHANWATCH_LIMITS__LINE_BYTES)``.

    The environment name follows chanwatch's settings convention (prefix
    ``CHANWATCH_``, sections joined by ``__``); ``monitor.settings`` owns it and
    a test checks that both agree.
    """
    env = "CHANWATCH_" + "__".join(part.upper() for part in setting.split("."))
    return f"setting {setting} ({env})"


class LimitExceeded(InvalidInput, ValueError):
    """An input crossed a limit: ``where`` (file, line or member), what was
    found, the ``limit`` and the ``setting`` that sets it (None: a fixed limit)."""

    def __init__(self, where: str, found: str, limit: str, setting: str | None) -> None:
        self.where = where
        self.found = found
        self.limit = limit
        self.setting = setting
        source = setting_label(setting) if setting is not None else "fixed"
        super().__init__(f"{where}: {found}; limit {limit} ({source})")

    def at(self, where: str) -> LimitExceeded:
        """The same crossing, located more precisely (``where`` replaces the place)."""
        return LimitExceeded(where, self.found, self.limit, self.setting)


# -------------------------------------------------------------- the store


class StoreError(ChanwatchError):
    """The store cannot do something; the message says what and why. Without a
    category of its own, a failure of the database (see :class:`DatabaseError`)."""


class StoreClosed(StoreError):
    """The store is not open (never opened, or already closed)."""


class MigrationError(StoreError):
    """A schema migration is malformed, failed, or the database is newer than the code."""


class AlreadyExists(StoreError, Conflict):
    """A row with that name exists already (a lost race between check and create)."""


class StateConflict(StoreError, Conflict):
    """A change the stored state does not allow (a watch bound to another channel...)."""


class IllegalTransition(StoreError, Conflict, ValueError):
    """An alert state change the state machine does not allow."""


class InvalidBankEntry(StoreError, InvalidInput, ValueError):
    """A hash-bank entry is malformed; the whole import was rolled back."""


class DatabaseError(StoreError):
    """The database file cannot be used as it is: ``path`` and the next step are
    in the message (damaged, not a chanwatch database, read-only, disk full)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class DatabaseReadOnly(DatabaseError):
    """A write to a database this process may only read."""


class DatabaseFull(DatabaseError):
    """The database's disk (or its size limit) is full; nothing was written."""
