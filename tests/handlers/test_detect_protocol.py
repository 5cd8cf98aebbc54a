"""The detector protocol's checks and the pictures a medium gives its detectors
(pure functions: no worker process)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from detector_fakes import marked_jpeg
from PIL import Image

from handlers.detect import DetectorGarbage, Finding, MediaSampler, Sample, check_finding
from handlers.detect.frames import decode_rgb, fit
from handlers.detect.protocol import MAX_LABELS, check_detector
from handlers.detect.stage import DetectConfig, combine
from handlers.hashing import VpdqFrame, hash_media

PIXELS = np.zeros((4, 4, 3), dtype=np.uint8)


def test_a_clean_finding_is_normalised() -> None:
    found = check_finding(Finding("m", "1", {"a": 0.123456, "b": 1, "c": np.float32(0.5)},
                                  {"k": "v"}))
    assert found.scores == {"a": 0.1235, "b": 1.0, "c": 0.5}
    assert all(type(v) is float for v in found.scores.values())
    assert found.evidence == {"k": "v"} and found.top == ("b", 1.0)
    assert check_finding(Finding("m", "1", {})).top is None


@pytest.mark.parametrize(("bad", "message"), [
    ({"a": 0.5}, "not a Finding"),
    (Finding("", "1", {}), "model must be"),
    (Finding("m", None, {}), "version must be"),  # type: ignore[arg-type]
    (Finding("m", "1", [("a", 0.5)]), "scores must be a mapping"),  # type: ignore[arg-type]
    (Finding("m", "1", {"a": True}), "not a number"),
    (Finding("m", "1", {"a": "0.5"}), "not a number"),  # type: ignore[dict-item]
    (Finding("m", "1", {"a": float("inf")}), "not in [0, 1]"),
    (Finding("m", "1", {"a": -0.1}), "not in [0, 1]"),
    (Finding("m", "1", {"": 0.1}), "label must be"),
    (Finding("m", "1", {f"l{i}": 0.1 for i in range(MAX_LABELS + 1)}), "labels"),
    (Finding("m", "1", {"a": 0.1}, {"k": 3}), "evidence 'k' must be a string"),  # type: ignore[dict-item]
    (Finding("m", "1", {"a": 0.1}, "text"), "evidence must be a mapping"),  # type: ignore[arg-type]
])
def test_garbage_is_named(bad: Any, message: str) -> None:
    with pytest.raises(DetectorGarbage, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_finding(bad)


def test_a_detector_needs_a_signal_and_detect() -> None:
    class NoDetect:
        signal = "sexual"

    class BadBytes:
        signal = "sexual"
        wants_bytes = "yes"

        def detect(self, sample: Sample) -> Finding:
            raise AssertionError

    with pytest.raises(TypeError, match="no detect"):
        check_detector(NoDetect(), "x:y")
    with pytest.raises(TypeError, match="wants_bytes"):
        check_detector(BadBytes(), "x:y")


def test_combine_takes_each_labels_maximum_and_the_top_keyframe() -> None:
    frames = [Sample(PIXELS, "video", frame=i, time=float(i)) for i in range(3)]
    merged, when = combine([
        (frames[0], Finding("m", "1", {"a": 0.2, "b": 0.1}, {"first": "yes"})),
        (frames[1], Finding("m", "1", {"a": 0.9})),
        (frames[2], Finding("m", "1", {"a": 0.3, "b": 0.95})),
    ])
    assert merged.scores == {"a": 0.9, "b": 0.95} and when == 2.0
    assert merged.evidence == {"first": "yes"}


def test_thresholds_per_detector() -> None:
    config = DetectConfig(threshold=0.8, thresholds={"mine": 0.5})
    assert config.threshold_of("mine") == 0.5 and config.threshold_of("open_nsfw") == 0.8


def test_fit_keeps_the_aspect_ratio() -> None:
    assert fit(4000, 3000, 1280) == (1280, 960)
    assert fit(720, 1280, 1280) == (720, 1280)
    assert fit(5000, 10, 1280) == (1280, 3)


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 128).save(out, "PNG")
    return out.getvalue()


def test_images_are_decoded_to_rgb_within_max_side() -> None:
    big = decode_rgb(marked_jpeg(1, (3000, 2000)), max_side=1280)
    assert big is not None and big.shape == (853, 1280, 3) and big.dtype == np.uint8
    gray = decode_rgb(_png((100, 50), "L"))
    assert gray is not None and gray.shape == (50, 100, 3)
    assert decode_rgb(b"not an image") is None
    assert decode_rgb(_png((100, 100)), max_pixels=99 * 99) is None


def test_an_image_gives_one_sample_and_bytes_only_when_asked() -> None:
    data = marked_jpeg(4)
    sampler = MediaSampler("photo", "image/jpeg")
    media = sampler.finish(data, hash_media(data, "photo"))
    assert media is not None and media.data is None and len(media.samples) == 1
    (sample,) = media.samples
    assert (sample.kind, sample.mime, sample.frame, sample.width) == ("photo", "image/jpeg",
                                                                        None, 640)
    keeping = MediaSampler("photo", keep_bytes=True)
    kept = keeping.finish(data, hash_media(data, "photo"))
    assert kept is not None and kept.data == data
    assert MediaSampler("photo").finish(b"junk", hash_media(b"junk", "photo")) is None
    assert MediaSampler("audio").finish(b"ID3", hash_media(b"ID3", "audio")) is None


class FakeFrame:
    """What the sampler reads of a PyAV frame."""

    def __init__(self, n: int) -> None:
        self.width, self.height, self.n = 64, 32, n

    def reformat(self, *, width: int, height: int, format: str) -> FakeFrame:
        assert format == "rgb24" and (width, height) == (64, 32)
        return self

    def to_ndarray(self) -> np.ndarray[Any, Any]:
        return np.full((32, 64, 3), self.n % 256, dtype=np.uint8)


@pytest.mark.parametrize(("hashed", "limit", "kept"), [
    (3, 8, [0, 1, 2]), (8, 8, list(range(8))), (9, 8, [0, 2, 4, 6, 8]),
    (100, 8, [0, 16, 32, 48, 64, 80, 96]), (7200, 8, [0, 1024, 2048, 3072, 4096, 5120, 6144,
                                                        7168]),
])
def test_keyframes_are_spread_evenly(hashed: int, limit: int, kept: list[int]) -> None:
    sampler = MediaSampler("video", max_frames=limit)
    for n in range(hashed):
        sampler.on_video_frame(VpdqFrame(n * 25, 100, "00" * 32, float(n)), FakeFrame(n))
    assert [s.frame for _, s in sampler._kept] == [n * 25 for n in kept]


def test_a_bad_frame_ends_sampling_not_hashing() -> None:
    sampler = MediaSampler("video")
    sampler.on_video_frame(VpdqFrame(0, 100, "00" * 32, 0.0), object())
    sampler.on_video_frame(VpdqFrame(1, 100, "00" * 32, 1.0), FakeFrame(1))
    assert sampler._kept == []
