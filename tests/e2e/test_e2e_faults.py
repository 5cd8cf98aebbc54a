"""FloodWait, dropped connections and expired file references lose no post."""

from __future__ import annotations

from access_support import lawful_watch
from e2e_support import MonitorFactory, drawing, has_posts, media_of, poll, stored_ids
from structlog.testing import capture_logs

from storage.sqlite import SQLiteStore
from tgsim import Server


async def test_flood_wait_does_not_stall_the_monitor(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """A FloodWait on history (Telegram applies it to the whole account, and so does
    Telethon) is logged with its length and waited out by the channel workers alone:
    live posts and photos of every channel keep being recorded meanwhile, and the
    cursors catch up after the wait."""
    a = await sim.create_channel("A", username="chan_a")
    b = await sim.create_channel("B", username="chan_b")
    await lawful_watch(store, "@chan_a")
    await lawful_watch(store, "@chan_b")
    app = await start_monitor()
    await app.reconciler.wait_idle(10)

    sim.faults.add(request="GetHistoryRequest", error="FLOOD_WAIT_4", times=1)
    with capture_logs() as logs:
        app.reconciler.request_all()

        async def flooded() -> bool:
            return any(e["event"] == "flood_wait" for e in logs)

        await poll(flooded)
        a_ids = [await sim.post(a, text=f"a{i}") for i in range(5)]
        b_ids = [await sim.post(b, text=f"b{i}") for i in range(5)]
        pic = await sim.post(b, photo=drawing(4))
        # Recorded live while history requests wait.
        await poll(lambda: has_posts(store, a.id, a_ids))
        await poll(lambda: has_posts(store, b.id, [*b_ids, pic]))

        async def caught_up() -> bool:
            return (await store.get_cursor(a.id) == a_ids[-1]
                    and await store.get_cursor(b.id) == pic)

        await poll(caught_up)
    waits = [e for e in logs if e["event"] == "flood_wait"]
    assert waits and all(e["seconds"] == 4 and e["request"] == "history" for e in waits)
    m = await media_of(store, b.id, pic)
    assert m is not None and m["status"] == "hashed"
    assert await stored_ids(store, a.id) == a_ids


async def test_dropped_connections_lose_nothing(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """The server drops the connection during live posting and in the middle of a
    photo download: every post is recorded and the photo is hashed."""
    ch = await sim.create_channel("Shaky", username="shaky")
    await lawful_watch(store, "@shaky")
    await start_monitor()
    first = await sim.post(ch, text="hello")
    await poll(lambda: has_posts(store, ch.id, [first]))

    with capture_logs() as logs:
        sim.faults.add(request="*", error="drop", times=2)
        burst = [await sim.post(ch, text=f"burst {i}") for i in range(30)]
        sim.faults.add(request="*", error="drop_mid_download", times=1)
        big = drawing(5, size=(1280, 1280))
        photo = await sim.post(ch, photo=big)
        await poll(lambda: has_posts(store, ch.id, [*burst, photo]), timeout=40)
    # After each reconnection the channels are reconciled with their history.
    assert any(e["event"] == "reconcile_requested" and e["why"] == "reconnect" for e in logs)

    async def hashed() -> bool:
        m = await media_of(store, ch.id, photo)
        return m is not None and m["status"] == "hashed"

    await poll(hashed, timeout=40)
    assert await stored_ids(store, ch.id) == [first, *burst, photo]


async def test_expired_file_reference_is_refreshed(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """FILE_REFERENCE_EXPIRED on the download: the message is fetched again and the
    photo is still hashed."""
    ch = await sim.create_channel("Refs", username="refs_chan")
    await lawful_watch(store, "@refs_chan")
    await start_monitor()
    sim.faults.add(request="GetFileRequest", error="FILE_REFERENCE_EXPIRED", times=1)
    with capture_logs() as logs:
        photo = await sim.post(ch, photo=drawing(7))

        async def hashed() -> bool:
            m = await media_of(store, ch.id, photo)
            return m is not None and m["status"] == "hashed"

        await poll(hashed)
    assert len(sim.faults) == 0
    assert any(e["event"] == "file_reference_expired" for e in logs)


async def test_failed_download_is_retried_before_the_cursor_passes(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """A download that fails even after refreshing the file reference leaves the
    post stored with a failed media row; the post is processed again and the photo
    is hashed before the channel's cursor passes it."""
    ch = await sim.create_channel("Flaky files", username="flaky_files")
    await lawful_watch(store, "@flaky_files")
    app = await start_monitor()
    await app.reconciler.wait_idle(10)
    sim.faults.add(request="GetFileRequest", error="FILE_REFERENCE_EXPIRED", times=2)
    with capture_logs() as logs:
        photo = await sim.post(ch, photo=drawing(11))

        async def hashed_and_passed() -> bool:
            m = await media_of(store, ch.id, photo)
            return (m is not None and m["status"] == "hashed"
                    and await store.get_cursor(ch.id) == photo)

        await poll(hashed_and_passed)
    assert [e["handler"] for e in logs if e["event"] == "handler_failed"] == ["media"]
    assert await stored_ids(store, ch.id) == [photo]
