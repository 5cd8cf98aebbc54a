"""The account pool: allocator and pacer of joins across Telegram accounts.

The watch manager of each account asks :meth:`AccountPool.claim` before it
takes a watch up; the pool answers from the database, in the single writer's
transaction, so two accounts never take the same watch and no account goes
past its pace or its channel limit. The manager reports what Telegram said:

* :meth:`flood_wait` - that account's pending joins move after the wait; other
  accounts are not touched;
* :meth:`too_many_channels` - the account is full; the watch moves to another;
* :meth:`lost` - AuthKey errors or a deactivated/banned user: the account is
  marked, its watches are handed to other accounts, operators are told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

import structlog

from access.clock import Clock, SystemClock
from access.notify import Notifier, tell
from access.pacing import DAY, OCCUPYING_STATES, Pacing, has_room, next_join_at
from access.roles import SERVICE_ACTOR, PolicyViolation
from access.store import Store
from access.users import require
from storage.access_models import Account
from storage.changes import audited
from storage.repos import Transaction

log = structlog.get_logger(__name__)

#: Telegram errors that end an account's session, and the status they give it.
LOST_ERRORS: Final[dict[str, str]] = {
    "USER_DEACTIVATED": "deactivated",
    "USER_DEACTIVATED_BAN": "banned",
    "PHONE_NUMBER_BANNED": "banned",
    "AUTH_KEY_UNREGISTERED": "logged_out",
    "AUTH_KEY_INVALID": "logged_out",
    "AUTH_KEY_DUPLICATED": "logged_out",
    "SESSION_REVOKED": "logged_out",
    "SESSION_EXPIRED": "logged_out",
}
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.")


def error_name(error: str) -> str:
    """``UserDeactivatedBanError`` -> ``USER_DEACTIVATED_BAN``; Telegram names pass."""
    text = error.strip()
    if text.endswith("Error") and not text.isupper():
        text = re.sub(r"(?<!^)(?=[A-Z])", "_", text[: -len("Error")])
    return text.upper()


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account with its load and pace, for ``account list``."""

    account: Account
    owned: int
    joins_24h: int
    next_join_at: datetime


