"""monitor.settings: sources, parsing, and one clear line for every bad setting."""

from __future__ import annotations

import re
import typing
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel

from monitor.settings import Settings, SettingsError, env_name

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = REPO / "deploy" / "settings.example.env"
API_HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CHANWATCH_* variable from the outside, and a cwd without .env."""
    import os

    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load_error(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], toml: Path | None = None
) -> str:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as info:
        Settings.load(toml, env_file=None)
    message = str(info.value)
    assert "\n" not in message, "a settings error is one line"
    return message


def test_defaults() -> None:
    """Without any source the documented defaults apply."""
    s = Settings.load(None, env_file=None)
    assert s.telegram.api_id is None and s.telegram.api_hash is None
    assert s.telegram.session_file == Path("chanwatch.session")
    assert s.telegram.server is None
    assert s.database.path == Path("chanwatch.db")
    assert s.media.max_bytes == 20 * 1024 * 1024
    assert s.media.hash_kinds == {"photo", "video", "animation", "document", "sticker"}
    assert s.matching.pdq_threshold == 31 and s.matching.pdq_min_quality == 50
    assert s.matching.category_priority == {"csam": 1, "ncii": 1, "terror": 2}
    assert s.matching.default_priority == 3
    assert s.alerts.due == timedelta(hours=24)
    assert s.monitor.reconcile_interval == timedelta(minutes=5)
    assert s.monitor.sweep_batch == 100 and s.monitor.sweep_interval == timedelta(seconds=5)
    assert s.handlers.extra == ()
    assert s.log.level == "INFO" and s.log.format == "auto"


def test_env_values_are_parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Environment variables with the CHANWATCH_ prefix and __ sections, friendly formats."""
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_ID", "12345")
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_HASH", API_HASH)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(tmp_path / "x.db"))
    monkeypatch.setenv("CHANWATCH_MEDIA__MAX_BYTES", "5MiB")
    monkeypatch.setenv("CHANWATCH_MEDIA__HASH_KINDS", "photo, video")
    monkeypatch.setenv("CHANWATCH_MATCHING__CATEGORY_PRIORITY", "A1=1,Terror=2")
    monkeypatch.setenv("CHANWATCH_ALERTS__DUE", "90m")
    monkeypatch.setenv("CHANWATCH_MONITOR__RECONCILE_INTERVAL", "30")
    monkeypatch.setenv("CHANWATCH_HANDLERS__EXTRA", "a.b:c,d:e")
    monkeypatch.setenv("CHANWATCH_LOG__LEVEL", "debug")
    s = Settings.load(None, env_file=None)
    assert s.telegram.api_id == 12345
    assert s.telegram.api_hash is not None and s.telegram.api_hash.get_secret_value() == API_HASH
    assert s.database.path == tmp_path / "x.db"
    assert s.media.max_bytes == 5 * 1024 * 1024
    assert s.media.hash_kinds == {"photo", "video"}
    assert s.matching.category_priority == {"a1": 1, "terror": 2}
    assert s.alerts.due == timedelta(minutes=90)
    assert s.monitor.reconcile_interval == timedelta(seconds=30)
    assert s.handlers.extra == ("a.b:c", "d:e")
    assert s.log.level == "DEBUG"


def test_json_lists_and_mappings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists and mappings may also be given as JSON."""
    monkeypatch.setenv("CHANWATCH_MEDIA__HASH_KINDS", '["photo"]')
    monkeypatch.setenv("CHANWATCH_MATCHING__CATEGORY_PRIORITY", '{"B2": 4}')
    s = Settings.load(None, env_file=None)
    assert s.media.hash_kinds == {"photo"}
    assert s.matching.category_priority == {"b2": 4}


def test_toml_file_and_priority(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The --config TOML file is read; .env beats it and the environment beats both."""
    toml = write(
        tmp_path / "c.toml",
        '[telegram]\napi_id = 1\naccount = "persona1"\n'
        '[alerts]\ndue = "PT3H"\n[media]\nhash_kinds = ["photo"]\n'
        "[matching]\npdq_threshold = 20\n",
    )
    dotenv = write(
        tmp_path / ".env", "CHANWATCH_TELEGRAM__API_ID=2\nCHANWATCH_MATCHING__PDQ_THRESHOLD=25\n"
    )
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_ID", "3")
    s = Settings.load(toml, env_file=dotenv)
    assert s.telegram.api_id == 3  # environment
    assert s.matching.pdq_threshold == 25  # .env
    assert s.telegram.account == "persona1"  # TOML
    assert s.alerts.due == timedelta(hours=3)
    assert s.media.hash_kinds == {"photo"}


