"""Detectors' findings and the alerts they raise, on the store contract: a finding
is stored once per medium, detector, model and version with its ``detection``
ledger record; a detected alert carries its detections (labels and scores) and
kind; a bank match joining it takes its priority; a confirmation puts the
medium's hashes into the ``confirmed`` bank; a dismissal silences the detector
for that medium; bad findings are refused and nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from db_backends import DatabaseRefused, RawDB
from sqlite_support import T0, make_post

from hotline.decisions import transition_alert
from storage.api import Store
from storage.detection_models import DetectionIn
from storage.detections import raise_detected_alert, record_detection
from storage.errors import NotFound
from storage.ledger import canonical
from storage.models import BankEntryIn, Capture, MatchIn, NewMedia

DUE = T0 + timedelta(hours=24)
SHA = "ab" * 32


async def _medium(store: Store, message_id: int = 1) -> int:
    await store.record_post(make_post(message_id=message_id, has_media=True))
    media = await store.add_media(NewMedia(
        f"photo:{message_id}", "photo", 10, "image/jpeg", 8, 8, None,
        SHA, "cd" * 16, "ef" * 32, 100, "hashed", extra={"sha1": "12" * 20}))
    await store.add_sighting(media.id, 100, message_id)
    return media.id


def _finding(media_id: int, score: float = 0.93, **kw: Any) -> DetectionIn:
    values: dict[str, Any] = {
        "media_id": media_id, "detector": "open_nsfw", "model": "yahoo/open_nsfw",
        "version": "1", "signal": "sexual", "scores": {"nsfw": score},
    }
    values.update(kw)
    return DetectionIn(**values)


async def _records(store: Store, *types: str) -> list[dict[str, Any]]:
    rows = await store.snapshot(lambda tx: tx.ledger.rows(types=list(types)))
    return [canonical.loads(r.record) for r in rows]


async def _detect_and_alert(store: Store, media_id: int, message_id: int = 1) -> int:
    async def fn(tx: Any) -> int:
        found, _ = await record_detection(tx, _finding(media_id), Capture(100, message_id))
        alert = await raise_detected_alert(tx, 100, message_id, [found.id], 4, DUE)
        return alert.id

    return int(await store.transaction(fn))


async def test_finding_is_stored_once_with_its_ledger_record(store: Store) -> None:
    media_id = await _medium(store)
    capture = Capture(100, 1)
    first, new = await store.transaction(
        lambda tx: record_detection(tx, _finding(media_id, evidence={"note": "x"}), capture))
    again, new_again = await store.transaction(
        lambda tx: record_detection(tx, _finding(media_id, 0.5), capture))
    assert new and not new_again and again.id == first.id and again.scores == {"nsfw": 0.93}
    assert first.top_label == "nsfw" and first.evidence == {"note": "x"}
    other, other_new = await store.transaction(
        lambda tx: record_detection(tx, _finding(media_id, version="2"), capture))
    assert other_new and other.id != first.id
    listed = await store.snapshot(lambda tx: tx.detections.for_media(media_id))
    assert [d.id for d in listed] == [first.id, other.id]
    (record, _) = await _records(store, "detection")
    assert record["media"] == str(media_id) and record["sha256"] == SHA
    assert record["scores"] == {"nsfw": "0.9300"} and record["model"] == "yahoo/open_nsfw"
    assert record["channel"] == "100" and record["message"] == "1"
    assert record["evidence"] == {"note": "x"}


@pytest.mark.parametrize("bad", [
    {"scores": {"nsfw": 1.5}}, {"scores": {"nsfw": float("nan")}}, {"model": " "},
    {"frames": 0},
])
async def test_bad_findings_are_refused_and_nothing_is_written(
    store: Store, bad: dict[str, Any]
) -> None:
    media_id = await _medium(store)
    with pytest.raises(ValueError):
        await store.transaction(
            lambda tx: record_detection(tx, _finding(media_id, **bad), Capture(100, 1)))
    assert await store.snapshot(lambda tx: tx.detections.for_media(media_id)) == []
    assert await _records(store, "detection") == []


async def test_unknown_medium_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="media 99"):
        await store.transaction(lambda tx: record_detection(tx, _finding(99), Capture(100, 1)))


async def test_detected_alert_carries_labels_and_scores(store: Store) -> None:
    media_id = await _medium(store)
    alert_id = await _detect_and_alert(store, media_id)
    alert = await store.get_alert(alert_id)
    assert alert is not None and alert.kind == "detected" and alert.priority == 4
    assert alert.matches == ()
    (found,) = alert.detections
    assert found["detector"] == "open_nsfw" and found["scores"] == {"nsfw": 0.93}
    assert found["top_score"] == 0.93 and found["media_id"] == media_id
    (raised,) = await _records(store, "alert.raised")
    assert raised["alert"] == str(alert_id) and raised["after"]["kind"] == "detected"
    assert raised["after"]["detections"][0]["scores"] == {"nsfw": "0.93"}
    # attaching the same detection again changes nothing and records nothing
    again = await _detect_and_alert(store, media_id)
    assert again == alert_id and len(await _records(store, "alert.raised")) == 1


async def test_a_bank_match_joining_a_detected_alert_takes_its_priority(store: Store) -> None:
    media_id = await _medium(store)
    alert_id = await _detect_and_alert(store, media_id)
    await store.create_bank("known", 31, "admin")
    await store.import_bank_entries("known", [BankEntryIn("sha256", SHA, category="csam")],
                                    "admin", "t")
    (entry,) = [e async for e in store.iter_bank_entries()]
    joined = await store.raise_alert(100, 1, [MatchIn(entry.id, media_id, "sha256", 0)], 1, DUE)
    assert joined.id == alert_id and joined.priority == 1
    assert joined.kind == "detected" and len(joined.matches) == 1 and len(joined.detections) == 1


async def test_a_detection_joins_a_match_alert_without_lowering_it(store: Store) -> None:
    media_id = await _medium(store)
    await store.create_bank("known", 31, "admin")
    await store.import_bank_entries("known", [BankEntryIn("sha256", SHA)], "admin", "t")
    (entry,) = [e async for e in store.iter_bank_entries()]
    matched = await store.raise_alert(100, 1, [MatchIn(entry.id, media_id, "sha256", 0)], 2, DUE)
    alert_id = await _detect_and_alert(store, media_id)
    alert = await store.get_alert(alert_id)
    assert alert is not None and alert.id == matched.id
    assert (alert.kind, alert.priority, len(alert.detections)) == ("match", 2, 1)
    (joined,) = await _records(store, "alert.detection")
    assert joined["alert"] == str(alert_id)


async def test_confirming_a_detected_alert_fills_the_confirmed_bank(store: Store) -> None:
    media_id = await _medium(store)
    alert_id = await _detect_and_alert(store, media_id)
    await transition_alert(store, alert_id, "confirmed", "olga", "sexual content")
    entries = {(e.hash_type, e.hash_value): e async for e in store.iter_bank_entries()}
    assert set(entries) == {("sha256", SHA), ("md5", "cd" * 16), ("sha1", "12" * 20),
                            ("pdq", "ef" * 32)}
    assert {e.bank for e in entries.values()} == {"confirmed"}
    assert {e.source_ref for e in entries.values()} == {f"alert:{alert_id}"}
    assert {e.category for e in entries.values()} == {None}


async def test_dismissing_silences_that_detector_for_that_medium(store: Store) -> None:
    media_id = await _medium(store)
    alert_id = await _detect_and_alert(store, media_id)
    assert await store.snapshot(lambda tx: tx.detections.dismissed_detectors(media_id)) == set()
    await transition_alert(store, alert_id, "dismissed", "olga", "a beach photo")
    assert await store.snapshot(
        lambda tx: tx.detections.dismissed_detectors(media_id)) == {"open_nsfw"}
    assert [e async for e in store.iter_bank_entries()] == []


async def test_attach_refuses_unknown_posts_and_detections(store: Store) -> None:
    media_id = await _medium(store)
    with pytest.raises(NotFound, match="detection 42"):
        await store.transaction(lambda tx: raise_detected_alert(tx, 100, 1, [42], 4, DUE))
    found, _ = await store.transaction(
        lambda tx: record_detection(tx, _finding(media_id), Capture(100, 1)))
    with pytest.raises(NotFound, match="post 100/7"):
        await store.transaction(lambda tx: raise_detected_alert(tx, 100, 7, [found.id], 4, DUE))
    with pytest.raises(ValueError, match="at least one detection"):
        await store.transaction(lambda tx: raise_detected_alert(tx, 100, 1, [], 4, DUE))
    assert await store.list_alerts() == []


async def test_the_database_refuses_bad_rows(store: Store, raw: RawDB) -> None:
    media_id = await _medium(store)
    row = ("INSERT INTO detections (media_id, detector, model, version, signal, scores_json, "
           "top_score, detected_at) VALUES (?, 'd', 'm', 'v', 's', ?, ?, '2026-01-01')")
    with pytest.raises(DatabaseRefused):
        raw.execute(row, (media_id, "not json", None))
    with pytest.raises(DatabaseRefused):
        raw.execute(row, (media_id, "{}", 1.5))
    with pytest.raises(DatabaseRefused):
        raw.execute("INSERT INTO alerts (channel_id, message_id, priority, created_at, due_at, "
                    "kind) VALUES (100, 1, 1, 'x', 'y', 'other')")
