"""Cases and their authorizations (access.cases) on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from access_support import World, audit_actions, open_case_with_court_order, world_at

from access.policy import add_months
from access.roles import AccessDenied, PolicyViolation


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


async def test_open_case_needs_investigator_and_distinct_supervisor(world: World) -> None:
    """Only an investigator opens a case; its supervisor must hold the role and be someone else."""
    with pytest.raises(AccessDenied, match="lacks the role 'investigator'"):
        await world.cases.open("sam", "K-9", "title", "sue")
    with pytest.raises(AccessDenied, match="lacks the role 'supervisor'"):
        await world.cases.open("ivan", "K-9", "title", "otto")
    with pytest.raises(PolicyViolation, match="someone else"):
        await world.cases.open("boss", "K-9", "title", "boss")
    case = await world.cases.open("ivan", "K-9", "title", "sam")
    assert (case.investigator, case.supervisor) == ("ivan", "sam")
    with pytest.raises(PolicyViolation, match="exists already"):
        await world.cases.open("ivan", "K-9", "again", "sam")


async def test_authorize_records_kind_authority_scope(world: World) -> None:
    """An authorization keeps kind, authority, document, times and normalised scope."""
    authz_id = await open_case_with_court_order(world, scope=["t.me/Alpha_News", "@beta_chan"])
    [authz] = await world.cases.authorizations("K-1")
    assert authz.id == authz_id
    assert (authz.kind, authz.authority, authz.document_ref) == ("court", "AG Test", "Gs 1/26")
    assert authz.scope == ("@alpha_news", "@beta_chan")
    assert world.cases.status(authz) == "valid"
    rows = await audit_actions(world.store, "authorization.create")
    assert rows[0]["actor"] == "ivan" and '"document_ref":"Gs 1/26"' in rows[0]["after_json"]


async def test_authorize_refuses_beyond_limits_or_without_scope(world: World) -> None:
    """Longer than 3 months, an empty scope or an unknown case are refused."""
    await world.cases.open("ivan", "K-2", "t", "sam")
    now = world.clock.now()
    common = {"authority": "AG", "document": "Gs 2", "valid_from": now}
    with pytest.raises(PolicyViolation, match="at most 3 months"):
        await world.cases.authorize(
            "ivan", "K-2", kind="court", valid_until=add_months(now, 4), scope=["@a_chan"], **common
        )
    with pytest.raises(PolicyViolation, match="needs a scope"):
        await world.cases.authorize(
            "ivan", "K-2", kind="court", valid_until=add_months(now, 1), scope=[], **common
        )
    with pytest.raises(PolicyViolation, match="no case"):
        await world.cases.authorize(
            "ivan",
            "K-404",
            kind="court",
            valid_until=add_months(now, 1),
            scope=["@a_chan"],
            **common,
        )


async def test_extend_and_its_history(world: World) -> None:
    """An extension moves valid-until, keeps the first end, and is audited with before/after."""
    authz_id = await open_case_with_court_order(world, months=1)
    [before] = await world.cases.authorizations("K-1")
    new_until = before.valid_until + timedelta(days=60)
    after = await world.cases.extend(
        "ivan", authz_id, until=new_until, authority="AG Test", document="Gs 1/26-2"
    )
    assert after.valid_until == new_until and after.initial_until == before.valid_until
    [row] = await audit_actions(world.store, "authorization.extend")
    assert row["before_json"] != row["after_json"] and "Gs 1/26-2" in row["why"]


async def test_revoke_only_by_supervisor_with_reason(world: World) -> None:
    """Revocation needs the supervisor role and a reason; revoking twice is refused."""
    authz_id = await open_case_with_court_order(world)
    with pytest.raises(AccessDenied, match="supervisor"):
        await world.cases.revoke("ivan", authz_id, "done")
    with pytest.raises(PolicyViolation, match="reason"):
        await world.cases.revoke("sam", authz_id, " ")
    revoked = await world.cases.revoke("sam", authz_id, "court lifted the order")
    assert world.cases.status(revoked) == "revoked"
    with pytest.raises(PolicyViolation, match="already revoked"):
        await world.cases.revoke("sam", authz_id, "again")


async def test_emergency_confirmation_window(world: World) -> None:
    """An emergency measure is confirmed within 48 h; after that it has lapsed for good."""
    await world.cases.open("ivan", "K-3", "t", "sam")
    now = world.clock.now()
    kw = {
        "kind": "emergency",
        "authority": "StA Test",
        "document": "E 1",
        "valid_from": now,
        "valid_until": now + timedelta(days=30),
        "scope": ["@alpha_news"],
    }
    first = await world.cases.authorize("ivan", "K-3", **kw)  # type: ignore[arg-type]
    second = await world.cases.authorize("ivan", "K-3", **kw)  # type: ignore[arg-type]
    world.clock.advance(timedelta(hours=47))
    confirmed = await world.cases.confirm("ivan", first.id, authority="AG", document="Gs 7")
    world.clock.advance(timedelta(hours=2))
    assert world.cases.status(confirmed) == "valid"
    [_, lapsed] = await world.cases.authorizations("K-3")
    assert world.cases.status(lapsed) == "lapsed"
    with pytest.raises(PolicyViolation, match="without confirmation"):
        await world.cases.confirm("ivan", second.id, authority="AG", document="Gs 8")
