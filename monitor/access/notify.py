"""The notifier hook, now in :mod:`hotline.notify` (re-exported here)."""

from __future__ import annotations

from hotline.notify import LogNotifier, Notifier, tell

__all__ = ["LogNotifier", "Notifier", "tell"]