def test_dotenv_ignores_other_variables(tmp_path: Path) -> None:
    """A .env shared with other tools may hold variables that are not chanwatch's."""
    dotenv = write(tmp_path / ".env", "POSTGRES_PASSWORD=x\nCHANWATCH_TELEGRAM__API_ID=9\n")
    assert Settings.load(None, env_file=dotenv).telegram.api_id == 9


def test_example_env_documents_every_field() -> None:
    """Every settings field has its CHANWATCH_ variable in deploy/settings.example.env."""
    text = EXAMPLE_ENV.read_text(encoding="utf-8")

    def names(model: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for field_name, field in model.model_fields.items():
            ann = field.annotation
            inner = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type)]
            # A section descends; a mapping of models (name -> model) is one variable.
            nested = [a for a in inner if issubclass(a, BaseModel)
                      and typing.get_origin(ann) is not dict]
            if nested:
                out.extend(names(nested[0], (*loc, field_name)))
            else:
                out.append(env_name((*loc, field_name)))
        return out

    fields = names(Settings, ())
    assert len(fields) > 20
    missing = [n for n in fields if not re.search(rf"^#?{n}=", text, re.MULTILINE)]
    assert missing == []


def test_example_env_loads_as_is(tmp_path: Path) -> None:
    """A copy of the example file is a valid .env (its defaults match the code's)."""
    s = Settings.load(None, env_file=EXAMPLE_ENV)
    assert s == Settings.load(None, env_file=None)


def test_bad_api_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-integer api_id names the setting and the variable."""
    msg = load_error(monkeypatch, {"CHANWATCH_TELEGRAM__API_ID": "abc"})
    assert "telegram.api_id" in msg and "CHANWATCH_TELEGRAM__API_ID" in msg
    assert "integer" in msg


def test_missing_api_hash_when_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading works without Telegram credentials; connecting asks for the missing one."""
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_HASH", API_HASH)
    with pytest.raises(SettingsError, match=r"telegram\.api_id .*CHANWATCH_TELEGRAM__API_ID"):
        Settings.load(None, env_file=None).require_telegram()
    monkeypatch.delenv("CHANWATCH_TELEGRAM__API_HASH")
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_ID", "12345")
    with pytest.raises(SettingsError, match=r"telegram\.api_hash .*CHANWATCH_TELEGRAM__API_HASH"):
        Settings.load(None, env_file=None).require_telegram()
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_HASH", API_HASH)
    creds = Settings.load(None, env_file=None).require_telegram()
    assert creds.api_id == 12345 and creds.api_hash.get_secret_value() == API_HASH


