"""storage.errors: every exception class of the project is in the vocabulary, in
at most one category; the ones in none are the documented failures."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from storage.errors import (
    CATEGORIES,
    ChanwatchError,
    Conflict,
    InvalidInput,
    LimitExceeded,
    NotFound,
    Refused,
    category_of,
    lookup,
    setting_label,
)

PACKAGES = ("storage", "access", "handlers", "hotline", "monitor")  # tgsim has its own errors
#: Failures of chanwatch or of what it runs on: in no category (exit 1, HTTP 503).
FAILURES = {
    "storage.errors.StoreError",
    "storage.errors.StoreClosed",
    "storage.errors.MigrationError",
    "storage.errors.DatabaseError",
    "storage.errors.DatabaseReadOnly",
    "storage.errors.DatabaseFull",
    "storage.ledger.keys.KeyFileError",
    "storage.ledger.checkpoint.InconsistentLedger",
    "hotline.notify.WebhookError",
    "handlers.builtin.media.MediaDownloadFailed",
    "monitor.reconcile.NotCommitted",
    "monitor.cli.common.CliError",
    "monitor.telegram.layer.LayerMismatchError",
    "storage.ledger.timestamp.TimestampError",
    "monitor.health.Unhealthy",
    # a detector's failure (logged per medium, never raised to an interface)
    "handlers.detect.protocol.DetectorGarbage",
    "handlers.detect.pool.DetectorFailed",
    "handlers.detect.open_nsfw.ModelMissing",
}
#: Control flow that never leaves its module.
PRIVATE = {"storage.ledger.verify._Stop"}


def _project_exceptions() -> dict[str, type[BaseException]]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    found: dict[str, type[BaseException]] = {}
    stack: list[type[BaseException]] = [BaseException]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            name = f"{sub.__module__}.{sub.__qualname__}"
            if sub.__module__.split(".")[0] in PACKAGES and name not in found:
                found[name] = sub
            stack.append(sub)
    return found


def test_every_project_exception_is_in_the_vocabulary() -> None:
    """All ~45 classes derive from ChanwatchError and from at most one category;
    exactly the listed failures have none."""
    classes = _project_exceptions()
    assert len(classes) > 40
    outside = sorted(n for n, c in classes.items() if not issubclass(c, ChanwatchError))
    assert outside == sorted(PRIVATE)
    for name, cls in classes.items():
        assert sum(issubclass(cls, cat) for cat in CATEGORIES) <= 1, name
    uncategorised = {
        n for n, c in classes.items()
        if issubclass(c, ChanwatchError) and c not in (ChanwatchError, *CATEGORIES)
        and not any(issubclass(c, cat) for cat in CATEGORIES)
    }
    assert uncategorised == FAILURES


def test_builtin_bases_callers_catch_are_kept() -> None:
    """`except ValueError` / `except LookupError` still catch what they caught."""
    classes = _project_exceptions()
    for name in ("handlers.banks.model.BankFormatError", "monitor.settings_values.SettingsError",
                 "access.roles.PolicyViolation", "storage.errors.IllegalTransition",
                 "storage.ledger.note.NoteError", "hotline.queue.DecisionRefused"):
        assert issubclass(classes[name], ValueError), name
    assert issubclass(classes["handlers.spread.UnknownMedia"], LookupError)
    assert issubclass(classes["storage.ledger.keys.KeyFileError"], RuntimeError)


@pytest.mark.parametrize("category", CATEGORIES)
def test_lookup_prefers_the_category(category: type[ChanwatchError]) -> None:
    """A table keyed by category and root finds the category of a deep subclass."""
    table = {InvalidInput: 2, NotFound: 3, Refused: 4, Conflict: 5, ChanwatchError: 1}
    deep = type("Deep", (category,), {})
    assert category_of(deep("x")) is category
    assert lookup(table, deep("x")) == table[category]
    assert lookup(table, ChanwatchError("failure")) == 1
    assert lookup(table, KeyError("bug")) is None


def test_limit_exceeded_names_place_limit_and_setting() -> None:
    """One line: where, what was found, the limit and the setting with its variable."""
    exc = LimitExceeded("bank file b.csv line 2", "a line longer than 1 MiB", "1 MiB",
                        "limits.line_bytes")
    assert str(exc) == (
        "bank file b.csv line 2: a line longer than 1 MiB; limit 1 MiB "
        "(setting limits.line_bytes (CHANWATCH_LIMITS__LINE_BYTES))"
    )
    assert str(exc.at("bank file c.csv line 9")).startswith("bank file c.csv line 9: a line")
    assert str(LimitExceeded("x", "y", "z", None)).endswith("limit z (fixed)")


def test_setting_label_agrees_with_the_settings() -> None:
    """storage spells a setting's variable as monitor.settings does."""
    from monitor.settings import env_name

    assert setting_label("limits.json_depth") == (
        f"setting limits.json_depth ({env_name(('limits', 'json_depth'))})"
    )
