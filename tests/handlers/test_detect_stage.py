"""The detector stage and its worker-process pool, with real worker processes and
the detectors of tests/detector_fakes.py: findings per image and per video
keyframe, and every way a detector fails (raises, hangs past its budget, returns
garbage, crashes its worker, fails to load): the failure is reported, the pool
replaces what it lost and goes on."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator

import pytest
from detector_fakes import marked_jpeg
from pipeline_support import make_video, video_scenes

from handlers.detect import (
    DetectConfig,
    DetectorLoadError,
    DetectorSpec,
    DetectorStage,
    MediaInput,
    detector_specs,
    sample_bytes,
)

pytestmark = pytest.mark.slow


def spec(factory: str) -> DetectorSpec:
    path = f"detector_fakes:{factory}"
    return DetectorSpec(path, path)


def image(seed: int = 1, *, marker: bool = True) -> MediaInput:
    _, media = sample_bytes(marked_jpeg(seed, marker=marker), "photo")
    assert media is not None
    return media


@pytest.fixture
async def stage(request: pytest.FixtureRequest) -> AsyncIterator[DetectorStage]:
    factories, config = request.param
    s = DetectorStage([spec(f) for f in factories], config)
    await s.start()
    try:
        yield s
    finally:
        await s.close()


FAULTY = (("marker", "raising", "garbage", "not_a_finding", "broken", "no_signal"),
          DetectConfig(budget=10.0))


@pytest.mark.parametrize("stage", [FAULTY], indirect=True)
async def test_findings_and_failures_side_by_side(stage: DetectorStage) -> None:
    """The marker flags the marked picture and not the plain one; a raising and a
    garbage detector fail with what went wrong; detectors whose factory failed are
    reported and not run."""
    assert list(stage.detectors) == ["detector_fakes:marker", "detector_fakes:raising",
                                     "detector_fakes:garbage", "detector_fakes:not_a_finding"]
    assert stage.pool.failed == {
        "detector_fakes:broken": "OSError: model file missing",
        "detector_fakes:no_signal": (
            "TypeError: detector 'detector_fakes:no_signal': its object has no 'signal' "
            "string (what its scores mean, e.g. 'sexual')"),
    }
    marked, raised, garbage, wrong = await stage.detect(image())
    assert marked.ok and marked.finding is not None
    assert marked.finding.scores == {"flagged": 0.99} and marked.finding.model == "test/marker"
    assert marked.finding.evidence == {"size": "640x480"}
    assert stage.flags(marked.detector, marked.finding.scores)
    assert (raised.failure, raised.error) == ("error", "RuntimeError: model exploded")
    assert garbage.failure == "garbage" and "not in [0, 1]" in str(garbage.error)
    assert wrong.failure == "garbage" and "returned dict, not a Finding" in str(wrong.error)
    assert not any(o.ok for o in (raised, garbage, wrong))
    plain, *_ = await stage.detect(image(2, marker=False))
    assert plain.finding is not None and not stage.flags(plain.detector, plain.finding.scores)


@pytest.mark.parametrize("stage", [(("hanging", "marker"), DetectConfig(budget=0.5))],
                         indirect=True)
async def test_a_hanging_detector_is_killed_at_its_budget(stage: DetectorStage) -> None:
    """The hung worker is killed and replaced: the next picture is scored again."""
    first = stage.pool._workers.copy()
    hung, marked = await stage.detect(image())
    assert hung.failure == "timeout" and "0.5s" in str(hung.error)
    assert marked.ok  # the other detector answered (from the worker that replaced it)
    for _ in range(200):
        if stage.pool.alive == 1 and stage.pool._workers and stage.pool._workers != first:
            break
        await asyncio.sleep(0.05)
    assert stage.pool._workers and not (stage.pool._workers & first)
    again = await stage.detect(image(3))
    assert again[0].failure == "timeout" and again[1].ok


@pytest.mark.parametrize("stage", [(("crashing",), DetectConfig())], indirect=True)
async def test_a_crashing_worker_is_replaced(stage: DetectorStage) -> None:
    (crashed,) = await stage.detect(image())
    assert crashed.failure == "crashed"
    (again,) = await stage.detect(image())
    assert again.failure == "crashed"  # a fresh worker took the next picture


VIDEO = (("marker", "reader"), DetectConfig(max_frames=3))


@pytest.mark.parametrize("stage", [VIDEO], indirect=True)
async def test_video_keyframes_and_a_file_reader(stage: DetectorStage) -> None:
    """A video gives the detectors at most max_frames of vPDQ's keyframes, evenly
    spread; scores are each label's maximum; a detector that reads the file gets its
    bytes once per medium."""
    data = make_video(video_scenes(None), (320, 200))
    sampler = stage.sampler("video", "video/mp4")
    assert sampler is not None
    hashes, media = await asyncio.to_thread(
        sample_bytes, data, "video", "video/mp4", max_frames=3, keep_bytes=True)
    assert media is not None and hashes.vpdq is not None
    assert 2 <= len(media.samples) <= 3 < len(hashes.vpdq)
    times = [s.time for s in media.samples]
    assert times == sorted(times) and times[0] == hashes.vpdq[0].timestamp
    assert all(s.pixels.shape == (200, 320, 3) for s in media.samples)
    marker, reader = await stage.detect(media)
    assert marker.ok and marker.frames == len(media.samples)
    assert reader.ok and reader.frames == 1 and reader.finding is not None
    assert reader.finding.evidence == {"bytes": str(len(data)), "frame": "0"}


def test_unusable_names_are_refused_at_start() -> None:
    with pytest.raises(DetectorLoadError, match="cannot import nowhere"):
        detector_specs("off", ["nowhere.at_all:factory"])
    with pytest.raises(DetectorLoadError, match="has no 'missing'"):
        detector_specs("off", ["detector_fakes:missing"])
    with pytest.raises(DetectorLoadError, match="not callable"):
        detector_specs("off", ["detector_fakes:MAGENTA"])
    with pytest.raises(DetectorLoadError, match="named twice"):
        detector_specs("off", ["detector_fakes:marker", "detector_fakes:marker"])
    assert detector_specs("off", []) == []


async def test_a_pool_without_a_loadable_detector_runs_nothing() -> None:
    stage = DetectorStage([spec("broken")])
    await stage.start()
    try:
        assert stage.detectors == {} and not stage.wants("photo")
        assert stage.pool.alive == 0
        assert await stage.detect(image()) == []
    finally:
        await stage.close()


async def test_cancelling_and_closing_leave_no_process_behind() -> None:
    """A post cancelled mid-detection (the monitor stopping) kills the busy worker;
    closing the stage then stops the rest, the replacement included."""
    stage = DetectorStage([spec("hanging")], DetectConfig(budget=60.0))
    await stage.start()
    try:
        task = asyncio.create_task(stage.detect(image()))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await stage.close()
    assert multiprocessing.active_children() == []