def test_bad_api_hash_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed secret is reported without its value."""
    msg = load_error(monkeypatch, {"CHANWATCH_TELEGRAM__API_HASH": "my-secret-hash"})
    assert "telegram.api_hash" in msg and "32 hexadecimal" in msg
    assert "my-secret-hash" not in msg


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """api_hash and session_string never show in repr or str of the settings."""
    monkeypatch.setenv("CHANWATCH_TELEGRAM__API_HASH", API_HASH)
    monkeypatch.setenv("CHANWATCH_TELEGRAM__SESSION_STRING", "1BVtsOKABu-very-secret")
    s = Settings.load(None, env_file=None)
    assert API_HASH not in repr(s) and API_HASH not in str(s)
    assert "very-secret" not in repr(s)


@pytest.mark.parametrize(
    ("var", "make_value", "expected"),
    [
        ("CHANWATCH_DATABASE__PATH", lambda d: str(d / "missing" / "x.db"), "does not exist"),
        ("CHANWATCH_DATABASE__PATH", lambda d: str(d), "is a directory"),
        ("CHANWATCH_TELEGRAM__SESSION_FILE", lambda d: str(d / "nope" / "s"), "does not exist"),
    ],
)
def test_bad_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, make_value: object, expected: str
) -> None:
    """A file path whose directory is missing, or that is a directory, is refused."""
    assert callable(make_value)
    msg = load_error(monkeypatch, {var: make_value(tmp_path)})
    assert var in msg and expected in msg


def test_custom_server_with_pem_text_and_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rsa_pem: str
) -> None:
    """The server key is read from text or a file and handed on as PKCS#1 PEM."""
    toml = write(
        tmp_path / "c.toml",
        f'[telegram.server]\ndc_id = 2\nhost = "127.0.0.1"\nport = 4430\n'
        f'rsa_public_key = """{rsa_pem}"""\n',
    )
    server = Settings.load(toml, env_file=None).telegram.server
    assert server is not None and server.port == 4430
    assert server.rsa_pem.startswith("-----BEGIN RSA PUBLIC KEY-----")
    keyfile = write(tmp_path / "k.pem", rsa_pem)
    monkeypatch.setenv("CHANWATCH_TELEGRAM__SERVER__DC_ID", "1")
    monkeypatch.setenv("CHANWATCH_TELEGRAM__SERVER__HOST", "localhost")
    monkeypatch.setenv("CHANWATCH_TELEGRAM__SERVER__PORT", "9999")
    monkeypatch.setenv("CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY_FILE", str(keyfile))
    server2 = Settings.load(None, env_file=None).telegram.server
    assert server2 is not None and server2.rsa_pem == server.rsa_pem


def _server_env(key_var: str, key_value: str) -> dict[str, str]:
    return {
        "CHANWATCH_TELEGRAM__SERVER__DC_ID": "2",
        "CHANWATCH_TELEGRAM__SERVER__HOST": "127.0.0.1",
        "CHANWATCH_TELEGRAM__SERVER__PORT": "4430",
        key_var: key_value,
    }


def test_bad_pem(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server key that is not PEM is refused, naming the server setting."""
    msg = load_error(
        monkeypatch, _server_env("CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY", "not a key")
    )
    assert "telegram.server" in msg and "not a valid PEM public key" in msg


def test_pem_not_rsa(monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid PEM public key of another algorithm is refused."""
    pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    ).decode()
    msg = load_error(monkeypatch, _server_env("CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY", pem))
    assert "not an RSA key" in msg


def test_pem_file_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A key file that does not exist is named in the error."""
    missing = tmp_path / "none.pem"
    msg = load_error(
        monkeypatch, _server_env("CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY_FILE", str(missing))
    )
    assert str(missing) in msg


def test_server_needs_all_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting only the host of a custom server says what else is required."""
    msg = load_error(monkeypatch, {"CHANWATCH_TELEGRAM__SERVER__HOST": "127.0.0.1"})
    assert "telegram.server.dc_id" in msg and "required" in msg


def test_negative_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A negative PDQ threshold is refused."""
    msg = load_error(monkeypatch, {"CHANWATCH_MATCHING__PDQ_THRESHOLD": "-1"})
    assert "matching.pdq_threshold" in msg and "greater than or equal to 0" in msg


def test_quality_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDQ quality is 0..100."""
    msg = load_error(monkeypatch, {"CHANWATCH_MATCHING__PDQ_MIN_QUALITY": "101"})
    assert "matching.pdq_min_quality" in msg


