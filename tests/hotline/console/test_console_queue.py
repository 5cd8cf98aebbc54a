"""The operators' queue through the API and the pages: urgency order, filters,
keyset pages, decisions with the queue's rules, the race for a claim, and the
same audit and ledger records as the CLI's."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from console_support import Env, sign_in
from hotline_support import make_alert


async def test_urgency_order_filters_and_pages(env: Env) -> None:
    late = await make_alert(env.store, 1, priority=3, due_in=timedelta(hours=-1))
    p1 = await make_alert(env.store, 2, priority=1, due_in=timedelta(hours=5))
    p2_soon = await make_alert(env.store, 3, priority=2, due_in=timedelta(hours=1))
    p2_later = await make_alert(env.store, 4, priority=2, due_in=timedelta(hours=20))
    async with env.api("olga") as api:
        r = await api.get("/api/v1/queue")
        items = r.json()["items"]
        assert [i["id"] for i in items] == [p1.id, p2_soon.id, p2_later.id, late.id]
        assert items[3]["overdue"] and items[3]["time_left"] == "OVERDUE"
        assert items[3]["urgency"] == "overdue" and items[1]["urgency"] == "urgent"
        assert items[0]["banks"] == ["ncmec"] and items[0]["channel"] == "@bad"
        r = await api.get("/api/v1/queue", params={"overdue": "true"})
        assert [i["id"] for i in r.json()["items"]] == [late.id]
        # keyset pages of 2
        r = await api.get("/api/v1/queue", params={"limit": 2})
        page1 = r.json()
        assert page1["total"] == 4 and len(page1["items"]) == 2 and page1["next"]
        r = await api.get("/api/v1/queue", params={"limit": 2, "after": page1["next"]})
        page2 = r.json()
        assert [i["id"] for i in page1["items"] + page2["items"]] == [
            p1.id, p2_soon.id, p2_later.id, late.id]
        assert page2["next"] is None
        for params in ({"bank": "ncmec"}, {"channel": 777}):
            assert (await api.get("/api/v1/queue", params=params)).json()["total"] == 4
        for params in ({"bank": "other"}, {"channel": 1}, {"case": "K-1"}, {"state": "claimed"}):
            assert (await api.get("/api/v1/queue", params=params)).json()["total"] == 0
    b = await sign_in(env, "olga")
    page = await b.http.get("/queue?overdue=1")
    assert page.status_code == 200 and f"#{late.id}" in page.text and f"#{p1.id}<" not in page.text
    assert 'class="u-overdue"' in page.text and "OVERDUE" in page.text


async def test_work_an_alert_from_open_to_confirmed(env: Env) -> None:
    alert = await make_alert(env.store, 1)
    b = await sign_in(env, "olga")
    assert (await b.post(f"/alerts/{alert.id}/claim", {})).status_code == 303
    r = await b.post(f"/alerts/{alert.id}/confirm", {"note": "matches the bank entry"})
    assert r.status_code == 303
    done = await env.store.get_alert(alert.id)
    assert done is not None and done.state == "confirmed" and done.decided_by == "olga"
    actions = [row.action for row in await env.store.list_audit(subject=f"alert:{alert.id}")]
    assert actions[:2] == ["alert.confirm", "alert.claim"]
    ledger = await env.store.snapshot(lambda tx: tx.ledger.rows(
        types=["alert.claimed", "alert.confirmed"]))
    assert [r.type for r in ledger] == ["alert.claimed", "alert.confirmed"]
    assert all(r.actor == "olga" for r in ledger)
    confirmed = await env.store.get_bank("confirmed")  # the decision taught the banks
    assert confirmed is not None and confirmed.entries >= 1


async def test_only_the_claimer_or_a_supervisor_decides(env: Env) -> None:
    alert = await make_alert(env.store, 1)
    async with env.api("olga") as olga, env.api("otto") as otto, env.api("sue") as sue:
        assert (await olga.post(f"/api/v1/alerts/{alert.id}/claim")).status_code == 200
        r = await otto.post(f"/api/v1/alerts/{alert.id}/dismiss", json={"note": "fp"})
        assert r.status_code == 403 and "claimed by olga" in r.json()["detail"]
        r = await sue.post(f"/api/v1/alerts/{alert.id}/dismiss", json={"note": "overruled"})
        assert r.status_code == 200 and r.json()["state"] == "dismissed"
        r = await olga.post(f"/api/v1/alerts/{alert.id}/confirm", json={"note": "late"})
        assert r.status_code == 409 and "dismissed" in r.json()["detail"]


async def test_two_operators_claim_at_once_exactly_one_wins(env: Env) -> None:
    for n in range(1, 6):
        alert = await make_alert(env.store, n)
        async with env.api("olga") as olga, env.api("otto") as otto:
            a, b = await asyncio.gather(
                olga.post(f"/api/v1/alerts/{alert.id}/claim"),
                otto.post(f"/api/v1/alerts/{alert.id}/claim"),
            )
        statuses = sorted([a.status_code, b.status_code])
        assert statuses == [200, 409], (a.text, b.text)
        loser = a if a.status_code == 409 else b
        assert "claimed" in loser.json()["detail"]
        claims = [r for r in await env.store.list_audit(subject=f"alert:{alert.id}")
                  if r.action == "alert.claim"]
        assert len(claims) == 1


async def test_alert_page_text_behind_a_click_audited_never_an_image(env: Env) -> None:
    alert = await make_alert(env.store, 1)
    b = await sign_in(env, "olga")
    page = await b.http.get(f"/alerts/{alert.id}")
    assert page.status_code == 200
    assert "secret post text" not in page.text and 'id="show-text"' in page.text
    assert "<img" not in page.text and "ncmec" in page.text and "Spread of medium" in page.text
    assert "<svg" in page.text  # the small timeline
    assert not await env.audit("alert.text_view")
    shown = await b.post(f"/alerts/{alert.id}/text", {})
    assert shown.status_code == 200 and "secret post text" in shown.text
    views = await env.audit("alert.text_view")
    assert len(views) == 1 and views[0].actor == "olga"
    ledger = await env.store.snapshot(lambda tx: tx.ledger.rows(types=["alert.text_view"]))
    assert len(ledger) == 1 and b"text_sha256" in ledger[0].record
    async with env.api("sue") as api:
        r = await api.get(f"/api/v1/alerts/{alert.id}")
        assert "secret post text" not in r.text and r.json()["match_list"][0]["bank"] == "ncmec"
        assert (await api.get(f"/api/v1/alerts/{alert.id}/text")).json()["text"] == (
            "secret post text")
    assert len(await env.audit("alert.text_view")) == 2


def test_no_route_serves_media_bytes(env: Env) -> None:
    """No route's path names media bytes: the only media route is the spread (JSON)."""
    schema = env.app.openapi()
    media_paths = [p for p in schema["paths"] if "media" in p]
    assert media_paths == ["/api/v1/media/{media_id}/spread"]
    for path in schema["paths"].values():
        for op in path.values():
            for answer in op.get("responses", {}).values():
                assert not any(t.startswith(("image/", "video/"))
                               for t in answer.get("content", {}))
