"""The ledger records of the store's changes (storage.ledger.records): one record of the right
type per change, in the change's own transaction, on a real SQLite store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlite_support import T0

from hotline.decisions import transition_alert
from storage import capture
from storage.api import Store
from storage.errors import IllegalTransition, NotFound
from storage.ledger import canonical
from storage.ledger.ledger import LedgerError, check_type
from storage.ledger.records import ledger_type
from storage.ledger.selection import select_case
from storage.models import Authority, BankEntryIn, Capture, MatchIn, NewMedia, PostRecord
from storage.repos import Transaction

AUTH = Authority(7, "K-1")
OTHER = Authority(8, "K-2")


async def records(store: Store, rtype: str | None = None) -> list[dict[str, Any]]:
    """Every ledger record (optionally of one type), parsed, in seq order."""

    rows = await store.snapshot(lambda tx: tx.ledger.rows())
    found = [canonical.loads(r.record) for r in rows]
    return [r for r in found if rtype is None or r["type"] == rtype]


async def types(store: Store) -> list[str]:
    return [str(r["type"]) for r in await records(store)]


def media(
    file_id: str = "photo:1", status: str = "hashed", sha: str | None = "ab" * 32
) -> NewMedia:
    return NewMedia(
        file_id=file_id, kind="photo", size=10, mime="image/jpeg", width=4, height=4,
        duration=None, sha256=sha, md5="cd" * 16 if sha else None,
        pdq="ef" * 32 if sha else None, pdq_quality=90 if sha else None, status=status,
    )


async def test_new_post_is_captured_once_with_its_authority_and_text_hash(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """A new post appends one post.captured carrying channel, message, authorization,
    case and the SHA-256 of its text; replaying it appends nothing more."""
    post = post_factory(text="hello", authority=AUTH)
    assert await store.record_post(post)
    assert not await store.record_post(post)
    assert not await store.record_post(post_factory(text="hello", authority=AUTH, views=99))
    [rec] = await records(store)
    assert rec["type"] == "post.captured" and rec["actor"] == "service:monitor"
    assert (rec["channel"], rec["message"]) == ("100", "1")
    assert (rec["authorization"], rec["case"]) == ("7", "K-1")
    assert rec["text_sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert rec["account"] == "acct-1"


async def test_edit_appends_post_edited_with_both_text_hashes(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """A replay with a later edit date and a new text appends one post.edited."""
    await store.record_post(post_factory(text="v1", authority=AUTH))
    edited = post_factory(text="v2", edit_date=T0 + timedelta(minutes=1), authority=AUTH)
    await store.record_post(edited)
    await store.record_post(edited)  # the same edit again: nothing new
    assert await types(store) == ["post.captured", "post.edited"]
    [rec] = await records(store, "post.edited")
    assert rec["text_sha256"] == hashlib.sha256(b"v2").hexdigest()
    assert rec["previous_text_sha256"] == hashlib.sha256(b"v1").hexdigest()
    assert rec["authorization"] == "7"


async def test_deletion_appends_one_record_per_newly_deleted_post(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """mark_deleted appends post.deleted for each post it marks, never twice, and
    none for a message that is not stored."""
    for mid in (1, 2):
        await store.record_post(post_factory(message_id=mid, authority=AUTH))
    assert await store.mark_deleted(100, [2, 1, 99], T0, AUTH) == 2
    assert await store.mark_deleted(100, [1], T0, AUTH) == 0
    deleted = await records(store, "post.deleted")
    assert [(r["message"], r["case"]) for r in deleted] == [("1", "K-1"), ("2", "K-1")]


async def test_media_hashed_on_create_and_upgrade_and_seen_once_per_post(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """add_media appends media.hashed when a row is created or upgraded (not when
    nothing changes); add_sighting appends media.seen for each new sighting."""
    await store.record_post(post_factory(authority=AUTH))
    where = Capture(100, 1, AUTH)
    failed = await store.add_media(media(status="failed", sha=None), where)
    again = await store.add_media(media(status="failed", sha=None), where)
    hashed = await store.add_media(media(), where)
    await store.add_media(media(), where)  # hashed rows never change: no record
    assert failed.id == again.id == hashed.id
    await store.add_sighting(hashed.id, 100, 1, AUTH)
    await store.add_sighting(hashed.id, 100, 1, AUTH)
    assert await types(store) == ["post.captured", "media.hashed", "media.hashed", "media.seen"]
    first, second = await records(store, "media.hashed")
    assert first["status"] == "failed" and first["sha256"] is None
    assert second["sha256"] == "ab" * 32 and second["md5"] == "cd" * 16
    assert second["pdq"] == "ef" * 32 and second["case"] == "K-1" and second["message"] == "1"
    [seen] = await records(store, "media.seen")
    assert (seen["channel"], seen["message"], seen["authorization"]) == ("100", "1", "7")
    assert seen["sha256"] == "ab" * 32


async def test_failing_changes_append_nothing(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """A change that fails leaves no record: a sighting of an unrecorded post, an
    alert for an unknown bank entry, a decision on an unknown alert."""
    await store.record_post(post_factory(message_id=5, authority=AUTH))
    m = await store.add_media(media())
    before = await types(store)
    with pytest.raises(NotFound):
        await store.add_sighting(m.id, 100, 6, AUTH)
    with pytest.raises(NotFound):
        await store.raise_alert(100, 5, [MatchIn(999, m.id, "pdq", 3)], 1, T0, authority=AUTH)
    with pytest.raises(NotFound):
        await transition_alert(store, 99, "claimed", "otto")
    assert await types(store) == before == ["post.captured", "media.hashed"]


async def test_change_and_record_commit_or_roll_back_together(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """In one write operation, a change and its record go together: an operation
    that fails after recording a post leaves neither the post nor its record."""

    async def op(tx: Transaction) -> None:
        assert await capture.record_post(tx, post_factory(authority=AUTH))
        assert [r.type for r in await tx.ledger.rows()] == ["post.captured"]  # written...
        raise RuntimeError("later step of the same operation failed")

    with pytest.raises(RuntimeError):
        await store.transaction(op)
    assert await store.get_post(100, 1) is None
    assert await records(store) == []
    await store.record_post(post_factory(authority=AUTH))
    assert [r["seq"] for r in await records(store)] == ["0"]  # no gap was left


async def alerted(store: Store, post: PostRecord, authority: Authority) -> int:
    await store.record_post(post)
    await store.create_bank("known", 31, "admin")
    await store.import_bank_entries(
        "known", [BankEntryIn("pdq", "ef" * 32, category="csam"), BankEntryIn("md5", "cd" * 16)],
        "admin", "list.csv",
    )
    m = await store.add_media(media(), Capture(post.channel_id, post.message_id, authority))
    entries = [e async for e in store.iter_bank_entries()]
    alert = await store.raise_alert(
        post.channel_id, post.message_id,
        [MatchIn(e.id, m.id, e.hash_type, 0) for e in entries], 1, T0 + timedelta(days=1),
        authority=authority,
    )
    return alert.id


async def test_alert_raised_matches_and_decisions_carry_the_case(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """raise_alert appends alert.raised and one match per match; a decision appends
    alert.<state> with the authorization and case the alert was raised under."""
    alert_id = await alerted(store, post_factory(authority=AUTH), AUTH)
    await store.raise_alert(  # the same matches again: nothing new
        100, 1, [MatchIn(e.id, 1, e.hash_type, 0) async for e in store.iter_bank_entries()],
        1, T0 + timedelta(days=1), authority=AUTH,
    )
    await transition_alert(store, alert_id, "claimed", "otto")
    await transition_alert(store, alert_id, "confirmed", "otto", "takedown filed")
    found = await types(store)
    assert found[:9] == [  # a decision may record more (bank feedback), never less
        "post.captured", "bank.create", "bank.import", "media.hashed",
        "alert.raised", "match", "match", "alert.claimed", "alert.confirmed",
    ]
    assert [t for t in found if t.startswith("alert.") or t == "match"] == [
        "alert.raised", "match", "match", "alert.claimed", "alert.confirmed",
    ]
    raised = (await records(store, "alert.raised"))[0]
    assert (raised["alert"], raised["case"], raised["authorization"]) == (str(alert_id), "K-1", "7")
    matches = await records(store, "match")
    banks = sorted((m["bank"], m["hash_type"], m["category"]) for m in matches)
    assert banks == [("known", "md5", None), ("known", "pdq", "csam")]
    confirmed = (await records(store, "alert.confirmed"))[0]
    assert confirmed["actor"] == "otto" and confirmed["note"] == "takedown filed"
    assert (confirmed["case"], confirmed["authorization"]) == ("K-1", "7")
    assert confirmed["message"] == "1"


async def test_a_record_that_cannot_be_written_undoes_its_change(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """An actor the ledger refuses (surrounding spaces) makes the transition fail
    as a whole: the alert keeps its state, and an illegal one appends nothing."""
    alert_id = await alerted(store, post_factory(authority=AUTH), AUTH)
    count = len(await records(store))
    with pytest.raises(LedgerError):
        await transition_alert(store, alert_id, "claimed", " otto ")
    alert = await store.get_alert(alert_id)
    assert alert is not None and alert.state == "open"
    assert len(await records(store)) == count
    await transition_alert(store, alert_id, "dismissed", "otto")
    after_dismissal = await records(store)
    with pytest.raises(IllegalTransition):
        await transition_alert(store, alert_id, "confirmed", "otto")
    assert await records(store) == after_dismissal
    assert after_dismissal[count]["type"] == "alert.dismissed"


async def test_audited_changes_are_mirrored_with_their_case(store: Store) -> None:
    """Each audit row becomes one ledger record: watch changes as watch.*, an
    authorization's revocation as authorization.revoked with its case and scope."""
    watch = await store.add_watch("@news", "ivan", "lead", state="approved")
    await store.update_watch(watch.id, actor="service:monitor", state="active", channel_id=100)
    authz = {"id": 7, "case_reference": "K-1", "scope": ["@news"], "kind": "court",
             "authority": "AG Test", "document_ref": "Gs 1/26",
             "valid_from": T0, "valid_until": T0 + timedelta(days=30)}
    await store.audit("sam", "authorization.revoke", "authorization:7", before=authz,
                      after={**authz, "revoked_at": T0}, why="court withdrew it")
    assert await types(store) == ["watch.add", "watch.update", "authorization.revoked"]
    revoked = (await records(store, "authorization.revoked"))[0]
    assert (revoked["case"], revoked["authorization"]) == ("K-1", "7")
    assert revoked["channels"] == ["@news"]
    assert revoked["valid_until"] == canonical.format_time(T0 + timedelta(days=30))
    assert revoked["why"] == "court withdrew it" and revoked["actor"] == "sam"
    assert (revoked["kind"], revoked["authority"], revoked["document"]) == (
        "court", "AG Test", "Gs 1/26")


