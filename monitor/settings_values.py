"""How raw setting values are read, and how a wrong one is reported.

Friendly formats for durations (``24h``), sizes (``20MiB``), lists and
mappings from environment variables, path checks, the ``--config`` TOML file,
and :func:`describe_validation_error`, which turns pydantic's errors into the
one line chanwatch prints. :mod:`monitor.settings` re-exports what callers use.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from storage.errors import InvalidInput

ENV_PREFIX = "CHANWATCH_"
ENV_DELIMITER = "__"
#: Settings whose values never appear in an error message (a test checks that
#: every ``SecretStr`` field of the settings is named here).
SECRET_FIELDS = frozenset({"api_hash", "session_string", "webhook_url"})
#: Fixed limits of the settings themselves (read before any setting is known).
MAX_DURATION = timedelta(days=36500)  # 100 years: far beyond any window chanwatch has
CONFIG_FILE_MAX_BYTES = 1024 * 1024
CONFIG_MAX_DEPTH = 16
_SECRET_WORDS = ("secret", "password", "token")


class SettingsError(InvalidInput, ValueError):
    """A setting is missing or wrong; ``str(err)`` is one line for the user."""


# --------------------------------------------------------------------- parsers

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {
    "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1024, "ki": 1024,
    "m": 1000**2, "mb": 1000**2, "mib": 1024**2, "mi": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "gi": 1024**3,
    "t": 1000**4, "tb": 1000**4, "tib": 1024**4, "ti": 1024**4,
}
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


def parse_duration(value: Any) -> Any:
    """``"24h"``, ``"90m"``, ``"30s"``, ``"1d"`` or a number of seconds -> timedelta.

    Anything else (a timedelta, an ISO 8601 ``PT24H``) is left to pydantic.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _bounded(float(value), repr(value))
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            unit = (match.group(2) or "s").lower()
            return _bounded(float(match.group(1)) * _DURATION_UNITS[unit], value.strip())
    return value


def _bounded(seconds: float, shown: str) -> timedelta:
    """``seconds`` as a timedelta, refused beyond :data:`MAX_DURATION` (either sign)."""
    if not math.isfinite(seconds) or abs(seconds) > MAX_DURATION.total_seconds():
        raise ValueError(
            f"duration {shown[:40]} is out of range: at most {MAX_DURATION.days}d (fixed limit)"
        )
    return timedelta(seconds=seconds)


def parse_size(value: Any) -> Any:
    """``"20MiB"``, ``"500 kB"``, ``"1048576"`` -> bytes as int."""
    if isinstance(value, str):
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"not a size: {value!r} (use bytes or e.g. 20MiB, 500kB)")
        unit = (match.group(2) or "").lower()
        if unit not in _SIZE_UNITS:
            raise ValueError(f"unknown size unit in {value!r}")
        return int(float(match.group(1)) * _SIZE_UNITS[unit])
    return value


def split_list(value: Any) -> Any:
    """A comma-separated string or a JSON list -> list of stripped strings."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"not a JSON list: {err.msg}") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def split_mapping(value: Any) -> Any:
    """``"A1=1,A2=2"`` or a JSON object -> dict."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                return json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"not a JSON object: {err.msg}") from None
        out: dict[str, str] = {}
        for part in text.split(","):
            if not part.strip():
                continue
            key, sep, val = part.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"expected CATEGORY=PRIORITY, got {part.strip()!r}")
            out[key.strip()] = val.strip()
        return out
    return value


def check_file_path(path: Path) -> Path:
    """A path we will create or open: its directory must exist, it is no directory."""
    path = path.expanduser()
    if path.is_dir():
        raise ValueError(f"{path} is a directory, expected a file path")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"directory {parent} does not exist")
    return path


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ByteSize = Annotated[int, BeforeValidator(parse_size)]


# --------------------------------------------------------------------- errors


def env_name(loc: Sequence[str | int]) -> str:
    """``("telegram", "api_id")`` -> ``CHANWATCH_TELEGRAM__API_ID``."""
    return ENV_PREFIX + ENV_DELIMITER.join(str(part).upper() for part in loc)


def one_line(text: str) -> str:
    return " ".join(text.split())


def describe_validation_error(err: ValidationError) -> str:
    """One line for the user: each wrong setting, its env name, what is wrong."""
    parts: list[str] = []
    for item in err.errors(include_url=False):
        loc = tuple(str(p) for p in item["loc"])
        name = ".".join(loc) or "settings"
        msg = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            parts.append(f"unknown setting {name}")
            continue
        if item["type"] == "missing":
            parts.append(f"setting {name} ({env_name(loc)}) is required")
            continue
        if msg[:1].isupper() and msg[1:2].islower():
            msg = msg[:1].lower() + msg[1:]
        text = f"setting {name} ({env_name(loc)}): {msg}"
        value = item.get("input")
        secret = any(
            part in SECRET_FIELDS or any(word in part for word in _SECRET_WORDS) for part in loc
        )
        if not secret and isinstance(value, str | int | float) and len(str(value)) <= 80:
            text += f" (got {value!r})"
        parts.append(text)
    return one_line("; ".join(parts))


def read_toml(path: Path) -> dict[str, Any]:
    """The config file's tables, or :class:`SettingsError` with the file and line.

    The file is at most :data:`CONFIG_FILE_MAX_BYTES` and its tables, arrays and
    inline tables nest at most :data:`CONFIG_MAX_DEPTH` deep (fixed limits: they
    are checked before any setting is known).
    """
    try:
        with path.expanduser().open("rb") as file:
            raw = file.read(CONFIG_FILE_MAX_BYTES + 1)
    except OSError as err:
        raise SettingsError(f"config file {path}: {err.strerror or err}") from None
    if len(raw) > CONFIG_FILE_MAX_BYTES:
        raise _too_deep_or_big(path, f"larger than {CONFIG_FILE_MAX_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"config file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(f"config file {path}: invalid TOML: {one_line(str(err))}") from None
    except RecursionError:
        raise _too_deep_or_big(path, f"nested deeper than {CONFIG_MAX_DEPTH} levels") from None
    if nesting_depth(data) > CONFIG_MAX_DEPTH:
        raise _too_deep_or_big(path, f"nested deeper than {CONFIG_MAX_DEPTH} levels")
    return data


def _too_deep_or_big(path: Path, what: str) -> SettingsError:
    return SettingsError(f"config file {path}: {what} (fixed limit)")


def nesting_depth(value: object) -> int:
    """How deep lists and mappings nest in ``value`` (a scalar: 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest
