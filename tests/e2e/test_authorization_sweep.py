"""The history sweep under authorization, end to end: a deletion it finds after
a restart is recorded under the channel's authorization and case."""

# ruff: noqa: F811 - pytest fixtures imported from authz_fixtures are parameters here

from __future__ import annotations

from pathlib import Path

from access_support import World, approved_watch, authorize
from authz_fixtures import (  # noqa: F401 - fixtures
    AuthzMonitor,
    authz_monitor,
    clock,
    notes,
    settings_for,
    world,
)
from e2e_support import has_posts, poll

from storage.ledger import canonical
from storage.sqlite import SQLiteStore
from tgsim import Server


async def test_sweep_records_an_old_deletion_under_the_authorization(
    sim: Server, world: World, authz_monitor: AuthzMonitor, store: SQLiteStore,
    session_file: Path, db_path: Path,
) -> None:
    """Posts recorded under case K-SW; the monitor is stopped; an old post (far
    outside the recent window) is deleted; after the restart the sweep records
    the deletion, and its ledger record names the authorization and the case."""
    ch = await sim.create_channel("Authorized", username="authz_sweep")
    authz_id = await authorize(world, "K-SW", ["@authz_sweep"])
    await approved_watch(world, "@authz_sweep", "K-SW")
    ids = [await sim.post(ch, text=f"post {i}") for i in range(70)]
    settings = settings_for(sim, session_file, db_path, monitor={
        "reconcile_interval": "2s", "sweep_batch": 20, "sweep_interval": "0.2s"})
    app = await authz_monitor(settings)
    await poll(lambda: has_posts(store, ch.id, ids), timeout=30)
    await app.stop()
    await sim.delete(ch, [ids[2]])
    await authz_monitor(settings)

    async def recorded() -> bool:
        post = await store.get_post(ch.id, ids[2])
        return post is not None and post["deleted_at"] is not None

    await poll(recorded, timeout=60)

    rows = await store.snapshot(lambda tx: tx.ledger.rows(types=["post.deleted"]))
    records = [canonical.loads(r.record) for r in rows]
    assert [(r["message"], r["authorization"], r["case"]) for r in records] == [
        (str(ids[2]), str(authz_id), "K-SW")]
