"""Users, roles and authentication (passwords and personal API tokens).

Every change writes its audit row in the same transaction. Roles are checked
again here, inside the transaction that makes the change, so a caller that
skipped the CLI's check still cannot act beyond its roles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from argon2 import PasswordHasher

from access.clock import Clock, SystemClock
from access.credentials import (
    DEFAULT_HASHER,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from access.roles import AccessDenied, PolicyViolation, parse_roles
from access.store import Store
from storage.access_models import User
from storage.changes import audited
from storage.repos import Transaction

log = structlog.get_logger(__name__)

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
# A valid Argon2 hash that no password matches in practice: verifying against it
# when the user does not exist keeps the time of a failed login the same.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$EdjFyFrvr06RYVjgBblIog$"
    "Gb8EgmY6DaL1KWGDw2b7uGCH5NMe9UDMwQWLXJGAvqY"
)


def check_username(name: str) -> str:
    value = name.strip().lower()
    if not _USERNAME.match(value):
        raise ValueError(
            f"invalid username {name!r}: 2 to 64 characters, a-z, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    return value


async def require(tx: Transaction, username: str, role: str | None) -> User:
    """The active user ``username`` holding ``role`` (any role when None)."""
    user = await tx.users.get(username)
    if user is None:
        raise AccessDenied(f"refused: there is no user {username!r}")
    if not user.active:
        raise AccessDenied(f"refused: user {username!r} is disabled")
    if role is not None and role not in user.roles:
        raise AccessDenied(
            f"refused: user {username!r} lacks the role {role!r} "
            f"(has: {', '.join(user.roles) or 'none'})"
        )
    return user


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once; only its digest is stored
    token_id: int


class Users:
    def __init__(
        self, store: Store, clock: Clock | None = None, hasher: PasswordHasher | None = None
    ) -> None:
        self._store = store
        self._clock = clock or SystemClock()
        self._hasher = hasher or DEFAULT_HASHER

    # -- reading -------------------------------------------------------------------
    async def all(self) -> list[User]:
        return await self._store.snapshot(lambda tx: tx.users.list())

    async def get(self, username: str) -> User | None:
        name = username.strip().lower()
        return await self._store.snapshot(lambda tx: tx.users.get(name))

    async def any_exist(self) -> bool:
        return await self._store.snapshot(lambda tx: tx.users.count()) > 0

    # -- authentication ------------------------------------------------------------
    async def by_token(self, token: str) -> User:
        """The active user whose personal token this is; AccessDenied otherwise."""
        digest = token_digest(token)
        user = await self._store.snapshot(lambda tx: tx.tokens.owner(digest))
        if user is None:
            await self._refusal("unknown", "auth.token_refused", "token", "unknown or revoked")
            raise AccessDenied("refused: the API token is unknown or was revoked")
        if not user.active:
            raise AccessDenied(f"refused: user {user.username!r} is disabled")
        return user

    async def by_password(self, username: str, password: str) -> User:
        name = username.strip().lower()
        stored = await self._store.snapshot(lambda tx: tx.users.password_hash(name))
        ok = await verify_password(stored or _DUMMY_HASH, password)
        if stored is None or not ok:
            await self._refusal(name or "unknown", "auth.password_refused", f"user:{name}", None)
            raise AccessDenied("refused: wrong username or password")
        user = await self.get(name)
        if user is None or not user.active:
            raise AccessDenied(f"refused: user {name!r} is disabled")
        return user

    async def logged_in(self, username: str, method: str, command: str) -> None:
        """Audit a successful login (``method``: password or token) for ``command``;
        the audit row is mirrored as the ledger's ``login`` record."""
        now = self._clock.now()
        after = {"method": method, "command": command}
        await self._store.transaction(
            lambda tx: audited(
                tx, at=now, actor=username, action="auth.login", subject=f"user:{username}",
                after=after,
            )
        )

    async def refuse(self, actor: str, command: str, reason: str) -> None:
        """Audit a refused command (the actor lacked a role, or could not log in)."""
        await self._refusal(actor, "access.refused", f"command:{command}", reason)

    async def _refusal(self, actor: str, action: str, subject: str, why: str | None) -> None:
        now = self._clock.now()
        log.warning("access_refused", actor=actor, action=action, subject=subject, why=why)
        await self._store.transaction(
            lambda tx: audited(tx, at=now, actor=actor, action=action, subject=subject, why=why)
        )

    # -- changes -------------------------------------------------------------------
    async def init_admin(self, username: str, password: str) -> User:
        """Create the first admin; refused once any user exists."""
        name = check_username(username)
        encoded = await hash_password(password, self._hasher)
        now = self._clock.now()

        async def op(tx: Transaction) -> User:
            if await tx.users.count() > 0:
                raise PolicyViolation("chanwatch is already initialised: users exist")
            user = await tx.users.insert(name, encoded, ["admin"], at=now, actor=name)
            await audited(
                tx,
                at=now,
                actor=name,
                action="user.create",
                subject=f"user:{name}",
                after=_public(user),
                why="chanwatch init: the first admin",
            )
            return user

        return await self._store.transaction(op)

    async def add(
        self, actor: str, username: str, roles: Sequence[str], password: str, why: str | None
    ) -> User:
        name = check_username(username)
        wanted = parse_roles(roles)
        encoded = await hash_password(password, self._hasher)
        now = self._clock.now()

        async def op(tx: Transaction) -> User:
            await require(tx, actor, "admin")
            if await tx.users.get(name) is not None:
                raise PolicyViolation(f"user {name!r} exists already")
            user = await tx.users.insert(name, encoded, wanted, at=now, actor=actor)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="user.create",
                subject=f"user:{name}",
                after=_public(user),
                why=why,
            )
            return user

        return await self._store.transaction(op)

    async def set_active(self, actor: str, username: str, active: bool, why: str | None) -> User:
        name = username.strip().lower()
        now = self._clock.now()

        async def op(tx: Transaction) -> User:
            await require(tx, actor, "admin")
            user = await tx.users.get(name)
            if user is None:
                raise PolicyViolation(f"there is no user {name!r}")
            if not active and "admin" in user.roles:
                admins = await tx.users.with_role("admin")
                if admins == [name]:
                    raise PolicyViolation(f"{name!r} is the last active admin")
            await tx.users.set_active(user.id, active, at=now)
            revoked = 0 if active else await tx.tokens.revoke_all(user.id, at=now)
            after = await tx.users.get(name)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="user.enable" if active else "user.disable",
                subject=f"user:{name}",
                before=_public(user),
                after={**(_public(after) or {}), "tokens_revoked": revoked},
                why=why,
            )
            assert after is not None
            return after

        return await self._store.transaction(op)

    async def set_password(self, actor: str, username: str, password: str) -> None:
        """A user changes their own password; an admin may set anyone's."""
        name = username.strip().lower()
        encoded = await hash_password(password, self._hasher)
        now = self._clock.now()

        async def op(tx: Transaction) -> None:
            await require(tx, actor, None if name == actor else "admin")
            user = await tx.users.get(name)
            if user is None:
                raise PolicyViolation(f"there is no user {name!r}")
            await tx.users.set_password_hash(user.id, encoded, at=now)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="user.password",
                subject=f"user:{name}",
                why="password changed",
            )

        await self._store.transaction(op)

    async def issue_token(
        self, actor: str, label: str, username: str | None = None
    ) -> IssuedToken:
        """A new personal API token for ``username`` (default: ``actor`` itself;
        another user's token needs the admin role, for scripted setups)."""
        name = (username or actor).strip().lower()
        token = new_token()
        digest = token_digest(token)
        now = self._clock.now()

        async def op(tx: Transaction) -> IssuedToken:
            await require(tx, actor, None if name == actor else "admin")
            user = await tx.users.get(name)
            if user is None:
                raise PolicyViolation(f"there is no user {name!r}")
            if not user.active:
                raise PolicyViolation(f"user {name!r} is disabled: enable it first")
            token_id = await tx.tokens.insert(user.id, digest, label, at=now)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="token.create",
                subject=f"user:{name}",
                after={"token_id": token_id, "label": label},
            )
            return IssuedToken(token, token_id)

        return await self._store.transaction(op)

    async def revoke_tokens(self, actor: str, username: str, why: str | None) -> int:
        name = username.strip().lower()
        now = self._clock.now()

        async def op(tx: Transaction) -> int:
            await require(tx, actor, None if name == actor else "admin")
            user = await tx.users.get(name)
            if user is None:
                raise PolicyViolation(f"there is no user {name!r}")
            count = await tx.tokens.revoke_all(user.id, at=now)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="token.revoke",
                subject=f"user:{name}",
                after={"revoked": count},
                why=why,
            )
            return count

        return await self._store.transaction(op)


def _public(user: User | None) -> dict[str, object] | None:
    if user is None:
        return None
    return {"username": user.username, "roles": list(user.roles), "active": user.active}
