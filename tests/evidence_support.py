"""A ledger with two cases made through the real access layer and store, for the
evidence CLI tests: K-1 (court order on @alpha_news, channel 1001) and K-2
(@beta_news, channel 1002), each with its approved watch request, the watch
joined, and captured posts under the authorization."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from access_support import approved_watch, make_world, open_case_with_court_order

from monitor.cli import main
from storage.models import Authority, ChannelRecord, PostRecord


@dataclass
class TwoCases:
    tokens: dict[str, str]
    authz: dict[str, int]
    watches: dict[str, int]


def make_post(channel_id: int, message_id: int, text: str, authority: Authority) -> PostRecord:
    now = datetime.now(UTC)
    return PostRecord(
        channel_id=channel_id, message_id=message_id, date=now, text=text, edit_date=None,
        author_signature=None, views=1, forwards=0, fwd_channel_id=None, fwd_message_id=None,
        fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None, entities_json="[]",
        links=(), mentions=(), captured_at=now, captured_by="main", has_media=False,
        authority=authority)


CHANNELS = {"K-1": (1001, "alpha_news", "Alpha News"), "K-2": (1002, "beta_news", "Beta News")}


async def _seed(db: Path, posts: int) -> TwoCases:
    w = await make_world(db)
    try:
        authz: dict[str, int] = {}
        watches: dict[str, int] = {}
        for ref, (channel_id, username, title) in CHANNELS.items():
            authz[ref] = await open_case_with_court_order(w, (f"@{username}",), ref=ref)
            watches[ref] = await approved_watch(w, f"@{username}", ref=ref)
            await w.store.upsert_channel(ChannelRecord(channel_id, 1, title, username,
                                                       "broadcast"))
            await w.store.update_watch(watches[ref], actor="service:monitor", state="active",
                                       channel_id=channel_id, account="main")
            for m in range(1, posts + 1):
                await w.store.record_post(make_post(channel_id, m, f"{ref} post {m}",
                                                    Authority(authz[ref], ref)))
        tokens = {name: (await w.users.issue_token(name, "cli")).token
                  for name in ("sam", "root")}
        return TwoCases(tokens, authz, watches)
    finally:
        await w.store.close()


def seed_two_cases(db: Path, posts: int = 3) -> TwoCases:
    return asyncio.run(_seed(db, posts))


async def add_posts(db: Path, ref: str, authz_id: int, first: int, count: int) -> None:
    from storage.sqlite import SQLiteStore

    store = SQLiteStore(db)
    await store.open()
    try:
        channel_id = CHANNELS[ref][0]
        for m in range(first, first + count):
            await store.record_post(make_post(channel_id, m, f"{ref} post {m}",
                                              Authority(authz_id, ref)))
    finally:
        await store.close()


def run(*argv: str) -> tuple[int, str, str]:
    """``chanwatch ARGV`` in-process."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
