"""The history sweep's storage (storage/sqlite/sweep.py, migration 0006): the
posts a pass checks next and each channel's progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from clocks import TestClock
from sqlite_support import T0, make_post

from storage.api import Store
from storage.errors import ConstraintViolation
from storage.models import SweepProgress


async def test_posts_to_sweep_newest_first_below_and_not_deleted(store: Store) -> None:
    """Stored posts under ``below`` (all when None), newest first, at most
    ``limit``, deleted ones and other channels' left out; edit dates come along."""
    for mid in (2, 5, 9, 14, 20):
        edit = T0 + timedelta(hours=1) if mid == 9 else None
        await store.record_post(make_post(message_id=mid, edit_date=edit))
    await store.record_post(make_post(channel_id=200, message_id=7))
    await store.mark_deleted(100, [14], T0)
    first = await store.posts_to_sweep(100, None, 3)
    assert [p["message_id"] for p in first] == [20, 9, 5]
    assert first[1]["edit_date"] == T0 + timedelta(hours=1) and first[0]["edit_date"] is None
    rest = await store.posts_to_sweep(100, 5, 3)
    assert [p["message_id"] for p in rest] == [2]
    assert await store.posts_to_sweep(100, 2, 3) == []
    assert await store.posts_to_sweep(300, None, 3) == []


async def test_progress_round_trip(store: Store, clock: TestClock) -> None:
    """Progress is inserted, replaced and listed by channel; updated_at is the
    store's clock."""
    assert await store.sweep_progress(100) is None
    p = SweepProgress(channel_id=100, pass_no=1, below=None, checked=0, deleted=0,
                      pass_started_at=T0, updated_at=T0)
    saved = await store.save_sweep_progress(replace(p, below=50, checked=100, deleted=2))
    assert (saved.below, saved.checked, saved.deleted) == (50, 100, 2)
    assert saved.updated_at > T0 and saved.pass_started_at == T0
    done = replace(saved, below=None, last_pass_at=T0 + timedelta(minutes=3),
                   last_pass_checked=140, last_pass_deleted=2)
    await store.save_sweep_progress(done)
    await store.save_sweep_progress(replace(p, channel_id=50))
    listed = await store.list_sweep_progress()
    assert [x.channel_id for x in listed] == [50, 100]
    assert listed[1].below is None and listed[1].last_pass_checked == 140
    assert listed[1].last_pass_at == T0 + timedelta(minutes=3)


async def test_progress_refuses_nonsense(store: Store) -> None:
    """The table's checks refuse a pass 0, a negative count or a below of 0."""
    p = SweepProgress(channel_id=1, pass_no=1, below=None, checked=0, deleted=0,
                      pass_started_at=T0, updated_at=T0)
    for bad in (replace(p, pass_no=0), replace(p, checked=-1), replace(p, below=0)):
        with pytest.raises(ConstraintViolation):
            await store.save_sweep_progress(bad)
    assert await store.list_sweep_progress() == []
