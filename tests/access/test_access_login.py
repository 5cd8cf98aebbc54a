"""Authentication of CLI users (access.login): token, password prompt, refusals."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from access_support import PASSWORD, World, audit_actions, world_at

from access.login import authenticate, command_name
from access.roles import AccessDenied
from storage.ledger import canonical


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


async def test_token_from_environment(world: World) -> None:
    """CHANWATCH_TOKEN authenticates its owner without any prompt."""
    issued = await world.users.issue_token("sam", "t")
    user = await authenticate(
        world.users, "supervisor", "watch approve", env={"CHANWATCH_TOKEN": issued.token}
    )
    assert user.username == "sam"


async def test_password_prompt_on_a_terminal(world: World) -> None:
    """Without a token, a terminal user gives name and password (no echo)."""
    asked: list[str] = []

    def ask_password(prompt: str) -> str:
        asked.append(prompt)
        return PASSWORD

    user = await authenticate(
        world.users,
        "investigator",
        "case open",
        env={},
        interactive=True,
        ask_password=ask_password,
        ask_line=lambda _p: "ivan",
        prompt_stream=io.StringIO(),
    )
    assert user.username == "ivan" and asked == ["password for ivan: "]
    user = await authenticate(
        world.users,
        None,
        "user passwd",
        env={"CHANWATCH_USER": "otto"},
        interactive=True,
        ask_password=lambda _p: PASSWORD,
    )
    assert user.username == "otto"


async def test_wrong_password_and_missing_role_are_refused_and_audited(world: World) -> None:
    """A wrong password and a missing role are refused; both refusals are audited."""
    with pytest.raises(AccessDenied, match="wrong username or password"):
        await authenticate(
            world.users,
            "investigator",
            "case open",
            env={"CHANWATCH_USER": "ivan"},
            interactive=True,
            ask_password=lambda _p: "not my password",
        )
    with pytest.raises(AccessDenied, match=r"lacks the role 'supervisor'.*`case revoke`"):
        await authenticate(
            world.users,
            "supervisor",
            "case revoke",
            env={"CHANWATCH_USER": "ivan"},
            interactive=True,
            ask_password=lambda _p: PASSWORD,
        )
    actions = [(r["actor"], r["action"]) for r in await audit_actions(world.store)]
    assert ("ivan", "auth.password_refused") in actions
    assert ("ivan", "access.refused") in actions


async def test_no_terminal_and_no_token_is_refused_with_advice(world: World) -> None:
    """In a script without CHANWATCH_TOKEN the refusal says what to set."""
    with pytest.raises(AccessDenied, match="set CHANWATCH_TOKEN"):
        await authenticate(world.users, "operator", "alerts claim", env={}, interactive=False)


def test_command_name_from_parsed_arguments() -> None:
    """The audited command name joins the command and its action."""
    assert command_name({"command": "watch", "watch_command": "approve", "x": 1}) == (
        "watch approve"
    )
    assert command_name({"command": "init"}) == "init"


async def test_successful_login_is_recorded_in_the_ledger(world: World) -> None:
    """A login appends one ``login`` record (who, how, for which command); a
    refused one appends none of that type."""
    issued = await world.users.issue_token("sam", "t")
    await authenticate(
        world.users, "supervisor", "evidence export", env={"CHANWATCH_TOKEN": issued.token}
    )
    with pytest.raises(AccessDenied):
        await authenticate(
            world.users, "admin", "user add", env={"CHANWATCH_TOKEN": issued.token}
        )

    async def logins(conn: Any) -> list[dict[str, Any]]:
        rows = await conn.execute_fetchall(
            "SELECT record FROM ledger WHERE type = 'login' ORDER BY seq")
        return [canonical.loads(bytes(r[0])) for r in rows]

    [login] = await world.store.read(logins)
    assert login["actor"] == "sam" and login["subject"] == "user:sam"
    assert login["after"] == {"method": "token", "command": "evidence export"}
