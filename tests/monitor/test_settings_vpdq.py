"""The vPDQ thresholds in the settings: defaults, per-bank overrides from the
environment and a TOML file, and one clear line for every bad value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handlers.hashing import VpdqPolicy, VpdqThresholds
from monitor.settings import Settings, SettingsError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def load(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], toml: Path | None = None
         ) -> Settings:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.load(toml, env_file=None)


def error(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], toml: Path | None = None) -> str:
    with pytest.raises(SettingsError) as info:
        load(monkeypatch, env, toml)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_defaults_are_80_percent_each_way(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load(monkeypatch, {}).matching.vpdq_policy()
    assert policy == VpdqPolicy(VpdqThresholds(80.0, 80.0), {})


def test_env_defaults_and_a_bank_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bank's override replaces only the values it gives; 0 switches one off."""
    policy = load(monkeypatch, {
        "CHANWATCH_MATCHING__VPDQ_CONTAINS_PERCENT": "90",
        "CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT": "70.5",
        "CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": {"contains_percent": 0}, "tcap": {}}',
    }).matching.vpdq_policy()
    assert policy.default == VpdqThresholds(90.0, 70.5)
    assert policy.for_bank("ncmec") == VpdqThresholds(0.0, 70.5)
    assert policy.for_bank("tcap") == policy.default == policy.for_bank("other")


def test_nested_env_variable_for_one_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load(monkeypatch, {
        "CHANWATCH_MATCHING__VPDQ_BANKS__NCMEC__EXCERPT_PERCENT": "50",
    }).matching.vpdq_policy()
    assert policy.for_bank("ncmec") == VpdqThresholds(80.0, 50.0)


def test_toml_tables_per_bank(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        "[matching]\nvpdq_contains_percent = 85\n"
        "[matching.vpdq_banks.ncmec]\nexcerpt_percent = 95\n"
        '[matching.vpdq_banks."my bank"]\ncontains_percent = 100\n', encoding="utf-8")
    policy = load(monkeypatch, {}, toml).matching.vpdq_policy()
    assert policy.for_bank("ncmec") == VpdqThresholds(85.0, 95.0)
    assert policy.for_bank("my bank") == VpdqThresholds(100.0, 80.0)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CHANWATCH_MATCHING__VPDQ_CONTAINS_PERCENT": "150"},
         "setting matching.vpdq_contains_percent (CHANWATCH_MATCHING__VPDQ_CONTAINS_PERCENT): "
         "input should be less than or equal to 100 (got '150')"),
        ({"CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT": "-5"},
         "setting matching.vpdq_excerpt_percent (CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT): "
         "input should be greater than or equal to 0"),
        ({"CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT": "eighty"},
         "setting matching.vpdq_excerpt_percent (CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT): "
         "input should be a valid number"),
        ({"CHANWATCH_MATCHING__VPDQ_CONTAINS_PERCENT": "0",
          "CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT": "0"},
         "vpdq_contains_percent and vpdq_excerpt_percent are both 0: no video could match"),
        ({"CHANWATCH_MATCHING__VPDQ_EXCERPT_PERCENT": "0",
          "CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": {"contains_percent": 0}}'},
         "vpdq_banks.ncmec: contains_percent and excerpt_percent are both 0"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": {"contains": 90}}'},
         "unknown setting matching.vpdq_banks.ncmec.contains"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": {"contains_percent": 101}}'},
         "setting matching.vpdq_banks.ncmec.contains_percent "
         "(CHANWATCH_MATCHING__VPDQ_BANKS__NCMEC__CONTAINS_PERCENT): "
         "input should be less than or equal to 100"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": {"excerpt_percent": true}}'},
         "vpdq_banks.ncmec.excerpt_percent"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": 90}'},
         "setting matching.vpdq_banks.ncmec (CHANWATCH_MATCHING__VPDQ_BANKS__NCMEC): "
         "input should be a valid dictionary"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '{"ncmec": {"contains_percent": 90}'},
         "setting matching.vpdq_banks (CHANWATCH_MATCHING__VPDQ_BANKS): not a JSON object"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '[90]'},
         "setting matching.vpdq_banks (CHANWATCH_MATCHING__VPDQ_BANKS): expected a JSON object"),
        ({"CHANWATCH_MATCHING__VPDQ_BANKS": '{" ncmec": {}}'},
         "a bank name must be non-empty without surrounding spaces: ' ncmec'"),
    ],
)
def test_bad_values_get_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    assert expected in error(monkeypatch, env)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_not_a_finite_number(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    msg = error(monkeypatch, {"CHANWATCH_MATCHING__VPDQ_CONTAINS_PERCENT": value})
    assert msg.startswith("setting matching.vpdq_contains_percent ")


def test_bad_value_in_toml_names_the_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[matching.vpdq_banks.ncmec]\ncontains_percent = "lots"\n', encoding="utf-8")
    msg = error(monkeypatch, {}, toml)
    assert msg.startswith("setting matching.vpdq_banks.ncmec.contains_percent ")