class AccountPool:
    def __init__(
        self,
        store: Store,
        pacing: Pacing,
        *,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self._store = store
        self._pacing = pacing
        self._clock = clock or SystemClock()
        self._notifier = notifier

    # -- administration --------------------------------------------------------------
    async def add(self, actor: str, name: str, session_path: Path, why: str | None) -> Account:
        account_name = name.strip().lower()
        if not account_name or not set(account_name) <= _NAME_OK or len(account_name) > 64:
            raise PolicyViolation(
                f"invalid account name {name!r}: a-z, digits, '_', '-' or '.', 1 to 64 characters"
            )
        now = self._clock.now()

        async def op(tx: Transaction) -> Account:
            await require(tx, actor, "admin")
            if await tx.accounts.get(account_name) is not None:
                raise PolicyViolation(f"account {account_name!r} exists already")
            account = await tx.accounts.insert(
                account_name, str(session_path), at=now, actor=actor
            )
            await audited(
                tx,
                at=now,
                actor=actor,
                action="account.add",
                subject=f"account:{account_name}",
                after=account,
                why=why,
            )
            return account

        return await self._store.transaction(op)

    async def ensure(self, name: str, session_path: Path) -> Account:
        """The running monitor's own account, registered (and audited) if missing."""
        now = self._clock.now()

        async def op(tx: Transaction) -> Account:
            found = await tx.accounts.get(name)
            if found is not None:
                return found
            account = await tx.accounts.insert(
                name, str(session_path), at=now, actor=SERVICE_ACTOR
            )
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action="account.add",
                subject=f"account:{name}",
                after=account,
                why="the account the monitor runs with",
            )
            return account

        return await self._store.transaction(op)

    async def session_ok(self, name: str) -> None:
        """The account's session works again (logged in anew): a ``logged_out``
        account returns to service. Banned, deactivated or disabled ones do not."""
        now = self._clock.now()

        async def op(tx: Transaction) -> None:
            acc = await tx.accounts.get(name)
            if acc is None or acc.status != "logged_out":
                return
            await tx.accounts.set_status(name, "active", None, at=now)
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action="account.active",
                subject=f"account:{name}",
                before={"status": acc.status},
                after={"status": "active"},
                why="the session is logged in again",
            )

        await self._store.transaction(op)

    async def disable(self, actor: str, name: str, why: str) -> list[int]:
        """Take an account out of service; its watches go to other accounts."""
        return await self._set_status(actor, name.strip().lower(), "disabled", why)

    async def views(self) -> list[AccountView]:
        now = self._clock.now()

        async def op(tx: Transaction) -> list[AccountView]:
            owned = await tx.accounts.owned_counts(OCCUPYING_STATES)
            out = []
            for acc in await tx.accounts.list():
                joins = await tx.accounts.joins_since(acc.id, now - DAY)
                at = next_join_at(joins, acc.flood_until, now, self._pacing)
                out.append(AccountView(acc, owned.get(acc.name, 0), len(joins), at))
            return out

        return await self._store.snapshot(op)

    # -- the allocator ----------------------------------------------------------------
    async def claim(self, account: str, watch_id: int) -> bool:
        """May ``account`` take up ``watch_id`` now? Assigns an unowned watch to the
        best account; counts the join against the account's pace when it says yes.
        """
        now = self._clock.now()

        async def op(tx: Transaction) -> bool:
            me = await tx.accounts.get(account)
            watch = await tx.watches.link(watch_id)
            if me is None or me.status != "active" or watch is None:
                return False
            owner = watch.account
            if owner is not None:
                current = await tx.accounts.get(owner)
                if current is None or current.status != "active":
                    owner = None
            if owner is None:
                chosen = await self._choose(tx, now, exclude=())
                if chosen is None:
                    log.warning("no_account_with_room", watch_id=watch_id)
                    return False
                owner = chosen.name
                await tx.watches.assign(watch_id, owner, now)
                await audited(
                    tx,
                    at=now,
                    actor=SERVICE_ACTOR,
                    action="watch.assign",
                    subject=f"watch:{watch_id}",
                    before={"account": watch.account},
                    after={"account": owner},
                    why="allocated to the account with most room",
                )
            if owner != account:
                return False
            if watch.state == "active":
                return True  # already joined: recording needs no new join
            joins = await tx.accounts.joins_since(me.id, now - DAY)
            if next_join_at(joins, me.flood_until, now, self._pacing) > now:
                return False
            await tx.accounts.record_join(me.id, watch_id, at=now)
            return True

        return await self._store.transaction(op)

    async def next_join_at(self, account: str) -> datetime | None:
        now = self._clock.now()

        async def op(tx: Transaction) -> datetime | None:
            acc = await tx.accounts.get(account)
            if acc is None:
                return None
            joins = await tx.accounts.joins_since(acc.id, now - DAY)
            return next_join_at(joins, acc.flood_until, now, self._pacing)

        return await self._store.snapshot(op)

    async def _choose(
        self, tx: Transaction, now: datetime, exclude: tuple[str, ...]
    ) -> Account | None:
        owned = await tx.accounts.owned_counts(OCCUPYING_STATES)
        candidates = [
            a
            for a in await tx.accounts.list()
            if a.status == "active"
            and a.name not in exclude
            and has_room(owned.get(a.name, 0), a.channel_limit, self._pacing)
        ]
        if not candidates:
            return None
        return min(
            candidates,
            key=lambda a: (
                a.flood_until is not None and a.flood_until > now,
                owned.get(a.name, 0),
                a.id,
            ),
        )

    # -- what Telegram said -------------------------------------------------------------
    async def flood_wait(self, account: str, seconds: int) -> datetime:
        """A FloodWait on ``account``: its pending joins wait, no other account does."""
        now = self._clock.now()
        until = now + timedelta(seconds=max(0, seconds))

        async def op(tx: Transaction) -> list[int]:
            acc = await tx.accounts.get(account)
            if acc is None:
                return []
            later = max(until, acc.flood_until) if acc.flood_until else until
            await tx.accounts.set_flood_until(account, later, at=now)
            moved = [
                w.watch_id
                for w in await tx.watches.links(("approved", "joining", "waiting"))
                if w.account == account
            ]
            for watch_id in moved:
                await tx.watches.update(
                    watch_id,
                    now=now,
                    state="waiting",
                    channel_id=None,
                    account=None,
                    reason=f"FloodWait {seconds}s on account {account}",
                    wait_until=later,
                )
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action="account.flood_wait",
                subject=f"account:{account}",
                after={"until": later, "watches": moved},
                why=f"Telegram asked to wait {seconds}s",
            )
            return moved

        moved = await self._store.transaction(op)
        log.warning("flood_wait", account=account, seconds=seconds, pending_joins_moved=moved)
        return until

    async def too_many_channels(self, account: str, watch_id: int) -> str | None:
        """CHANNELS_TOO_MUCH: the account is full; returns the watch's new account."""
        now = self._clock.now()

        async def op(tx: Transaction) -> str | None:
            owned = await tx.accounts.owned_counts(("active",))
            full = owned.get(account, 0)
            await tx.accounts.set_channel_limit(account, full, at=now)
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action="account.full",
                subject=f"account:{account}",
                after={"channel_limit": full},
                why="Telegram answered CHANNELS_TOO_MUCH",
            )
            return await self._reassign(tx, watch_id, account, now, "CHANNELS_TOO_MUCH")

        new_owner = await self._store.transaction(op)
        log.warning("channels_too_much", account=account, watch_id=watch_id, moved_to=new_owner)
        return new_owner

    async def lost(self, account: str, error: str) -> list[int]:
        """The session is gone (AuthKey error, deactivated or banned user).

        ``error`` is Telegram's name (``USER_DEACTIVATED_BAN``) or Telethon's
        class name (``UserDeactivatedBanError``).
        """
        name = error_name(error)
        status = LOST_ERRORS.get(name, "logged_out")
        return await self._set_status(SERVICE_ACTOR, account, status, f"Telegram: {name}")

    async def _set_status(self, actor: str, name: str, status: str, why: str) -> list[int]:
        now = self._clock.now()

        async def op(tx: Transaction) -> tuple[list[int], list[str]] | None:
            if actor != SERVICE_ACTOR:
                await require(tx, actor, "admin")
            acc = await tx.accounts.get(name)
            if acc is None:
                raise PolicyViolation(f"there is no account {name!r}")
            if acc.status == status:  # told again (e.g. by every channel's worker)
                return None
            await tx.accounts.set_status(name, status, why, at=now)
            await audited(
                tx,
                at=now,
                actor=actor,
                action=f"account.{status}",
                subject=f"account:{name}",
                before={"status": acc.status},
                after={"status": status},
                why=why,
            )
            moved = [
                w.watch_id
                for w in await tx.watches.links(OCCUPYING_STATES)
                if w.account == name
            ]
            for watch_id in moved:
                await self._reassign(tx, watch_id, name, now, f"account {name} {status}")
            return moved, await tx.users.with_role("operator")

        changed = await self._store.transaction(op)
        if changed is None:
            return []
        moved, operators = changed
        await tell(
            self._notifier,
            operators,
            f"Telegram account {name} {status}",
            {"account": name, "status": status, "reason": why, "watches_moved": moved},
        )
        return moved

    async def _reassign(
        self, tx: Transaction, watch_id: int, old: str, now: datetime, why: str
    ) -> str | None:
        chosen = await self._choose(tx, now, exclude=(old,))
        new = None if chosen is None else chosen.name
        await tx.watches.assign(watch_id, new, now)
        await tx.watches.update(
            watch_id, now=now, state="approved", channel_id=None, account=None,
            reason=f"moved from {old}: {why}", wait_until=None,
        )
        await audited(
            tx,
            at=now,
            actor=SERVICE_ACTOR,
            action="watch.reassign",
            subject=f"watch:{watch_id}",
            before={"account": old},
            after={"account": new},
            why=why,
        )
        return new
