"""monitor.logging: JSON off a terminal, text on one, secrets never written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from pydantic import SecretStr

from monitor.logging import MASK, configure_logging


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def reset_logging() -> Iterator[None]:
    """Each test configures logging afresh; the process's logging is restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_when_not_a_terminal() -> None:
    """auto: one JSON object per line with level, logger, UTC timestamp and fields."""
    buf = io.StringIO()
    configure_logging("INFO", "auto", buf)
    structlog.get_logger("chanwatch.test").info("post_recorded", channel_id=5, message_id=7)
    (line,) = buf.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "post_recorded" and record["level"] == "info"
    assert record["logger"] == "chanwatch.test"
    assert record["channel_id"] == 5 and record["message_id"] == 7
    assert record["timestamp"].endswith("Z")


def test_console_on_a_terminal() -> None:
    """auto on a terminal: readable text, not JSON."""
    buf = Tty()
    configure_logging("INFO", "auto", buf)
    structlog.get_logger("t").info("hello_there", n=1)
    text = buf.getvalue()
    assert "hello_there" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_forced_formats() -> None:
    """json and console override the terminal check."""
    buf = Tty()
    configure_logging("INFO", "json", buf)
    structlog.get_logger("t").info("x")
    assert json.loads(buf.getvalue())["event"] == "x"


def test_level_filters() -> None:
    """Below the level nothing is written."""
    buf = io.StringIO()
    configure_logging("WARNING", "json", buf)
    log = structlog.get_logger("t")
    log.info("quiet")
    log.warning("loud")
    assert [json.loads(x)["event"] for x in buf.getvalue().splitlines()] == ["loud"]


def test_secrets_are_masked() -> None:
    """SecretStr values and secret-named keys are masked, other values kept."""
    buf = io.StringIO()
    configure_logging("INFO", "json", buf)
    structlog.get_logger("t").info(
        "login",
        api_hash="0123456789abcdef0123456789abcdef",
        session_string="1BVts-secret",
        bot_token="123:abc",
        key=SecretStr("hidden-value"),
        phone_hint="+49…12",
    )
    text = buf.getvalue()
    record = json.loads(text)
    assert record["api_hash"] == MASK and record["session_string"] == MASK
    assert record["bot_token"] == MASK and record["key"] == MASK
    assert record["phone_hint"] == "+49…12"
    for secret in ("0123456789abcdef", "1BVts-secret", "123:abc", "hidden-value"):
        assert secret not in text


def test_stdlib_loggers_share_the_format() -> None:
    """Telethon's standard-library log lines come out as JSON too; its INFO is muted."""
    buf = io.StringIO()
    configure_logging("INFO", "json", buf)
    logging.getLogger("telethon.network").info("chatty")
    logging.getLogger("telethon.network").warning("connection lost %s", 3)
    (line,) = buf.getvalue().splitlines()
    assert json.loads(line)["event"] == "connection lost 3"


def test_exceptions_are_rendered() -> None:
    """exc_info becomes an 'exception' field with the traceback."""
    buf = io.StringIO()
    configure_logging("INFO", "json", buf)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        structlog.get_logger("t").error("failed", exc_info=True)
    record = json.loads(buf.getvalue())
    assert "RuntimeError: boom" in record["exception"]


def test_unknown_level() -> None:
    """A level name that does not exist is refused."""
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("LOUD", "json", io.StringIO())


def test_default_stream_follows_sys_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit stream, lines go to the sys.stderr of the moment they are
    logged: replacing (and closing) the old one later loses nothing and raises nothing."""
    import sys

    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO", "json")
    monkeypatch.setattr(sys, "stderr", second)
    first.close()
    structlog.get_logger("t").warning("still_here")
    assert json.loads(second.getvalue())["event"] == "still_here"


def test_datetimes_are_iso_8601_never_a_python_repr() -> None:
    """A datetime in a log line renders as ISO 8601 text, in JSON and in console form."""
    import io
    from datetime import UTC, datetime

    import structlog

    from monitor.logging import configure_logging

    when = datetime(2026, 6, 30, 12, 0, 1, tzinfo=UTC)
    for fmt in ("json", "console"):
        stream = io.StringIO()
        configure_logging("INFO", fmt, stream)  # type: ignore[arg-type]
        structlog.get_logger("t").info("checked", due_at=when)
        text = stream.getvalue()
        assert "2026-06-30T12:00:01+00:00" in text, text
        assert "datetime.datetime(" not in text
    configure_logging()
