"""Shared fixtures of the access and accounts tests: a real SQLite store on a
temporary file, a manual clock, and users with each role; and the lawful way to
a watched channel (:func:`lawful_watch`) for every test that needs one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from access.cases import Cases
from access.clock import Clock, ManualClock
from access.credentials import fast_hasher
from access.pacing import Pacing
from access.policy import Limits
from access.requests import WatchRequests
from access.services import build_services
from access.store import Store
from access.users import Users
from storage.models import WatchRecord
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"  # test-only password
LIMITS = Limits()


@dataclass
class Recorded:
    """A notifier hook that keeps what it was told (it stands for mail/chat)."""

    messages: list[tuple[tuple[str, ...], str, dict[str, Any]]] = field(default_factory=list)

    async def notify(
        self, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
    ) -> None:
        self.messages.append((tuple(recipients), subject, dict(details)))


@dataclass
class World:
    store: SQLiteStore
    clock: ManualClock
    users: Users
    cases: Cases
    requests: WatchRequests


def _world(store: SQLiteStore, clock: ManualClock) -> World:
    svc = build_services(store, LIMITS, Pacing(), clock=clock, hasher=fast_hasher())
    return World(store, clock, svc.users, svc.cases, svc.requests)


async def make_world(path: Path) -> World:
    clock = ManualClock(T0)
    store = SQLiteStore(path, clock=clock.now)
    await store.open()
    w = _world(store, clock)
    users = w.users
    await users.init_admin("root", PASSWORD)
    for name, roles in {
        "ivan": ["investigator"],
        "ines": ["investigator"],
        "sam": ["supervisor"],
        "sue": ["supervisor"],
        "otto": ["operator"],
        "boss": ["investigator", "supervisor"],
    }.items():
        await users.add("root", name, roles, PASSWORD, "test user")
    return w


@asynccontextmanager
async def world_at(tmp_path: Path) -> AsyncIterator[World]:
    """A world on ``tmp_path/chanwatch.db``, closed on exit (tests wrap it in a fixture)."""
    w = await make_world(tmp_path / "chanwatch.db")
    try:
        yield w
    finally:
        await w.store.close()


async def audit_actions(store: SQLiteStore, prefix: str = "") -> list[dict[str, Any]]:
    rows = await store.snapshot(lambda tx: tx.audit.list(limit=1_000_000))
    return [
        {"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "subject": r.subject,
         "before_json": r.before_json, "after_json": r.after_json, "why": r.why}
        for r in reversed(rows) if r.action.startswith(prefix)
    ]


async def open_case_with_court_order(
    w: World, scope: Sequence[str] = ("@alpha_news",), months: int = 3, ref: str = "K-1"
) -> int:
    """Case ``ref`` by ivan (supervisor sam) with a court order starting now."""
    await w.cases.open("ivan", ref, "test case", "sam")
    now = w.clock.now()
    authz = await w.cases.authorize(
        "ivan",
        ref,
        kind="court",
        authority="AG Test",
        document="Gs 1/26",
        valid_from=now,
        valid_until=now + timedelta(days=30 * months - 5),
        scope=scope,
    )
    return authz.id


async def approved_watch(w: World, target: str = "@alpha_news", ref: str = "K-1") -> int:
    """ivan requests ``target`` under case ``ref``, sam approves; returns the watch id."""
    request = await w.requests.request_watch("ivan", ref, target, "a lead")
    decided = await w.requests.decide("sam", request.id, approve=True)
    assert decided.watch_id is not None
    return decided.watch_id


async def joined(w: World, watch_id: int, channel_id: int, username: str | None) -> None:
    """What the monitor stores once it resolved and joined a watch's channel."""
    from storage.models import ChannelRecord

    await w.store.upsert_channel(
        ChannelRecord(id=channel_id, access_hash=1, title="t", username=username, type="broadcast")
    )
    await w.store.update_watch(
        watch_id, actor="monitor", state="active", channel_id=channel_id, account="main"
    )


#: The users of CLI tests: one per role.
CLI_USERS: dict[str, tuple[str, ...]] = {
    "root": ("admin",),
    "ivan": ("investigator",),
    "sam": ("supervisor",),
    "sue": ("supervisor",),
    "otto": ("operator",),
}


async def seed_users(path: Path, users: Mapping[str, Sequence[str]] = CLI_USERS) -> dict[str, str]:
    """Create ``users`` in the database at ``path`` (``root``, admin, is made by
    init); returns each one's personal API token, for ``CHANWATCH_TOKEN``."""
    store = SQLiteStore(path)
    await store.open()
    try:
        svc = build_services(store, LIMITS, Pacing(), hasher=fast_hasher()).users
        await svc.init_admin("root", PASSWORD)
        for name, roles in users.items():
            if name != "root":
                await svc.add("root", name, list(roles), PASSWORD, "test user")
        return {name: (await svc.issue_token(name, "test")).token for name in users}
    finally:
        await store.close()


