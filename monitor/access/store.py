"""What the access layer needs from a store: run an operation in the single
writer's transaction, or on a reader's snapshot."""

from __future__ import annotations

from storage.ledger.db import TxRunner

__all__ = ["TxRunner"]
