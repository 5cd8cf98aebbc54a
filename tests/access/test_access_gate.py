"""The authorization gate (access.gate): joins and recordings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import (
    LIMITS,
    World,
    approved_watch,
    audit_actions,
    joined,
    open_case_with_court_order,
    world_at,
)

from access.gate import ALLOW_TTL, AuthorizationGate


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


def gate_of(w: World) -> AuthorizationGate:
    return AuthorizationGate(w.store, LIMITS, w.clock, ttl=timedelta(0))


async def test_join_allowed_only_under_valid_authorization(world: World) -> None:
    """An approved, covered watch may be joined; a watch added without request may not."""
    authz_id = await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    stray = await world.store.add_watch("@alpha_news", "someone", "added by hand", state="approved")
    gate = gate_of(world)
    ref = await gate.may_join(watch_id)
    assert ref is not None and ref.authorization_id == authz_id and ref.case_reference == "K-1"
    assert await gate.may_join(stray.id) is None
    await gate.may_join(stray.id)  # a second refusal of the same watch is not audited again
    rows = await audit_actions(world.store, "watch.join_refused")
    assert [r["subject"] for r in rows] == [f"watch:{stray.id}"]
    assert "no approved watch request" in rows[0]["why"]


async def test_record_follows_validity_to_the_second(world: World) -> None:
    """Recording is allowed until valid-until and refused from then on."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    [authz] = await world.cases.authorizations("K-1")
    gate = AuthorizationGate(world.store, LIMITS, world.clock)  # default ttl: snapshot reused
    assert await gate.may_record(1001, authz.valid_until - timedelta(seconds=1)) is not None
    assert await gate.may_record(1001, authz.valid_until) is None


async def test_scope_by_channel_id_after_resolution(world: World) -> None:
    """A scope naming the channel id covers a watch once it is resolved to that id."""
    await open_case_with_court_order(world, scope=["@alpha_news", "-1002002"])
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 2002, None)
    assert await gate_of(world).may_record(2002) is not None


async def test_refused_posts_are_counted_not_stored(world: World) -> None:
    """Posts of unauthorized channels are counted; the audit row holds count and times only."""
    gate = gate_of(world)
    for _ in range(3):
        assert await gate.may_record(777) is None
        world.clock.advance(timedelta(seconds=10))
    assert gate.pending_refusals() == {777: 3}
    assert await gate.flush_refusals() == 3
    assert await gate.flush_refusals() == 0
    [row] = await audit_actions(world.store, "record.refused")
    assert row["subject"] == "channel:777"
    assert set(json.loads(row["after_json"])) == {"count", "first_at", "last_at"}


async def test_revocation_elsewhere_is_seen_after_ttl(world: World) -> None:
    """A revocation recorded by another process is honoured once the cached "yes"
    is ``ttl`` old: the bound, under a second by default; before that the
    cached "yes" may still be served."""
    assert timedelta(seconds=1) > ALLOW_TTL
    authz_id = await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    gate = AuthorizationGate(world.store, LIMITS, world.clock)
    assert gate.ttl == ALLOW_TTL
    assert await gate.may_record(1001) is not None
    await world.cases.revoke("sam", authz_id, "order lifted")
    world.clock.advance(ALLOW_TTL / 2)
    assert await gate.may_record(1001) is not None  # within the bound: the cached "yes"
    world.clock.advance(ALLOW_TTL / 2)
    assert await gate.may_record(1001) is None
    assert gate.pending_refusals() == {1001: 1}


async def test_revocation_in_this_process_is_seen_at_once(world: World) -> None:
    """invalidate() (what this process calls when it changes coverage) ends a
    cached "yes" at once, whatever the ttl."""
    authz_id = await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    gate = AuthorizationGate(world.store, LIMITS, world.clock, ttl=timedelta(hours=1))
    assert await gate.may_record(1001) is not None
    await world.cases.revoke("sam", authz_id, "order lifted")
    gate.invalidate()
    assert await gate.may_record(1001) is None


async def test_a_refusal_is_never_served_from_the_cache(world: World) -> None:
    """A snapshot taken before the watch had its channel id (as at the join) does
    not refuse the channel's first post: the gate reads again before refusing,
    without being told and however long its ttl."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    gate = AuthorizationGate(world.store, LIMITS, world.clock, ttl=timedelta(hours=1))
    assert await gate.may_join(watch_id) is not None  # the snapshot: no channel id yet
    await joined(world, watch_id, 1001, "alpha_news")
    assert await gate.may_record(1001, message_id=1) is not None
    assert await gate.covering(1001) is not None
    assert gate.pending_refusals() == {}
    assert await gate.flush_refusals() == 0
    assert await audit_actions(world.store, "record.refused") == []


async def test_a_refused_post_recorded_on_retry_leaves_no_refusal_row(world: World) -> None:
    """A post refused while its channel was not covered, offered again once it
    is and then recorded, is taken off the count: no refusal row is written."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    gate = gate_of(world)
    assert await gate.may_record(1001, message_id=7) is None  # not joined yet: a true refusal
    assert await gate.may_record(1001, message_id=8) is None
    await joined(world, watch_id, 1001, "alpha_news")
    assert await gate.flush_refusals() == 0  # covered again: the posts are being retried
    assert gate.pending_refusals() == {1001: 2}
    assert await gate.may_record(1001, message_id=7) is not None
    assert gate.pending_refusals() == {1001: 1}
    assert await gate.may_record(1001, message_id=8) is not None
    assert gate.pending_refusals() == {}
    await world.store.update_watch(watch_id, actor="t", state="expired", reason="test")
    assert await gate.flush_refusals() == 0
    assert await audit_actions(world.store, "record.refused") == []


async def test_refusals_that_stand_are_written_once(world: World) -> None:
    """Refusals of a channel still uncovered at the flush are written (a retry of
    the same post counted once, also after the flush)."""
    gate = gate_of(world)
    assert await gate.may_record(777, message_id=1) is None
    world.clock.advance(timedelta(seconds=5))
    assert await gate.may_record(777, message_id=1) is None  # a retry
    assert await gate.may_record(777, message_id=2) is None
    assert gate.pending_refusals() == {777: 2}
    assert await gate.flush_refusals() == 2
    assert await gate.may_record(777, message_id=2) is None  # retried after the flush
    assert gate.pending_refusals() == {}
    [row] = await audit_actions(world.store, "record.refused")
    after = json.loads(row["after_json"])
    assert after["count"] == 2 and after["first_at"] < after["last_at"]


async def test_an_ended_watch_never_records(world: World) -> None:
    """A watch the enforcement ended does not record even while its case has a valid order."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    await world.store.update_watch(watch_id, actor="t", state="suspended", reason="test")
    assert await gate_of(world).may_record(1001) is None


async def test_covering_answers_without_counting_refusals(world: World) -> None:
    """covering() (asked for deletions) names the same authorization as may_record
    and counts nothing when a channel is not covered."""
    authz_id = await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    await joined(world, watch_id, 1001, "alpha_news")
    gate = gate_of(world)
    ref = await gate.covering(1001)
    assert ref is not None and (ref.authorization_id, ref.case_reference) == (authz_id, "K-1")
    assert await gate.may_record(1001) == ref
    assert await gate.covering(777) is None
    assert gate.pending_refusals() == {}
