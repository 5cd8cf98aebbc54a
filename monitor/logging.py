"""structlog configuration for every chanwatch process.

Log lines go to stderr (stdout is for command output). ``format="auto"``
writes JSON lines when stderr is not a terminal (services, CI, pipes) and
readable coloured text when it is. Standard-library loggers (Telethon,
APScheduler, the database drivers) are routed through the same renderer, at WARNING for
Telethon unless the level is DEBUG.

Secrets never reach a log line: ``SecretStr`` values render masked, and any
key that names a secret (``api_hash``, ``session_string``, ``password``,
``token``...) is replaced by ``"**********"`` whatever its value.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import structlog
from pydantic import SecretBytes, SecretStr

from storage.sqlite import DRIVER_LOGGERS

LogFormat = Literal["auto", "json", "console"]
MASK = "**********"
SECRET_KEYS = frozenset(
    {
        "api_hash",
        "session_string",
        "password",
        "passwd",
        "token",
        "secret",
        "auth_key",
        "phone_code",
        "private_key",
    }
)


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in SECRET_KEYS or lowered.endswith(("_password", "_token", "_secret"))


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secret values and values under secret-sounding keys."""
    for key, value in list(event_dict.items()):
        if isinstance(value, SecretStr | SecretBytes) or (
            _is_secret_key(key) and value is not None
        ):
            event_dict[key] = MASK
    return event_dict


def iso_datetimes(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: datetimes and dates as ISO 8601 text, never a Python repr."""
    for key, value in list(event_dict.items()):
        if isinstance(value, datetime | date):
            event_dict[key] = value.isoformat()
    return event_dict


def _wants_json(fmt: LogFormat, stream: TextIO) -> bool:
    if fmt == "json":
        return True
    if fmt == "console":
        return False
    return not _isatty(stream)


def open_log_file(path: Path) -> TextIO:
    """``path`` opened for appending, created with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8", buffering=1)


def configure_logging(
    level: str = "INFO", fmt: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Configure structlog and the standard library's logging once, at start."""
    out = stream if stream is not None else sys.stderr
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
        iso_datetimes,
    ]
    renderer: Any
    if _wants_json(fmt, out):
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=_isatty(out))
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    noisy = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in ("telethon", "apscheduler", *DRIVER_LOGGERS):
        logging.getLogger(name).setLevel(noisy)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (not when the
    handler was made), so redirecting or capturing stderr later still works."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(callable(isatty) and isatty())