def seed_cli_users(path: Path, users: Mapping[str, Sequence[str]] = CLI_USERS) -> dict[str, str]:
    """:func:`seed_users` for synchronous tests (CLI tests run ``main`` in-process)."""
    import asyncio

    return asyncio.run(seed_users(path, users))


# -- end-to-end (tests/e2e/test_authorization_*.py) ----------------------------------


def e2e_clock() -> ManualClock:
    """A manual clock a day behind the real one.

    The watch manager compares a FloodWait's ``wait_until`` with the real time;
    keeping the manual clock in the past lets the account pool (on the manual
    clock) alone decide when a waiting join may go.
    """
    return ManualClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))


async def e2e_world(db: Path, clock: ManualClock) -> World:
    """Users, cases and requests on the monitor's database, on ``clock``."""
    store = SQLiteStore(db, clock=clock.now)
    await store.open()
    w = _world(store, clock)
    await w.users.init_admin("root", PASSWORD)
    for name, roles in {**CLI_USERS, "boss": ("investigator", "supervisor")}.items():
        if name != "root":
            await w.users.add("root", name, list(roles), PASSWORD, "test user")
    return w


async def authorize(
    w: World,
    ref: str,
    scope: Sequence[str],
    *,
    kind: str = "court",
    days: int = 30,
    supervisor: str = "sam",
) -> int:
    """Open case ``ref`` (ivan) with an authorization from now for ``days``."""
    if await w.cases.get(ref) is None:
        await w.cases.open("ivan", ref, f"case {ref}", supervisor)
    now = w.clock.now()
    a = await w.cases.authorize(
        "ivan",
        ref,
        kind=kind,
        authority="AG Test",
        document=f"Gs {ref}",
        valid_from=now,
        valid_until=now + timedelta(days=days),
        scope=scope,
    )
    return a.id


# -- a watched channel, the lawful way ---------------------------------------------


async def lawful_watch(
    store: Store, target: str, *, ref: str = "LAWFUL-1", clock: Clock | None = None
) -> WatchRecord:
    """A watch of ``target`` as chanwatch allows one: the users (root, investigator
    ivan, supervisor sam) when missing, case ``ref`` opened by ivan, a court order
    naming ``target`` valid from now for 30 days, ivan's watch request and sam's
    approval. ``clock``: the access rules' time (default the system's, which is
    what a monitor started without a test clock checks authorizations against)."""
    svc = build_services(store, LIMITS, Pacing(), clock=clock, hasher=fast_hasher())
    if not await svc.users.any_exist():
        await svc.users.init_admin("root", PASSWORD)
    for name, role in (("ivan", "investigator"), ("sam", "supervisor")):
        if await svc.users.get(name) is None:
            await svc.users.add("root", name, [role], PASSWORD, "test user")
    if await svc.cases.get(ref) is None:
        await svc.cases.open("ivan", ref, f"case {ref}", "sam")
    now = svc.clock.now()
    await svc.cases.authorize(
        "ivan", ref, kind="court", authority="AG Test", document=f"Gs {ref}",
        valid_from=now, valid_until=now + timedelta(days=30), scope=[target],
    )
    request = await svc.requests.request_watch("ivan", ref, target, "a lead")
    decided = await svc.requests.decide("sam", request.id, approve=True)
    assert decided.watch_id is not None, "the approved request got no watch"
    watch = await svc.watches.list()
    return next(w for w in watch if w.id == decided.watch_id)


#: Every command that only reads case data (any logged-in user; refused without
#: one), with arguments valid enough to reach the database.
READ_COMMANDS: dict[str, list[str]] = {
    "user list": ["user", "list"],
    "account list": ["account", "list"],
    "watch list": ["watch", "list"],
    "watch requests": ["watch", "requests"],
    "case list": ["case", "list"],
    "case show": ["case", "show", "K-1"],
    "bank list": ["bank", "list"],
    "alerts list": ["alerts", "list"],
    "alerts show": ["alerts", "show", "1"],
    "media spread": ["media", "spread", "1"],
    "posts list": ["posts", "list"],
    "posts show": ["posts", "show", "1", "1"],
    "audit list": ["audit", "list"],
    "evidence verify-db": ["evidence", "verify-db"],
    "evidence status": ["evidence", "status"],
    "sweep": ["sweep"],
}
