"""The sections of chanwatch's settings (``[telegram]``, ``[database]``, ...).

:mod:`monitor.settings` assembles them into the one :class:`~monitor.settings.Settings`
object; import them from there.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    NoDecode,
)

from handlers.banks.categories import DEFAULT_PRIORITIES, DEFAULT_PRIORITY
from handlers.banks.reader import BankLimits
from handlers.hashing.pdq import DEFAULT_MAX_PIXELS, PILLOW_MAX_PIXELS
from handlers.hashing.video import DEFAULT_MAX_FRAMES
from handlers.hashing.vpdq import (
    VPDQ_CONTAINS_PERCENT,
    VPDQ_EXCERPT_PERCENT,
    VpdqPolicy,
    VpdqThresholds,
)
from handlers.post import MediaKind
from monitor.settings_ledger import TimestampSettings, VerifySettings
from monitor.settings_values import (
    DOTTED,
    ByteSize,
    Duration,
    check_file_path,
    split_list,
    split_mapping,
)

MEDIA_KINDS: frozenset[str] = frozenset(get_args(MediaKind))
MIB = 1024**2
GIB = 1024**3
_BANK = BankLimits()


# -------------------------------------------------------------------- sections


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    """A custom Telegram server: tgsim, or Telegram's test servers."""

    dc_id: int = Field(ge=1, le=1000)
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    #: The server's RSA public key as PEM text, or ...
    rsa_public_key: str | None = None
    #: ... a file holding it.
    rsa_public_key_file: Path | None = None

    @model_validator(mode="after")
    def _load_key(self) -> ServerSettings:
        if (self.rsa_public_key is None) == (self.rsa_public_key_file is None):
            raise ValueError("give exactly one of rsa_public_key and rsa_public_key_file")
        if self.rsa_public_key_file is not None:
            path = self.rsa_public_key_file.expanduser()
            try:
                pem = path.read_text(encoding="ascii")
            except OSError as err:
                raise ValueError(f"rsa_public_key_file {path}: {err.strerror}") from None
            except UnicodeDecodeError:
                raise ValueError(f"rsa_public_key_file {path}: not a PEM text file") from None
        else:
            pem = self.rsa_public_key or ""
        try:
            key = load_pem_public_key(pem.encode("ascii", "replace"))
        except ValueError:
            raise ValueError("RSA public key is not a valid PEM public key") from None
        if not isinstance(key, RSAPublicKey):
            raise ValueError("public key is not an RSA key")
        # Telethon's rsa.add_key wants PKCS#1 ("BEGIN RSA PUBLIC KEY"): accept
        # SubjectPublicKeyInfo ("BEGIN PUBLIC KEY") too and hand on PKCS#1.
        pkcs1 = key.public_bytes(Encoding.PEM, PublicFormat.PKCS1).decode("ascii")
        object.__setattr__(self, "rsa_public_key", pkcs1)
        return self

    @property
    def rsa_pem(self) -> str:
        """The server's RSA public key as PKCS#1 PEM (loaded from the file if given)."""
        assert self.rsa_public_key is not None  # set by the validator
        return self.rsa_public_key


class TelegramCredentials(BaseModel):
    """What a client needs to connect: returned by :meth:`Settings.require_telegram`."""

    model_config = ConfigDict(frozen=True)

    api_id: int
    api_hash: SecretStr


