"""The detector stage in the running monitor and in ``chanwatch hash --detect``:
built from the ``[detectors]`` settings, started (worker processes load the
models), closed on stop.

A detector the settings name that cannot be used is a settings error: the
monitor does not start, and the message names the setting. The built-in in
``auto`` mode is the exception: when its extra is not installed, or its model
does not load, the monitor runs without it and says so in the log.
"""

from __future__ import annotations

import structlog

from handlers.detect import DetectorLoadError, DetectorStage, detector_specs
from handlers.detect.registry import BUILTIN_NAME, builtin_missing
from monitor.settings import Settings, SettingsError, env_name

log = structlog.get_logger(__name__)


def _setting(builtin: bool) -> str:
    key = ("detectors", "builtin" if builtin else "extra")
    return f"setting {'.'.join(key)} ({env_name(key)})"


async def start_detectors(settings: Settings) -> DetectorStage | None:
    """The started stage, or None when no detector is to run.

    Raises :class:`SettingsError` for a detector that cannot be loaded.
    """
    conf = settings.detectors
    missing = builtin_missing()
    if conf.builtin == "on" and missing is not None:
        raise SettingsError(f"{_setting(True)} is on, but {missing}")
    try:
        specs = detector_specs(conf.builtin, conf.extra)
    except DetectorLoadError as exc:
        raise SettingsError(f"{_setting(False)}: {exc}") from None
    if conf.builtin == "auto" and not any(s.name == BUILTIN_NAME for s in specs):
        log.info("detector_builtin_not_installed", reason=missing)
    if not specs:
        return None
    stage = DetectorStage(specs, conf.config())
    await stage.start()
    failed = dict(stage.pool.failed)
    required = {s.name for s in specs if s.name != BUILTIN_NAME or conf.builtin == "on"}
    broken = sorted(set(failed) & required)
    if broken:
        await stage.close()
        name = broken[0]
        raise SettingsError(
            f"{_setting(name == BUILTIN_NAME)}: detector {name!r} did not load: {failed[name]}"
        )
    if not stage.detectors:
        await stage.close()
        return None
    return stage
