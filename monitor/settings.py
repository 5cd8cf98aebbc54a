"""chanwatch's settings: one pydantic-settings object, loaded once at start.

Sources, highest priority first: environment variables (prefix ``CHANWATCH_``,
sections joined with ``__``, e.g. ``CHANWATCH_TELEGRAM__API_ID``), a ``.env``
file, a TOML file given with ``--config`` (sections ``[telegram]``,
``[telegram.server]``, ``[database]``, ...), then the defaults.

Every field is documented in ``deploy/settings.example.env``. A wrong setting
fails at start with :class:`SettingsError`, whose message is one line naming the
setting and what is wrong. Secrets (api_hash, session string) are ``SecretStr``:
they never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import (
    ValidationError,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as _SourceError

from handlers.context import PipelineConfig
from monitor.settings_detect import DetectorSettings
from monitor.settings_sections import (
    MEDIA_KINDS,
    AccessSettings,
    AccountSettings,
    AlertSettings,
    DatabaseSettings,
    HandlerSettings,
    HotlineSettings,
    LedgerSettings,
    LimitSettings,
    LogSettings,
    MatchingSettings,
    MediaSettings,
    MonitorSettings,
    ServerSettings,
    TelegramCredentials,
    TelegramSettings,
    WebSettings,
)
from monitor.settings_values import (
    ENV_DELIMITER,
    ENV_PREFIX,
    SettingsError,
    describe_validation_error,
    env_name,
    one_line,
    parse_duration,
    parse_size,
    read_toml,
)

__all__ = [
    "ENV_DELIMITER",
    "ENV_PREFIX",
    "MEDIA_KINDS",
    "AccessSettings",
    "AccountSettings",
    "AlertSettings",
    "DatabaseSettings",
    "DetectorSettings",
    "HandlerSettings",
    "HotlineSettings",
    "LedgerSettings",
    "LimitSettings",
    "LogSettings",
    "MatchingSettings",
    "MediaSettings",
    "MonitorSettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "TelegramCredentials",
    "TelegramSettings",
    "WebSettings",
    "describe_validation_error",
    "env_name",
    "parse_duration",
    "parse_size",
]

# ------------------------------------------------------------------- the whole


#: The parsed ``--config`` file while :meth:`Settings.load` builds the object
#: (sources are built inside ``BaseSettings.__init__``, which takes no extra
#: arguments for them).
_CONFIG_FILE_DATA: ContextVar[Mapping[str, Any]] = ContextVar(
    "chanwatch_config_file", default=MappingProxyType({})
)


class _ConfigFileSource(PydanticBaseSettingsSource):
    """The TOML file given with ``--config``: the lowest-priority source."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = dict(data)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """Everything chanwatch can be told; see ``deploy/settings.example.env``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        env_file=None,  # Settings.load() passes ".env"; direct construction reads no file
        # Unknown CHANWATCH_* variables are ignored (other tools may share the
        # prefix); unknown keys in a --config file are refused (see load()),
        # and so are unknown keys inside a section, from any source.
        extra="ignore",
        frozen=True,
        case_sensitive=False,
    )

    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    media: MediaSettings = MediaSettings()
    matching: MatchingSettings = MatchingSettings()
    alerts: AlertSettings = AlertSettings()
    monitor: MonitorSettings = MonitorSettings()
    handlers: HandlerSettings = HandlerSettings()
    log: LogSettings = LogSettings()
    access: AccessSettings = AccessSettings()
    accounts: AccountSettings = AccountSettings()
    ledger: LedgerSettings = LedgerSettings()
    hotline: HotlineSettings = HotlineSettings()
    limits: LimitSettings = LimitSettings()
    detectors: DetectorSettings = DetectorSettings()
    web: WebSettings = WebSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            _ConfigFileSource(settings_cls, _CONFIG_FILE_DATA.get()),
        )

    @classmethod
    def load(
        cls, config_path: Path | None = None, *, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read the environment, ``env_file`` (when it exists) and ``config_path``.

        Raises :class:`SettingsError` with one line naming what is wrong.
        """
        data = read_toml(config_path) if config_path is not None else {}
        unknown = sorted(set(data) - set(cls.model_fields))
        if unknown:
            raise SettingsError(f"unknown setting {unknown[0]} in config file {config_path}")
        use_env_file = env_file if env_file is not None and env_file.is_file() else None
        token = _CONFIG_FILE_DATA.set(data)
        try:
            return cls(_env_file=use_env_file)
        except ValidationError as err:
            raise SettingsError(describe_validation_error(err)) from None
        except _SourceError as err:
            raise SettingsError(one_line(str(err))) from None
        finally:
            _CONFIG_FILE_DATA.reset(token)

    def require_telegram(self) -> TelegramCredentials:
        """The api id and hash, or :class:`SettingsError` naming the missing one."""
        tg = self.telegram
        if tg.api_id is None:
            raise SettingsError(
                f"setting telegram.api_id ({env_name(('telegram', 'api_id'))}) is required "
                "to connect to Telegram (get it at https://my.telegram.org)"
            )
        if tg.api_hash is None:
            raise SettingsError(
                f"setting telegram.api_hash ({env_name(('telegram', 'api_hash'))}) is required "
                "to connect to Telegram (get it at https://my.telegram.org)"
            )
        return TelegramCredentials(api_id=tg.api_id, api_hash=tg.api_hash)

    def pipeline_config(self) -> PipelineConfig:
        """The handlers' view of these settings."""
        kinds: frozenset[Any] = self.media.hash_kinds
        return PipelineConfig(
            media_max_bytes=self.media.max_bytes,
            hash_kinds=kinds,
            pdq_threshold=self.matching.pdq_threshold,
            pdq_min_quality=self.matching.pdq_min_quality,
            alert_due=self.alerts.due,
            category_priority=dict(self.matching.category_priority),
            default_priority=self.matching.default_priority,
            rematch_window=self.matching.rematch_window,
            media_max_pixels=self.media.max_pixels,
            media_max_frames=self.media.max_video_frames,
        )
