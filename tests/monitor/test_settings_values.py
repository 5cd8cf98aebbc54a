"""monitor.settings_values: friendly value formats and the one-line error text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr, ValidationError

from monitor.settings_values import (
    SettingsError,
    check_file_path,
    describe_validation_error,
    env_name,
    parse_duration,
    parse_size,
    read_toml,
    split_list,
    split_mapping,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("90m", 5400), ("30s", 30), ("1d", 86400), ("250ms", 0.25), ("15", 15),
     ("2w", 1209600), ("-5", -5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    """Durations with units or plain seconds (the sign is kept for the validator)."""
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_parse_duration_leaves_other_forms_to_pydantic() -> None:
    """ISO 8601 and garbage pass through unchanged; numbers are seconds."""
    assert parse_duration("PT3H") == "PT3H"
    assert parse_duration("soon") == "soon"
    assert parse_duration(90) == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("text", "size"),
    [("20MiB", 20 * 1024**2), ("500kB", 500_000), ("1 GiB", 1024**3), ("123", 123),
     ("2M", 2_000_000)],
)
def test_parse_size(text: str, size: int) -> None:
    """Sizes with decimal or binary units."""
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["big", "5 parsecs", "1.2.3MB"])
def test_parse_size_errors(text: str) -> None:
    """Anything else is refused with the value in the message."""
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_split_list_and_mapping() -> None:
    """Comma lists and CATEGORY=N pairs, or JSON; malformed ones are refused."""
    assert split_list(" photo , video,,") == ["photo", "video"]
    assert split_list('["a", "b"]') == ["a", "b"]
    assert split_mapping("a=1, b = 2") == {"a": "1", "b": "2"}
    assert split_mapping('{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="CATEGORY=PRIORITY"):
        split_mapping("a")
    with pytest.raises(ValueError, match="not a JSON list"):
        split_list("[1,")


def test_check_file_path(tmp_path: Path) -> None:
    """A file path must be in an existing directory and not be a directory."""
    assert check_file_path(tmp_path / "x.db") == tmp_path / "x.db"
    with pytest.raises(ValueError, match="does not exist"):
        check_file_path(tmp_path / "no" / "x.db")
    with pytest.raises(ValueError, match="is a directory"):
        check_file_path(tmp_path)


class _Inner(BaseModel):
    n: int = Field(ge=0)
    secret: SecretStr | None = None


class _Outer(BaseModel):
    inner: _Inner


def test_describe_validation_error() -> None:
    """Every error on one line with dotted name and env variable; secrets not echoed."""
    with pytest.raises(ValidationError) as info:
        _Outer.model_validate({"inner": {"n": -1, "secret": 5}})
    line = describe_validation_error(info.value)
    assert "\n" not in line
    assert "setting inner.n (CHANWATCH_INNER__N)" in line and "(got -1)" in line
    assert "inner.secret" in line and "got 5" not in line


def test_env_name() -> None:
    """Sections join with a double underscore under the prefix."""
    assert env_name(("telegram", "server", "dc_id")) == "CHANWATCH_TELEGRAM__SERVER__DC_ID"


def test_read_toml(tmp_path: Path) -> None:
    """A TOML file is read; bad syntax, bad encoding and a missing file are one line."""
    good = tmp_path / "a.toml"
    good.write_text("[x]\ny = 1\n", encoding="utf-8")
    assert read_toml(good) == {"x": {"y": 1}}
    bad = tmp_path / "b.toml"
    bad.write_text("x = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match="invalid TOML"):
        read_toml(bad)
    latin = tmp_path / "c.toml"
    latin.write_bytes(b"x = '\xe9'\n")
    with pytest.raises(SettingsError, match="not UTF-8"):
        read_toml(latin)
    with pytest.raises(SettingsError, match="config file"):
        read_toml(tmp_path / "none.toml")