class TelegramSettings(_Section):
    #: From https://my.telegram.org (any positive number and 32 hex digits for tgsim).
    api_id: int | None = Field(default=None, gt=0)
    api_hash: SecretStr | None = None
    #: Telethon session file (created by ``chanwatch login``, mode 0600) ...
    session_file: Path = Path("chanwatch.session")
    #: ... or a Telethon StringSession, which takes precedence when set.
    session_string: SecretStr | None = None
    #: The account's name in chanwatch: recorded as ``captured_by`` on every post.
    account: str = Field(default="main", min_length=1, max_length=64)
    server: ServerSettings | None = None

    @field_validator("api_hash")
    @classmethod
    def _api_hash_format(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{32}", value.get_secret_value()):
            raise ValueError("api_hash must be 32 hexadecimal characters")
        return value

    @field_validator("session_file")
    @classmethod
    def _session_path(cls, value: Path) -> Path:
        return check_file_path(value)


class DatabaseSettings(_Section):
    #: The SQLite file; created with its migrations on first use.
    path: Path = Path("chanwatch.db")

    @field_validator("path")
    @classmethod
    def _db_path(cls, value: Path) -> Path:
        return check_file_path(value)


def _kinds_known(value: frozenset[str]) -> frozenset[str]:
    unknown = sorted(set(value) - MEDIA_KINDS)
    if unknown:
        raise ValueError(
            f"unknown media kind {', '.join(unknown)}; known: {', '.join(sorted(MEDIA_KINDS))}"
        )
    return value


class MediaSettings(_Section):
    #: Files larger than this are not downloaded: metadata only, status too_large.
    max_bytes: ByteSize = Field(default=20 * 1024 * 1024, gt=0, le=4 * 1024**3)
    #: Images (and video frames) with more pixels are refused before decoding.
    max_pixels: int = Field(default=DEFAULT_MAX_PIXELS, ge=1, le=PILLOW_MAX_PIXELS)
    #: vPDQ stops after this many hashed frames (one per second of video).
    max_video_frames: int = Field(default=DEFAULT_MAX_FRAMES, ge=1, le=1_000_000)
    #: Which media kinds are downloaded and hashed.
    hash_kinds: Annotated[frozenset[str], NoDecode, BeforeValidator(split_list)] = frozenset(
        {"photo", "video", "animation", "document", "sticker"}
    )

    @field_validator("hash_kinds")
    @classmethod
    def _known(cls, value: frozenset[str]) -> frozenset[str]:
        return _kinds_known(value)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number of percent 0..100, not true/false")
    return value


def _json_object(value: Any) -> Any:
    """An environment variable's JSON object text -> dict (other values: unchanged)."""
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as err:
        raise ValueError(f"not a JSON object: {err.msg}") from None
    if not isinstance(parsed, dict):
        raise ValueError('expected a JSON object like {"bank": {"contains_percent": 90}}')
    return parsed


#: A vPDQ threshold: percent 0..100 of a video's frames; 0 switches the direction off.
VpdqPercent = Annotated[
    float, BeforeValidator(_no_bool), Field(ge=0, le=100, allow_inf_nan=False)
]


class VpdqBankSettings(_Section):
    """One bank's vPDQ thresholds (``matching.vpdq_banks.NAME``); a value left
    out is the global default's."""

    contains_percent: VpdqPercent | None = None
    excerpt_percent: VpdqPercent | None = None


class MatchingSettings(_Section):
    #: Default Hamming distance for new banks (a bank may set its own).
    pdq_threshold: int = Field(default=31, ge=0, le=256)
    #: PDQ hashes of lower quality are not matched.
    pdq_min_quality: int = Field(default=50, ge=0, le=100)
    #: Bank entry category -> alert priority (1 is the most urgent). Categories
    #: are compared case-insensitively (bank imports store them lower-case).
    category_priority: Annotated[dict[str, int], NoDecode, BeforeValidator(split_mapping)] = (
        Field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    )
    #: Priority of entries whose category is empty or not in the mapping.
    default_priority: int = Field(default=DEFAULT_PRIORITY, ge=1)
    #: When a bank grows (an import, a confirmed alert), media seen this far back
    #: are matched again and already-recorded posts alerted.
    rematch_window: Duration = timedelta(days=7)
    #: vPDQ "contains": a posted video matches a banked one when at least this
    #: percentage of the BANKED video's frames are found in it (a compilation or
    #: a longer video that contains the banked clip). 0 switches it off.
    vpdq_contains_percent: VpdqPercent = VPDQ_CONTAINS_PERCENT
    #: vPDQ "excerpt": ... or when at least this percentage of the POSTED video's
    #: own frames are found in the banked one (an excerpt of it). 0 switches it off.
    vpdq_excerpt_percent: VpdqPercent = VPDQ_EXCERPT_PERCENT
    #: Per-bank overrides: bank name -> {contains_percent, excerpt_percent}
    #: (either may be left out), e.g. TOML ``[matching.vpdq_banks.ncmec]`` or
    #: ``CHANWATCH_MATCHING__VPDQ_BANKS='{"ncmec": {"contains_percent": 90}}'``.
    vpdq_banks: Annotated[
        dict[str, VpdqBankSettings], NoDecode, BeforeValidator(_json_object)
    ] = Field(default_factory=dict)

    @field_validator("vpdq_banks")
    @classmethod
    def _bank_names(cls, value: dict[str, VpdqBankSettings]) -> dict[str, VpdqBankSettings]:
        for name in value:
            if not name or name != name.strip():
                raise ValueError(
                    f"a bank name must be non-empty without surrounding spaces: {name!r}"
                )
        return value

    @model_validator(mode="after")
    def _vpdq_thresholds(self) -> MatchingSettings:
        try:
            VpdqThresholds(self.vpdq_contains_percent, self.vpdq_excerpt_percent)
        except ValueError:
            raise ValueError(
                "vpdq_contains_percent and vpdq_excerpt_percent are both 0: no video "
                "could match (0 switches one direction off, not both)"
            ) from None
        for name in self.vpdq_banks:
            try:
                self._vpdq_of(name)
            except ValueError:
                raise ValueError(
                    f"vpdq_banks.{name}: contains_percent and excerpt_percent are both 0 "
                    "(with the defaults): no video of this bank could match"
                ) from None
        return self

    def _vpdq_of(self, bank: str) -> VpdqThresholds:
        own = self.vpdq_banks[bank]
        return VpdqThresholds(
            self.vpdq_contains_percent if own.contains_percent is None else own.contains_percent,
            self.vpdq_excerpt_percent if own.excerpt_percent is None else own.excerpt_percent,
        )

    def vpdq_policy(self) -> VpdqPolicy:
        """The vPDQ thresholds: the defaults and each bank's overrides."""
        return VpdqPolicy(
            VpdqThresholds(self.vpdq_contains_percent, self.vpdq_excerpt_percent),
            {name: self._vpdq_of(name) for name in self.vpdq_banks},
        )

    @field_validator("category_priority")
    @classmethod
    def _priorities(cls, value: dict[str, int]) -> dict[str, int]:
        out = {k.strip().lower(): v for k, v in value.items()}
        if "" in out:
            raise ValueError("empty category name")
        bad = sorted(k for k, v in out.items() if v < 1)
        if bad:
            raise ValueError(f"priority must be >= 1 (category {bad[0]})")
        return out

    @field_validator("rematch_window")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative (0 switches re-matching off)")
        return value


class AlertSettings(_Section):
    #: How long an operator has to decide an alert (the statutory takedown window).
    due: Duration = timedelta(hours=24)

    @field_validator("due")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value


class MonitorSettings(_Section):
    #: How often every watched channel is reconciled with its history.
    reconcile_interval: Duration = timedelta(minutes=5)
    #: The history sweep (monitor/sweep.py): stored posts asked about per request
    #: (``channels.getMessages`` takes at most 100); 0 switches the sweep off.
    sweep_batch: int = Field(default=100, ge=0, le=100)
    #: The sweep's rate limit: least time between two of its requests (per account).
    sweep_interval: Duration = timedelta(seconds=5)

    @field_validator("reconcile_interval")
    @classmethod
    def _at_least_a_second(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return value

    @field_validator("sweep_interval")
    @classmethod
    def _sweep_interval(cls, value: timedelta) -> timedelta:
        if value < timedelta(milliseconds=100):
            raise ValueError("must be at least 100ms")
        return value


class HandlerSettings(_Section):
    #: Your own handlers, ``package.module:function``, run after the built-ins.
    extra: Annotated[tuple[str, ...], NoDecode, BeforeValidator(split_list)] = ()

    @field_validator("extra")
    @classmethod
    def _dotted(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not DOTTED.match(item):
                raise ValueError(f"{item!r} is not a dotted path like 'package.module:function'")
        return value


class AccessSettings(_Section):
    """Lawful limits of authorizations (see access/policy.py)."""

    #: Longest validity of one authorization, in calendar months.
    max_months: int = Field(default=3, ge=1, le=12)
    #: Most one extension adds, in calendar months.
    extension_max_months: int = Field(default=3, ge=1, le=12)
    #: Longest a measure lasts with all its extensions, in calendar months.
    total_max_months: int = Field(default=12, ge=1, le=24)
    #: An emergency measure not confirmed within this window ends by itself.
    emergency_window: Duration = timedelta(hours=48)
    #: Reminders go to the case's investigator and supervisor this long before expiry.
    reminder_before: Duration = timedelta(hours=72)
    #: How often the enforcement job runs (expiry, revocation, reminders); at most 1m.
    enforce_interval: Duration = timedelta(minutes=1)

    @field_validator("emergency_window", "enforce_interval")
    @classmethod
    def _access_positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be positive")
        return value

    @field_validator("enforce_interval")
    @classmethod
    def _within_a_minute(cls, value: timedelta) -> timedelta:
        if value > timedelta(minutes=1):
            raise ValueError(
                "must be at most 1m: an ended authorization is enforced within a minute"
            )
        return value


class AccountSettings(_Section):
    """Join pacing and channel limits of the Telegram accounts (personas)."""

    #: Most joins one account makes in any 24 hours.
    join_daily_limit: int = Field(default=20, ge=1, le=500)
    #: Least time between two joins of one account.
    join_min_gap: Duration = timedelta(minutes=3)
    #: Most channels one account is in (Telegram's hard limit is 500).
    channel_limit: int = Field(default=450, ge=1, le=500)


class LedgerSettings(_Section):
    """The evidence ledger (storage/ledger): checkpoint signing and the witness."""

    #: The Ed25519 checkpoint signing key, created by ``chanwatch init`` (mode 0600).
    #: Keep it outside the repository and apart from the database's backups.
    signing_key_file: Path = Path("chanwatch-ledger.key")
    #: The ledger's name in its checkpoints (C2SP origin) and the signing key's name:
    #: unique, schema-less, URL-like, e.g. ``police.example/unit-7/chanwatch``.
    origin: str = Field(default="chanwatch.local/ledger", pattern=r"^[^\s+]+$")
    #: How often a checkpoint is signed when the ledger grew.
    checkpoint_interval: Duration = timedelta(minutes=5)
    #: Optional witness: each new checkpoint is POSTed there (C2SP tlog-witness
    #: add-checkpoint) and its answer is recorded.
    witness_url: str | None = None
    #: Optional: verifier keys (C2SP vkeys, one per line, ``#`` comments) that
    #: ``evidence verify`` trusts besides ``--key`` and this installation's own key.
    trusted_keys_file: Path | None = None
    #: RFC 3161 timestamps of checkpoints (off unless ``url`` is set).
    timestamp: TimestampSettings = TimestampSettings()
    #: Limits of ``evidence verify`` on a bundle from elsewhere.
    verify: VerifySettings = VerifySettings()

    @field_validator("signing_key_file")
    @classmethod
    def _key_path(cls, value: Path) -> Path:
        return check_file_path(value)

    @field_validator("checkpoint_interval")
    @classmethod
    def _interval(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=10):
            raise ValueError("must be at least 10s")
        return value

    @field_validator("witness_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value


class HotlineSettings(_Section):
    """Notifications of the hotline queue (hotline/notices.py)."""

    #: Optional: every notification (a new alert, due soon, overdue, reminders)
    #: is POSTed there as JSON, metadata only. Kept secret: it often holds a token.
    webhook_url: SecretStr | None = None
    #: Seconds the webhook has to answer.
    webhook_timeout: Duration = timedelta(seconds=10)
    #: Operators are warned once when an undecided alert is this close to its due time.
    due_warning: Duration = timedelta(hours=2)
    #: How often due times are checked.
    due_check_interval: Duration = timedelta(minutes=1)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never quotes the URL: it often carries a token.
        if value is not None and not _is_http_url(value.get_secret_value()):
            raise ValueError("must be an http:// or https:// URL with a host (and a valid port)")
        return value

    @field_validator("webhook_timeout", "due_check_interval")
    @classmethod
    def _at_least_a_second(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return value

    @field_validator("due_warning")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative (0 switches the warning off)")
        return value


class LimitSettings(_Section):
    """Limits on untrusted input: files, lines, nesting and strings. Crossing one
    is one line naming the file (and line), the limit and the setting."""

    #: Largest file ``chanwatch hash`` reads (it hashes in memory, like the pipeline).
    hash_file_bytes: ByteSize = Field(default=256 * MIB, gt=0, le=4 * GIB)
    #: Largest bank file ``bank import`` reads (line formats and JSON Lines are
    #: streamed: memory grows with the entries, not with the file).
    bank_file_bytes: ByteSize = Field(default=_BANK.file_bytes, gt=0, le=1024 * GIB)
    #: Largest bank file that is one JSON document (a list, or an object holding
    #: one), which is read whole.
    json_document_bytes: ByteSize = Field(default=_BANK.json_document_bytes, gt=0, le=4 * GIB)
    #: Longest line of a bank file (a two-hour video's vPDQ line is about 600 kB).
    line_bytes: ByteSize = Field(default=_BANK.line_bytes, ge=1024, le=256 * MIB)
    #: Deepest nesting of arrays and objects in a bank file's JSON.
    json_depth: int = Field(default=_BANK.json_depth, ge=2, le=500)
    #: Longest name: a hash bank's.
    name_chars: int = Field(default=128, ge=1, le=10_000)
    #: Longest command-line argument (notes, reasons, titles, names).
    argument_chars: int = Field(default=10_000, ge=16, le=10_000_000)

    def bank(self) -> BankLimits:
        """The limits a bank file is read with."""
        return BankLimits(
            file_bytes=self.bank_file_bytes,
            json_document_bytes=self.json_document_bytes,
            line_bytes=self.line_bytes,
            json_depth=self.json_depth,
        )


def _is_http_url(text: str) -> bool:
    if not re.match(r"^https?://[^\s/]+", text) or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number 0..65535)
    except ValueError:
        return False
    return bool(parts.hostname)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: ``auto``: JSON lines when the log stream is not a terminal, readable text otherwise.
    format: Literal["auto", "json", "console"] = "auto"
    #: Append log lines to this file (created 0600) instead of stderr. The CLI's
    #: commands (all but ``run`` and ``web``) write log lines below ERROR only
    #: when a file or a format (``--log-format``, ``log.format``) is asked for,
    #: so an error is one line on stderr.
    file: Path | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class WebSettings(_Section):
    """The hotline console (``chanwatch web``) and the monitor's metrics port."""

    #: Address and port the console listens on. Keep it on loopback behind a
    #: reverse proxy that terminates TLS (README: "The web console").
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8080, ge=1, le=65535)
    #: Addresses whose X-Forwarded-For / -Proto headers are believed (the proxy's).
    forwarded_allow_ips: str = "127.0.0.1"
    #: Session cookies only over HTTPS (``Secure``, ``__Host-`` prefix). Switch
    #: off only for a console on loopback without TLS (the demo, tests).
    cookie_secure: bool = True
    #: A session ends this long after sign-in ...
    session_lifetime: Duration = timedelta(hours=8)
    #: ... or after this long without a request.
    idle_timeout: Duration = timedelta(minutes=30)
    #: Wrong passwords for one username within ``failure_window`` before it is locked.
    max_failures: int = Field(default=5, ge=1, le=100)
    failure_window: Duration = timedelta(minutes=15)
    #: The first lockout; each further one doubles, up to ``lockout_max``.
    lockout: Duration = timedelta(minutes=1)
    lockout_max: Duration = timedelta(hours=1)
    #: Alerts per queue page.
    page_size: int = Field(default=50, ge=1, le=500)
    #: Where evidence bundles exported from the console are written.
    export_dir: Path = Path("exports")
    #: Largest bank file the console accepts.
    max_upload: ByteSize = Field(default=64 * 1024 * 1024, gt=0, le=1024**3)
    #: ``chanwatch run`` serves /metrics, /healthz and /readyz on this port (0: off).
    monitor_metrics_port: int = Field(default=0, ge=0, le=65535)
    monitor_metrics_host: str = Field(default="127.0.0.1", min_length=1)

    @field_validator("session_lifetime", "idle_timeout", "failure_window", "lockout",
                     "lockout_max")
    @classmethod
    def _web_positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return value

    @model_validator(mode="after")
    def _lockouts(self) -> WebSettings:
        if self.lockout_max < self.lockout:
            raise ValueError("lockout_max must be at least lockout")
        return self
