"""Users, roles, passwords and tokens (access.users) on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from access_support import PASSWORD, World, audit_actions, world_at

from access.roles import AccessDenied, PolicyViolation


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with world_at(tmp_path) as w:
        yield w


async def test_init_creates_only_the_first_admin(world: World) -> None:
    """`init` works once: with users present it is refused."""
    admin = await world.users.get("root")
    assert admin is not None and admin.roles == ("admin",)
    with pytest.raises(PolicyViolation, match="already initialised"):
        await world.users.init_admin("other", PASSWORD)


async def test_password_login_and_wrong_password(world: World) -> None:
    """A right password authenticates; a wrong one or an unknown user is refused and audited."""
    user = await world.users.by_password("Ivan", PASSWORD)
    assert user.username == "ivan"
    with pytest.raises(AccessDenied, match="wrong username or password"):
        await world.users.by_password("ivan", "not the password at all")
    with pytest.raises(AccessDenied, match="wrong username or password"):
        await world.users.by_password("nobody", PASSWORD)
    refused = await audit_actions(world.store, "auth.password_refused")
    assert [r["subject"] for r in refused] == ["user:ivan", "user:nobody"]


async def test_passwords_are_stored_as_argon2id(world: World) -> None:
    """Only an Argon2id hash of the password is in the database."""

    async def op(conn: object) -> list[str]:
        async with conn.execute("SELECT password_hash FROM users") as cur:  # type: ignore[attr-defined]
            return [r[0] for r in await cur.fetchall()]

    hashes = await world.store.read(op)
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


async def test_token_roundtrip_and_revocation(world: World) -> None:
    """A personal token authenticates its owner until revoked; only its digest is stored."""
    issued = await world.users.issue_token("otto", "script")
    assert (await world.users.by_token(issued.token)).username == "otto"

    async def op(conn: object) -> list[str]:
        async with conn.execute("SELECT digest FROM api_tokens") as cur:  # type: ignore[attr-defined]
            return [r[0] for r in await cur.fetchall()]

    assert issued.token not in await world.store.read(op)
    assert await world.users.revoke_tokens("otto", "otto", "rotated") == 1
    with pytest.raises(AccessDenied, match="unknown or was revoked"):
        await world.users.by_token(issued.token)


async def test_only_admins_manage_users(world: World) -> None:
    """A non-admin cannot add or disable users; an admin can, and disabling revokes tokens."""
    with pytest.raises(AccessDenied, match="lacks the role 'admin'"):
        await world.users.add("sam", "mallory", ["admin"], PASSWORD, None)
    issued = await world.users.issue_token("otto", "script")
    user = await world.users.set_active("root", "otto", False, "left the unit")
    assert not user.active
    with pytest.raises(AccessDenied):
        await world.users.by_token(issued.token)
    with pytest.raises(AccessDenied, match="disabled"):
        await world.users.by_password("otto", PASSWORD)


async def test_last_admin_cannot_be_disabled(world: World) -> None:
    """chanwatch always keeps one active admin."""
    with pytest.raises(PolicyViolation, match="last active admin"):
        await world.users.set_active("root", "root", False, None)


async def test_password_change_self_or_admin(world: World) -> None:
    """Users change their own password; changing another's needs admin; short ones refused."""
    await world.users.set_password("ivan", "ivan", "a brand new passphrase")
    assert (await world.users.by_password("ivan", "a brand new passphrase")).username == "ivan"
    with pytest.raises(AccessDenied, match="admin"):
        await world.users.set_password("ivan", "sam", "another new passphrase")
    with pytest.raises(ValueError, match="at least 12"):
        await world.users.set_password("ivan", "ivan", "short")


async def test_bad_usernames_and_roles_are_refused(world: World) -> None:
    """Unknown roles, no role and malformed names get clear errors."""
    with pytest.raises(ValueError, match="unknown role"):
        await world.users.add("root", "zed", ["janitor"], PASSWORD, None)
    with pytest.raises(ValueError, match="at least one role"):
        await world.users.add("root", "zed", [], PASSWORD, None)
    with pytest.raises(ValueError, match="invalid username"):
        await world.users.add("root", "9 lives", ["operator"], PASSWORD, None)


async def test_every_user_change_is_audited(world: World) -> None:
    """Creation, password change, token and disable each leave an audit row with the actor."""
    await world.users.set_password("root", "ivan", "set by the admin here")
    await world.users.issue_token("ivan", "cli")
    await world.users.set_active("root", "ivan", False, "moved")
    rows = await audit_actions(world.store, "")
    acts = [(r["actor"], r["action"], r["subject"]) for r in rows]
    assert ("root", "user.create", "user:root") in acts
    assert ("root", "user.create", "user:ivan") in acts
    assert ("root", "user.password", "user:ivan") in acts
    assert ("ivan", "token.create", "user:ivan") in acts
    assert ("root", "user.disable", "user:ivan") in acts
    disable = next(r for r in rows if r["action"] == "user.disable")
    assert '"active":true' in disable["before_json"] and '"active":false' in disable["after_json"]
    assert disable["why"] == "moved"
