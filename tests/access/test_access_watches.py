"""Watch removal (access.watches): the one rule the CLI and the console call."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from access_support import (
    World,
    approved_watch,
    audit_actions,
    open_case_with_court_order,
    world_at,
)

from access.roles import AccessDenied, PolicyViolation
from access.watches import Watches


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


async def test_a_supervisor_removes_a_live_watch_once(world: World) -> None:
    """The watch is revoked with the reason, audited as a watch.update; a second
    removal and an unknown id are refused with what is wrong."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    watches = Watches(world.store)
    removed = await watches.remove("sue", watch_id, "case closed")
    assert (removed.id, removed.state, removed.reason) == (watch_id, "revoked", "case closed")
    assert [w.state for w in await watches.list(["revoked"])] == ["revoked"]
    rows = await audit_actions(world.store, "watch.update")
    assert [(r["actor"], r["subject"], r["why"]) for r in rows] == [
        ("sue", f"watch:{watch_id}", "case closed")
    ]
    assert json.loads(rows[0]["after_json"])["state"] == "revoked"
    with pytest.raises(PolicyViolation, match=rf"watch {watch_id} \(@alpha_news\) has already "
                       "ended: revoked"):
        await watches.remove("sue", watch_id, "again")
    with pytest.raises(PolicyViolation, match="no watch with id 99"):
        await watches.remove("sue", 99, "nothing")


async def test_only_a_supervisor_removes(world: World) -> None:
    """An investigator (or anyone without the role) is refused; the watch stays."""
    await open_case_with_court_order(world)
    watch_id = await approved_watch(world)
    watches = Watches(world.store)
    with pytest.raises(AccessDenied, match="supervisor"):
        await watches.remove("ivan", watch_id, "not mine to end")
    assert [w.state for w in await watches.list()] == ["approved"]
    assert await audit_actions(world.store, "watch.update") == []
