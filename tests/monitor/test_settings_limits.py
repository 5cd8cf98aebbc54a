"""monitor.settings at its edges: the [limits] section, durations out of range,
config files too big or too deep, and secrets never echoed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from handlers.banks.reader import BankLimits
from monitor.settings import LimitSettings, Settings, SettingsError
from monitor.settings_values import SECRET_FIELDS

SECRET = "https://hooks.example/T0KEN-s3cr3t:x"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def error_of(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], toml: Path | None = None) -> str:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        Settings.load(toml, env_file=None)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_limit_defaults_are_the_readers_defaults() -> None:
    """The settings' defaults are the ones the bank reader uses on its own."""
    limits = Settings.load(None, env_file=None).limits
    assert limits.bank() == BankLimits()
    assert limits.hash_file_bytes == 256 * 1024**2 and limits.name_chars == 128
    assert LimitSettings(line_bytes="4MiB").bank().line_bytes == 4 * 1024**2


@pytest.mark.parametrize(
    "value", ["99999999999d", "-99999999999d", "1" + "0" * 400, "99999999999999999999w"]
)
def test_a_duration_out_of_range_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """No OverflowError, no traceback: one line naming the setting and the range."""
    message = error_of(monkeypatch, {"CHANWATCH_ALERTS__DUE": value})
    assert message.startswith("setting alerts.due (CHANWATCH_ALERTS__DUE): duration ")
    assert "out of range: at most 36500d" in message


def test_iso_durations_out_of_range_too(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, {"CHANWATCH_MONITOR__RECONCILE_INTERVAL": "P99999999999D"})
    assert message.startswith("setting monitor.reconcile_interval")


def test_a_deep_or_big_config_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Deeper than Python's recursion, deeper than the fixed limit, bigger than 1 MiB."""
    abyss = tmp_path / "abyss.toml"
    abyss.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert error_of(monkeypatch, {}, abyss) == (
        f"config file {abyss}: nested deeper than 16 levels (fixed limit)"
    )
    deep = tmp_path / "deep.toml"
    deep.write_text("[" + ".".join(f"t{i}" for i in range(20)) + "]\nx = 1\n")
    assert "nested deeper than 16 levels" in error_of(monkeypatch, {}, deep)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (1024 * 1024) + "\n")
    assert error_of(monkeypatch, {}, big) == (
        f"config file {big}: larger than 1048576 bytes (fixed limit)"
    )


def _secret_fields(model: type[BaseModel]) -> set[str]:
    out: set[str] = set()
    for name, field in model.model_fields.items():
        args = getattr(field.annotation, "__args__", (field.annotation,))
        if SecretStr in args:
            out.add(name)
        for arg in args:
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out |= _secret_fields(arg)
    return out


def test_every_secret_setting_is_never_echoed() -> None:
    """Each SecretStr field of the settings is in SECRET_FIELDS."""
    assert _secret_fields(Settings) <= SECRET_FIELDS
    assert {"api_hash", "session_string", "webhook_url"} <= _secret_fields(Settings)


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("CHANWATCH_HOTLINE__WEBHOOK_URL", "ftp" + SECRET[5:]),
        ("CHANWATCH_HOTLINE__WEBHOOK_URL", "https://hooks.example:T0KEN-s3cr3t/x"),
        ("CHANWATCH_HOTLINE__WEBHOOK_URL", SECRET + " with a space"),
        ("CHANWATCH_TELEGRAM__API_HASH", "T0KEN-s3cr3t-not-32-hex-digits"),
    ],
)
def test_an_invalid_secret_is_not_in_the_error(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    """The message names the setting and what is wrong, never the value."""
    message = error_of(monkeypatch, {var: value})
    assert var in message and "T0KEN" not in message and "s3cr3t" not in message
