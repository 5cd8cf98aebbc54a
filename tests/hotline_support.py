"""Helpers for the hotline tests: a manual clock, users, alerts on real posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.models import Alert, BankEntryIn, ChannelRecord, MatchIn, NewMedia, PostRecord
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHANNEL = 777
USERS: dict[str, tuple[str, ...]] = {
    "otto": ("operator",),
    "olga": ("operator",),
    "sam": ("supervisor",),
    "ivan": ("investigator",),
}


async def seed_users(store: SQLiteStore, users: Mapping[str, Sequence[str]] = USERS) -> None:
    for name, roles in users.items():
        await store.transaction(
            lambda tx, name=name, roles=roles: tx.users.insert(
                name, "-", roles, at=T0, actor="test"
            )
        )


@dataclass
class Notified:
    """A notifier that keeps what it was given (stands in for a mail or chat service)."""

    calls: list[tuple[list[str], str, dict[str, Any]]] = field(default_factory=list)

    async def notify(
        self, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
    ) -> None:
        self.calls.append((list(recipients), subject, dict(details)))

    def kinds(self) -> list[tuple[int, str]]:
        return [(int(d["alert_id"]), str(d["notice"])) for _, _, d in self.calls]


async def make_alert(
    store: SQLiteStore, message_id: int, *, priority: int = 2, due_in: timedelta | None = None,
) -> Alert:
    """A recorded post with a photo matching bank ``ncmec``, alerted (due ``due_in``
    from the store's clock, default 24 h)."""
    now = store.clock()
    if await store.get_channel(CHANNEL) is None:
        await store.upsert_channel(ChannelRecord(id=CHANNEL, access_hash=1, title="Bad",
                                                 username="bad", type="broadcast"))
        await store.create_bank("ncmec", 31, "test")
        await store.import_bank_entries(
            "ncmec", [BankEntryIn("sha256", "ab" * 32, category="B2")], "test", "seed.csv")
    entries = [e.id async for e in store.iter_bank_entries()]
    entry = entries[0]
    await store.record_post(PostRecord(
        channel_id=CHANNEL, message_id=message_id, date=now, text="secret post text",
        edit_date=None, author_signature=None, views=1, forwards=0, fwd_channel_id=None,
        fwd_message_id=None, fwd_from_name=None, fwd_date=None, reply_to=None,
        grouped_id=None, entities_json="[]", links=(), mentions=(), captured_at=now,
        captured_by="acct", has_media=True))
    media = await store.add_media(NewMedia(
        f"photo:{message_id}", "photo", 10, "image/jpeg", 8, 8, None,
        f"{message_id:064x}", None, None, None, "hashed"))
    await store.add_sighting(media.id, CHANNEL, message_id)
    return await store.raise_alert(
        CHANNEL, message_id, [MatchIn(entry, media.id, "sha256", 0)], priority,
        now + (due_in if due_in is not None else timedelta(hours=24)))