def test_unknown_media_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt media kind is named, with the known ones."""
    msg = load_error(monkeypatch, {"CHANWATCH_MEDIA__HASH_KINDS": "photo,vidoe"})
    assert "media.hash_kinds" in msg and "vidoe" in msg and "known: animation" in msg


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("CHANWATCH_ALERTS__DUE", "-5", "must be positive"),
        ("CHANWATCH_ALERTS__DUE", "soon", "alerts.due"),
        ("CHANWATCH_MEDIA__MAX_BYTES", "big", "not a size"),
        ("CHANWATCH_MEDIA__MAX_BYTES", "0", "greater than 0"),
        ("CHANWATCH_HANDLERS__EXTRA", "not-dotted", "dotted path"),
        ("CHANWATCH_MATCHING__CATEGORY_PRIORITY", "A1", "CATEGORY=PRIORITY"),
        ("CHANWATCH_MATCHING__CATEGORY_PRIORITY", "A1=0", "priority must be >= 1"),
        ("CHANWATCH_LOG__FORMAT", "xml", "log.format"),
        ("CHANWATCH_MONITOR__RECONCILE_INTERVAL", "0", "at least 1s"),
        ("CHANWATCH_MONITOR__SWEEP_INTERVAL", "10ms", "at least 100ms"),
        ("CHANWATCH_MONITOR__SWEEP_BATCH", "101", "less than or equal to 100"),
        ("CHANWATCH_MONITOR__SWEEP_BATCH", "-1", "greater than or equal to 0"),
    ],
)
def test_other_bad_values(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str
) -> None:
    """Each malformed value gets one line naming the variable and the problem."""
    msg = load_error(monkeypatch, {var: value})
    assert var in msg and expected in msg


def test_bad_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A TOML syntax error names the file and the line."""
    toml = write(tmp_path / "bad.toml", "[telegram\napi_id = 5\n")
    msg = load_error(monkeypatch, {}, toml)
    assert str(toml) in msg and "invalid TOML" in msg and "line 1" in msg


def test_missing_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A --config file that does not exist is named."""
    msg = load_error(monkeypatch, {}, tmp_path / "none.toml")
    assert "none.toml" in msg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[telegram]\napiid = 5\n", "unknown setting telegram.apiid"),
        ("[telegramm]\napi_id = 5\n", "unknown setting telegramm"),
        ("[telegram.server]\nhots = 'x'\n", "unknown setting telegram.server.hots"),
    ],
)
def test_unknown_key_in_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, expected: str
) -> None:
    """A misspelt key in the config file is refused, not ignored."""
    msg = load_error(monkeypatch, {}, write(tmp_path / "c.toml", text))
    assert expected in msg


def test_wrong_type_in_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A TOML value of the wrong type names the setting."""
    toml = write(tmp_path / "c.toml", '[matching]\npdq_threshold = "x"\n')
    msg = load_error(monkeypatch, {}, toml)
    assert "matching.pdq_threshold" in msg


def test_pipeline_config() -> None:
    """The handlers' view carries the media, matching and alert settings."""
    cfg = Settings.load(None, env_file=None).pipeline_config()
    assert cfg.media_max_bytes == 20 * 1024 * 1024
    assert cfg.pdq_threshold == 31 and cfg.pdq_min_quality == 50
    assert cfg.alert_due == timedelta(hours=24)
    assert cfg.priority_of("CSAM") == 1 and cfg.priority_of("terror") == 2
    assert cfg.priority_of("zzz") == 3 and cfg.priority_of(None) == 3


def test_rematch_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """matching.rematch_window: 7 days by default, friendly durations, reaches the
    pipeline; a negative window is refused with the variable's name."""
    assert Settings.load(None, env_file=None).pipeline_config().rematch_window == timedelta(days=7)
    monkeypatch.setenv("CHANWATCH_MATCHING__REMATCH_WINDOW", "36h")
    s = Settings.load(None, env_file=None)
    assert s.matching.rematch_window == timedelta(hours=36)
    assert s.pipeline_config().rematch_window == timedelta(hours=36)
    monkeypatch.setenv("CHANWATCH_MATCHING__REMATCH_WINDOW", "-1")
    with pytest.raises(SettingsError, match="CHANWATCH_MATCHING__REMATCH_WINDOW"):
        Settings.load(None, env_file=None)