async def test_export_selection_takes_a_cases_captures_and_not_another_cases(
    store: Store, post_factory: Callable[..., PostRecord]
) -> None:
    """select_case picks the captures, media and alert records written under the
    case's authorization, and none written under another case's."""
    authz = {"id": 7, "case_reference": "K-1", "scope": ["@news"], "valid_from": T0,
             "valid_until": T0 + timedelta(days=30)}
    await store.audit("ivan", "authorization.create", "authorization:7", after=authz)
    await store.audit("ivan", "authorization.create", "authorization:8",
                      after={**authz, "id": 8, "case_reference": "K-2"})
    await alerted(store, post_factory(authority=AUTH), AUTH)
    await store.record_post(post_factory(channel_id=200, message_id=1, authority=OTHER))
    await store.record_post(post_factory(message_id=2, authority=AUTH))
    await store.mark_deleted(100, [2], T0, AUTH)

    selection = await store.snapshot(partial(select_case, case="K-1"))
    picked = [canonical.loads(r.record) for r in selection.rows]
    assert [r["type"] for r in picked] == [
        "authorization.create", "post.captured", "media.hashed", "alert.raised", "match",
        "match", "post.captured", "post.deleted",
    ]
    assert all(r.get("case") == "K-1" for r in picked)
    other = await store.snapshot(partial(select_case, case="K-2"))
    assert [canonical.loads(r.record)["type"] for r in other.rows] == [
        "authorization.create", "post.captured",
    ]


def test_ledger_types_of_audit_actions() -> None:
    """Audit actions become ledger types the ledger accepts: renamed decisions,
    an underscored area folded into its parent, others unchanged."""
    assert ledger_type("alert.confirm") == "alert.confirmed"
    assert ledger_type("authorization.revoke") == "authorization.revoked"
    assert ledger_type("auth.login") == "login"
    assert ledger_type("bank_entry.disable") == "bank.entry_disable"
    assert ledger_type("bank_entry.disable_for_media") == "bank.entry_disable_for_media"
    assert ledger_type("watch.update") == "watch.update"
    for action in ("bank_entry.disable", "request.approve", "access.refused", "case.open"):
        check_type(ledger_type(action))
