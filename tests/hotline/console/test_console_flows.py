"""Supervisors, investigators and admins through the console: approve a watch
request (never one's own), revoke, export a case's bundle and download it,
the ledger status; open a case, authorize, request; users, accounts, banks and
an import with the CLI's line-numbered errors; headers, metrics and health."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

from console_support import Env, lawful_case, sign_in


async def wait_job(api: Any, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job = (await api.get(f"/api/v1/jobs/{job_id}")).json()
        if job["done"]:
            return dict(job)
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


async def test_investigator_and_supervisor_from_case_to_export(env: Env) -> None:
    async with env.api("ivan") as ivan, env.api("sam") as sam, env.api("sue") as sue:
        r = await ivan.post("/api/v1/cases", json={"reference": "K-7", "title": "Market",
                                                    "supervisor": "sam"})
        assert r.status_code == 201, r.text
        r = await ivan.post("/api/v1/cases/K-7/authorizations", json={
            "kind": "court", "authority": "AG Berlin", "document": "Gs 7/26",
            "valid_until": (env.clock() + __import__("datetime").timedelta(days=30)).isoformat(),
            "scope": ["@market_channel"]})
        assert r.status_code == 201 and r.json()["status"] == "valid", r.text
        r = await ivan.post("/api/v1/cases/K-7/requests",
                            json={"target": "@market_channel", "reason": "offers material"})
        request_id = r.json()["id"]
        mine = (await ivan.get("/api/v1/requests", params={"mine": "true"})).json()
        assert [q["state"] for q in mine] == ["requested"]
        # sam supervises; sue (supervisor) approves; nobody approves their own
        r = await sue.post(f"/api/v1/requests/{request_id}/approve", json={"note": "ok"})
        assert r.status_code == 200 and r.json()["state"] == "approved"
        assert r.json()["watch_state"] == "approved"
        r = await sam.post(f"/api/v1/requests/{request_id}/refuse", json={"note": "late"})
        assert r.status_code == 422 and "already approved" in r.json()["detail"]
        # export the case: a job, then the bundle
        r = await sam.post("/api/v1/cases/K-7/export")
        assert r.status_code == 202
        job = await wait_job(sam, r.json()["id"])
        assert job["ok"], job
        assert job["result"]["records"] >= 3 and job["bytes_written"] > 0
        bundle = await sam.get(f"/api/v1/jobs/{job['id']}/bundle")
        assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert "records.jsonl" in names and "checkpoint.txt" in names
        assert (await sue.get(f"/api/v1/jobs/{job['id']}")).status_code == 404  # not hers
        ledger = (await sam.get("/api/v1/ledger")).json()
        assert ledger["size"] > 0 and ledger["signed_size"] > 0
        assert ledger["unsigned_records"] == ledger["size"] - ledger["signed_size"]
        authz = (await sam.get("/api/v1/cases/K-7")).json()["authorizations"][0]
        r = await sam.post(f"/api/v1/authorizations/{authz['id']}/revoke",
                           json={"reason": "order lifted"})
        assert r.status_code == 200 and r.json()["status"] == "revoked"


async def test_self_approval_is_refused_in_the_page(env: Env) -> None:
    await env.services.users.add("root", "vic", ["investigator", "supervisor"],
                                 "correct horse battery staple", "test")
    await env.services.cases.open("vic", "K-8", "Own", "sam")
    now = env.clock()
    await env.services.cases.authorize(
        "vic", "K-8", kind="court", authority="AG", document="Gs 8", valid_from=now,
        valid_until=now + __import__("datetime").timedelta(days=10), scope=["@own_channel"])
    req = await env.services.requests.request_watch("vic", "K-8", "@own_channel", "r")
    b = await sign_in(env, "vic")
    page = await b.http.get("/supervisor")
    assert "your own request" in page.text
    r = await b.post(f"/requests/{req.id}/approve", {"note": "mine"})
    assert r.status_code == 422 and "self-approval refused" in r.text
    assert (await env.services.requests.list())[0].state == "requested"


async def test_supervisor_page_approves_and_exports(env: Env) -> None:
    request_id = await lawful_case(env)
    b = await sign_in(env, "sue")
    page = await b.http.get("/supervisor")
    assert page.status_code == 200 and "K-1" in page.text and "Evidence ledger" in page.text
    r = await b.post(f"/requests/{request_id}/approve", {"note": "checked"})
    assert r.status_code == 303
    r = await b.post("/cases/K-1/export", {})
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    await env.app.state.console.jobs.wait()
    job = await b.http.get(r.headers["location"])
    assert "Download the bundle" in job.text
    bundle = await b.http.get(r.headers["location"] + "/bundle")
    assert bundle.status_code == 200 and bundle.content[:2] == b"PK"


async def test_admin_users_accounts_banks_and_import_errors(env: Env) -> None:
    async with env.api("root") as root:
        r = await root.post("/api/v1/users", json={
            "username": "nina", "roles": ["operator"], "password": "a long enough password"})
        assert r.status_code == 201 and r.json()["roles"] == ["operator"]
        assert any(u["username"] == "nina" for u in (await root.get("/api/v1/users")).json())
        assert (await root.get("/api/v1/accounts")).json() == []
        bad = "hash_type,hash_value\nmd5,5d41402abc4b2a76b9719d911017c592\nmd5,nothex\n"
        r = await root.post("/api/v1/banks/hotline-list/import", json={"content": bad})
        job = await wait_job(root, r.json()["id"])
        assert not job["ok"] and "nothing was imported" in job["error"]
        assert job["result"]["errors"][0].startswith("line 3")
        assert (await root.get("/api/v1/banks")).json() == []
        r = await root.post("/api/v1/banks/hotline-list/import",
                            json={"content": bad, "skip_invalid": True, "threshold": 20})
        job = await wait_job(root, r.json()["id"])
        assert job["ok"] and job["result"]["added"] == 1 and job["result"]["invalid_lines"] == 1
        banks = (await root.get("/api/v1/banks")).json()
        assert banks[0]["name"] == "hotline-list" and banks[0]["threshold"] == 20
    b = await sign_in(env, "root")
    page = await b.http.get("/admin")
    assert "hotline-list" in page.text and "nina" in page.text
    r = await b.post("/admin/banks/import", {"bank": "second", "format": "auto"},
                     files={"file": ("b.csv", b"hash_type,hash_value\nsha256,zz\n")})
    assert r.status_code == 303
    await env.app.state.console.jobs.wait()
    job = await b.http.get(r.headers["location"])
    assert "line 2" in job.text and "nothing was imported" in job.text


async def test_headers_metrics_and_health(env: Env) -> None:
    async with env.client() as http:
        page = await http.get("/login")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and " style=" not in page.text
        static = await http.get("/static/console.js")
        assert static.status_code == 200 and "no-store" not in static.headers["cache-control"]
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        assert (await http.get("/readyz")).json()["status"] == "ready"
        metrics = (await http.get("/metrics")).text
        for name in ("chanwatch_posts_recorded_total", 'chanwatch_alerts{state="open"}',
                     "chanwatch_alerts_overdue", "chanwatch_ledger_records",
                     "chanwatch_ledger_unsigned_records", "chanwatch_web_requests_total"):
            assert name in metrics, name
