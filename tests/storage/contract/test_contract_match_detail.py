"""A match's detail (a vPDQ verdict): written into the match's ledger record and
stored with the match, read back with the alert; a detail that is not all strings is
refused and nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlite_support import T0, make_post

from storage.api import Store
from storage.ledger import canonical
from storage.models import BankEntryIn, MatchIn, NewMedia

DUE = T0 + timedelta(hours=24)
FRAMES = ";".join(f"{i},100,{f'{i:02x}' * 32},{i}.000" for i in range(3))
CONTAINS = {"direction": "contains", "banked_found": "100.0", "posted_found": "33.3"}


async def _setup(store: Store, message_id: int = 1) -> tuple[int, int, int]:
    """A post with a video, a bank with one vPDQ and one sha256 entry:
    (media id, vpdq entry id, sha256 entry id)."""
    await store.record_post(make_post(message_id=message_id, has_media=True))
    media = await store.add_media(NewMedia(
        f"video:{message_id}", "video", 10, "video/mp4", 8, 8, 3.0,
        "cd" * 32, None, None, None, "hashed"))
    if await store.get_bank("videos") is None:
        await store.create_bank("videos", 31, actor="admin")
        await store.import_bank_entries(
            "videos", [BankEntryIn("vpdq", FRAMES), BankEntryIn("sha256", "cd" * 32)],
            actor="admin", source="t")
    ids = {e.hash_type: e.id async for e in store.iter_bank_entries()}
    return media.id, ids["vpdq"], ids["sha256"]


async def _match_records(store: Store) -> list[dict[str, Any]]:
    rows = await store.snapshot(lambda tx: tx.ledger.rows(types=["match"]))
    return [canonical.loads(r.record) for r in rows]


async def test_detail_is_recorded_and_read_back(store: Store) -> None:
    """The vPDQ match keeps its detail in the ledger and on the alert (list and
    get); the sha256 match has none, also when attached later."""
    media_id, vpdq_entry, sha_entry = await _setup(store)
    alert = await store.raise_alert(
        100, 1, [MatchIn(vpdq_entry, media_id, "vpdq", 12, CONTAINS)], 1, DUE)
    assert [m["detail"] for m in alert.matches] == [CONTAINS]
    again = await store.raise_alert(100, 1, [MatchIn(sha_entry, media_id, "sha256", 0)], 1, DUE)
    assert [(m["hash_type"], m["detail"]) for m in again.matches] == [
        ("vpdq", CONTAINS), ("sha256", None)]
    (listed,) = await store.list_alerts()
    assert listed.matches == again.matches
    vpdq_record, sha_record = await _match_records(store)
    assert vpdq_record["detail"] == CONTAINS and vpdq_record["distance"] == "12"
    assert "detail" not in sha_record


async def test_details_of_several_alerts_stay_apart(store: Store) -> None:
    """Two posts, the same bank video, different verdicts: each alert shows its own."""
    excerpt = {"direction": "excerpt", "banked_found": "40.0", "posted_found": "100.0"}
    media_1, entry, _ = await _setup(store, 1)
    media_2, _, _ = await _setup(store, 2)
    await store.raise_alert(100, 1, [MatchIn(entry, media_1, "vpdq", 3, CONTAINS)], 1, DUE)
    await store.raise_alert(100, 2, [MatchIn(entry, media_2, "vpdq", 5, excerpt)], 1, DUE)
    details = {a.message_id: [m["detail"] for m in a.matches] for a in await store.list_alerts()}
    assert details == {1: [CONTAINS], 2: [excerpt]}


@pytest.mark.parametrize("detail", [{"banked_found": 100.0}, {"direction": None}, {1: "x"}])
async def test_a_detail_of_non_strings_is_refused(
    store: Store, detail: dict[Any, Any]
) -> None:
    media_id, entry, _ = await _setup(store)
    with pytest.raises(ValueError, match="only strings"):
        await store.raise_alert(100, 1, [MatchIn(entry, media_id, "vpdq", 3, detail)], 1, DUE)
    assert await store.list_alerts() == []
    assert await _match_records(store) == []
