"""Detectors for new content that no bank knows yet: the detector protocol
(:mod:`~handlers.detect.protocol`), the registry of detectors to run
(:mod:`~handlers.detect.registry`), the pictures a medium gives them
(:mod:`~handlers.detect.frames`), the worker-process pool they run in
(:mod:`~handlers.detect.pool`, :mod:`~handlers.detect.worker`), the stage that
runs them on a medium (:mod:`~handlers.detect.stage`) and the built-in,
open_nsfw (:mod:`~handlers.detect.open_nsfw`, optional extra ``detect``).

The pipeline's ``detect`` handler (:mod:`handlers.builtin.detect`) stores what
they find and raises ``detected`` alerts. Like the rest of ``handlers``, this
package imports only ``storage``; the built-in's packages are imported in the
worker processes only.
"""

from handlers.detect.frames import MediaInput, MediaSampler, sample_bytes
from handlers.detect.pool import DetectorFailed, DetectorPool
from handlers.detect.protocol import (
    Detector,
    DetectorFactory,
    DetectorGarbage,
    Finding,
    Sample,
    check_finding,
)
from handlers.detect.registry import (
    BUILTIN_NAME,
    DetectorLoadError,
    DetectorSpec,
    detector_specs,
)
from handlers.detect.stage import DetectConfig, DetectorStage, Outcome

__all__ = [
    "BUILTIN_NAME",
    "DetectConfig",
    "Detector",
    "DetectorFactory",
    "DetectorFailed",
    "DetectorGarbage",
    "DetectorLoadError",
    "DetectorPool",
    "DetectorSpec",
    "DetectorStage",
    "Finding",
    "MediaInput",
    "MediaSampler",
    "Outcome",
    "Sample",
    "check_finding",
    "detector_specs",
    "sample_bytes",
]
