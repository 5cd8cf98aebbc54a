"""The evidence ledger end to end: a monitor under two cases' authorizations
records posts and a photo alert through tgsim, an operator decides the alert on
the CLI, and the supervisor's export of one case verifies offline and holds that
case's captures and none of the other's."""

# ruff: noqa: F811 - pytest fixtures imported from authz_fixtures are parameters here

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from access_support import World, authorize
from authz_fixtures import (  # noqa: F401 - fixtures
    AuthzMonitor,
    authz_monitor,
    clock,
    notes,
    settings_for,
    world,
)
from e2e_support import PDQ_DIR, add_pdq_bank, has_posts, media_of, monitor_user, poll

from monitor.cli import main
from storage.ledger.keys import generate_signing_key
from storage.sqlite import SQLiteStore
from tgsim import Server

ORIGIN = "e2e.test/chanwatch"


async def cli(*argv: str) -> tuple[int, str, str]:
    """``chanwatch ARGV`` in-process (in a thread: ``main`` runs its own loop)."""
    out, err = io.StringIO(), io.StringIO()
    code = await asyncio.to_thread(main, list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_path: Path) -> Path:
    """The CLI's settings: the monitor's database and the ledger's signing key."""
    for name in list(os.environ):
        if name.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    key = tmp_path / "ledger.key"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(db_path))
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(key))
    monkeypatch.setenv("CHANWATCH_LEDGER__ORIGIN", ORIGIN)
    return key


async def approve(w: World, ref: str, target: str) -> None:
    request = await w.requests.request_watch("ivan", ref, target, "lead from the desk")
    decided = await w.requests.decide("sam", request.id, approve=True)
    assert decided.watch_id is not None


def bundle_records(path: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(path) as zf:
        lines = zf.read("records.jsonl").decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


async def test_case_export_holds_its_captures_and_verifies(
    sim: Server,
    world: World,
    authz_monitor: AuthzMonitor,
    store: SQLiteStore,
    session_file: Path,
    db_path: Path,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Posts and a matching photo in K-1's channel and a post in K-2's are recorded
    under their authorizations; otto confirms the alert; the K-1 bundle verifies
    (exit 0) with K-1's captures, media hashes, match and decision, and nothing of
    K-2; verify-db accepts the whole ledger, final checkpoint included."""
    vkey = await asyncio.to_thread(generate_signing_key, cli_env, ORIGIN)
    one = await sim.create_channel("Evidence one", username="ev_one")
    two = await sim.create_channel("Evidence two", username="ev_two")
    k1 = await authorize(world, "K-1", ["@ev_one"])
    k2 = await authorize(world, "K-2", ["@ev_two"])
    await approve(world, "K-1", "@ev_one")
    await approve(world, "K-2", "@ev_two")
    await add_pdq_bank(world.store)
    settings = settings_for(sim, session_file, db_path,
                            ledger={"signing_key_file": cli_env, "origin": ORIGIN})
    app = await authz_monitor(settings)
    me = monitor_user(sim)
    world.clock.advance(timedelta(minutes=10))  # the account's pause between two joins
    await app.sync_watches()
    assert sim.is_member(one, me) and sim.is_member(two, me)

    text_one = await sim.post(one, text="first post of case one")
    photo = (PDQ_DIR / "bridge-mods" / "high-contrast.jpg").read_bytes()
    bad = await sim.post(one, photo=photo, text="look")
    text_two = await sim.post(two, text="only for case two")

    async def alerted() -> bool:
        return any(a.message_id == bad for a in await store.list_alerts())

    await poll(alerted, 30)
    await poll(lambda: has_posts(store, one.id, [text_one, bad]))
    await poll(lambda: has_posts(store, two.id, [text_two]))
    [alert] = await store.list_alerts()
    hashed = await media_of(store, one.id, bad)
    assert hashed is not None and hashed["sha256"]

    otto = await world.users.issue_token("otto", "e2e")
    monkeypatch.setenv("CHANWATCH_TOKEN", otto.token)
    code, _, err = await cli("alerts", "confirm", str(alert.id), "--note", "bank image")
    assert code == 0, err
    await app.stop()  # signs the final checkpoint

    sam = await world.users.issue_token("sam", "e2e")
    monkeypatch.setenv("CHANWATCH_TOKEN", sam.token)
    code, out, err = await cli("evidence", "export", "--case", "K-1", "-o", "k1.zip")
    assert code == 0, err
    monkeypatch.delenv("CHANWATCH_TOKEN")
    code, out, _ = await cli("evidence", "verify", "k1.zip", "--key", vkey, "--case", "K-1")
    assert code == 0 and out.splitlines()[-1].startswith("VERIFIED: case K-1"), out

    records = bundle_records(cli_env.parent / "k1.zip")
    assert {r.get("case") for r in records} == {"K-1", None}
    assert {r["type"] for r in records if r.get("case") is None} <= {
        "watch.update", "watch.assign"}  # the watch's own changes, linked by its id
    assert str(two.id) not in {r.get("channel") for r in records}
    assert str(k2) not in {r.get("authorization") for r in records}
    [created] = [r for r in records if r["type"] == "watch.create"]
    watch = created["watch"]
    [activated] = [r for r in records if r["type"] == "request.activate"]
    assert activated["watch"] == watch and activated["case"] == "K-1"
    bound = [r for r in records if r["type"] == "watch.update" and r.get("channel")]
    assert bound and bound[-1]["watch"] == watch and bound[-1]["channel"] == str(one.id)
    assert bound[-1]["channel_title"] == "Evidence one"
    assert bound[-1]["channel_username"] == "ev_one"
    captured = {r["message"]: r for r in records if r["type"] == "post.captured"}
    assert set(captured) == {str(text_one), str(bad)}
    first = captured[str(text_one)]
    assert (first["channel"], first["authorization"]) == (str(one.id), str(k1))
    assert first["text_sha256"] == hashlib.sha256(b"first post of case one").hexdigest()
    media = [r for r in records if r["type"] in ("media.hashed", "media.seen")]
    assert {r["type"] for r in media} == {"media.hashed", "media.seen"}
    assert all(r["sha256"] == hashed["sha256"] and r["message"] == str(bad) for r in media)
    assert all(r["pdq"] == hashed["pdq"] and r["md5"] == hashed["md5"] for r in media)
    [match] = [r for r in records if r["type"] == "match"]
    assert (match["alert"], match["hash_type"]) == (str(alert.id), "pdq")
    [raised] = [r for r in records if r["type"] == "alert.raised"]
    [decided] = [r for r in records if r["type"] == "alert.confirmed"]
    assert raised["alert"] == decided["alert"] == str(alert.id)
    assert decided["actor"] == "otto" and decided["why"] == "bank image"
    types = [r["type"] for r in records]
    assert types[-1] == "export"
    assert "authorization.create" in types and "request.approve" in types
    with zipfile.ZipFile(cli_env.parent / "k1.zip") as zf:
        page = zf.read("report.html").decode()
    legal = page.split("Captures and their legal basis", 1)[1].split("</table>", 1)[0]
    assert legal.count(f"#{k1} court") == 2, legal  # both captures, beside their authorization
    assert legal.count(f"#{watch} @ev_one, active since") == 2, legal
    assert "Evidence one (@ev_one, " in legal

    monkeypatch.setenv("CHANWATCH_TOKEN", sam.token)  # reading the ledger needs a login
    code, out, _ = await cli("evidence", "verify-db")
    assert code == 0 and "LEDGER VERIFIED" in out, out
