"""Errors the store raises; callers may catch these without knowing the backend."""

from __future__ import annotations


class StoreError(Exception):
    """Something the store cannot do, with a message that says what and why."""


class StoreClosed(StoreError):
    """The store is not open (never opened, or already closed)."""


class MigrationError(StoreError):
    """A schema migration is malformed, failed, or the database is newer than the code."""


class NotFound(StoreError, LookupError):
    """The row asked for (alert, watch, bank...) does not exist."""


class IllegalTransition(StoreError, ValueError):
    """An alert state change the state machine does not allow."""


class InvalidBankEntry(StoreError, ValueError):
    """A hash-bank entry is malformed; the whole import was rolled back."""
