"""``make demo``: chanwatch end to end on this machine, no account, no network.

Starts tgsim (the loopback Telegram server) with a few channels, logs a test
account in, imports a demo hash bank, watches three channels (by @name, by
t.me/name and by a private invite link) and runs the monitor on a fresh SQLite
file in a temporary directory. Then it posts: text, photos, an album, a forward,
an edit, a deletion, a post in a channel nobody watches, and a lightly edited
copy of an image in the bank. It narrates what the monitor records and ends
with the alert queue as ``chanwatch alerts list`` prints it.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from handlers.banks.parse import parse_bank
from monitor.access_control import services_from
from monitor.app import MonitorApp
from monitor.logging import configure_logging
from monitor.settings import (
    AccountSettings,
    DatabaseSettings,
    LedgerSettings,
    MonitorSettings,
    Settings,
    TelegramSettings,
)
from monitor.telegram.client import config_from_settings
from monitor.telegram.login import login
from storage.ledger.keys import ensure_signing_key
from storage.sqlite import SQLiteStore
from tgsim import Server

DATA = Path(__file__).resolve().parent / "demo_data"
API_ID = 1
API_HASH = "0123456789abcdef0123456789abcdef"  # tgsim accepts any 32 hex digits
ALERT_WITHIN = 45.0


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def picture(seed: int, size: tuple[int, int] = (800, 600)) -> bytes:
    """A JPEG of coloured blocks that depends on ``seed`` (matches no bank entry)."""
    img = Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    draw = ImageDraw.Draw(img)
    for i in range(14):
        x, y = (seed * 97 + i * 53) % size[0], (seed * 61 + i * 89) % size[1]
        draw.rectangle((x, y, x + 90 + i * 9, y + 70 + i * 6),
                       fill=((i * 40 + seed) % 256, (i * 90) % 256, (seed * 13) % 256))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def demo_settings(sim: Server, tmp: Path) -> Settings:
    return Settings(
        telegram=TelegramSettings.model_validate({
            "api_id": API_ID, "api_hash": API_HASH, "account": "demo",
            "session_file": tmp / "demo.session",
            "server": {"dc_id": sim.dc_id, "host": sim.host, "port": sim.port,
                       "rsa_public_key": sim.public_key_pem},
        }),
        database=DatabaseSettings(path=tmp / "chanwatch.db"),
        monitor=MonitorSettings.model_validate({"reconcile_interval": "5s"}),
        # Real accounts join at most every few minutes; the demo has no time for that.
        accounts=AccountSettings.model_validate({"join_min_gap": "0s"}),
        ledger=LedgerSettings.model_validate(
            {"signing_key_file": tmp / "ledger.key", "origin": "demo.chanwatch.local/ledger"}
        ),
    )


async def _login(settings: Settings, dc_id: int) -> None:
    answers = iter([str(dc_id) * 5, "Demo"])  # tgsim's login code: the dc id five times

    async def ask(prompt: str) -> str:
        answer = next(answers)
        say(f"  {prompt}{answer}")
        return answer

    async def no_password(prompt: str) -> str:
        raise RuntimeError("the demo account has no two-step password")

    phone = f"99966{dc_id}0001"
    say(f"  Phone number: +{phone}")
    result = await login(config_from_settings(settings), ask=ask, ask_secret=no_password,
                         phone=phone, allow_sign_up=True)
    say(f"  logged in as user {result.user_id}; session file mode 0600")


class Narrator:
    """Prints what the monitor commits as soon as it is in the database: joins,
    posts, edits, deletions and alerts."""

    def __init__(self, store: SQLiteStore, names: dict[int, str]) -> None:
        self.store = store
        self.names = names
        self.posts: dict[tuple[int, int], tuple[object, object]] = {}
        self.joined: set[int] = set()
        self.alerts: set[int] = set()

    async def run(self) -> None:
        while True:
            await self.once()
            await asyncio.sleep(0.2)

    async def once(self) -> None:
        for w in await self.store.list_watches():
            if w.state == "active" and w.id not in self.joined:
                self.joined.add(w.id)
                name = self.names.get(w.channel_id or 0, w.target)
                say(f"  joined    {name} (watch {w.id}, channel id {w.channel_id})")
        for post in reversed(await self.store.list_posts(limit=200)):
            self._post(post)
        for alert in await self.store.list_alerts():
            if alert.id not in self.alerts:
                self.alerts.add(alert.id)
                say(f"  ALERT     {self.names.get(alert.channel_id)} #{alert.message_id}: "
                    f"alert {alert.id} raised, {len(alert.matches)} bank match(es)")

    def _post(self, post: dict[str, Any]) -> None:
        key = (int(post["channel_id"]), int(post["message_id"]))
        where = f"{self.names.get(key[0], key[0])} #{key[1]}"
        state = (post.get("edit_date"), post.get("deleted_at"))
        before = self.posts.get(key)
        self.posts[key] = state
        text = " ".join(str(post["text"]).split())[:48]
        if before is None:
            what = "with media" if post.get("has_media") else "text"
            extra = " (forwarded)" if post.get("fwd_channel_id") else ""
            say(f"  recorded  {where:<22} {what}{extra}  {text!r}")
            # Under load a post can be recorded and edited (or deleted) between
            # two polls: narrate what is already true of it too.
            before = (None, None)
        if state[0] != before[0] and state[0] is not None:
            say(f"  edited    {where:<22} now {text!r} (previous text kept)")
        if state[1] != before[1] and state[1] is not None:
            say(f"  deleted   {where:<22} (kept, marked deleted)")


async def _wait(predicate: Any, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"the demo did not see that within {within:.0f}s")
        await asyncio.sleep(0.1)


async def run_demo(tmp: Path) -> Path:
    """The scenario; returns the database path."""
    say("== chanwatch demo: tgsim (a loopback Telegram server), no account, no network")
    sim = await Server.start(tmp / "tgsim")
    say(f"tgsim listening on {sim.host}:{sim.port} (dc {sim.dc_id})")
    settings = demo_settings(sim, tmp)
    ledger = settings.ledger  # as `chanwatch init` would: the checkpoint signing key
    await asyncio.to_thread(ensure_signing_key, ledger.signing_key_file, ledger.origin)
    try:
        say("\n== chanwatch login")
        await _login(settings, sim.dc_id)

        news = await sim.create_channel("Daily News", username="daily_news_demo")
        swap = await sim.create_channel("Photo Swap", username="photo_swap_demo")
        closed = await sim.create_channel("Closed Circle", private=True)
        cooking = await sim.create_channel("Cooking Tips", username="cooking_demo")
        names = {news.id: "@daily_news_demo", swap.id: "@photo_swap_demo",
                 closed.id: "Closed Circle", cooking.id: "@cooking_demo"}
        await sim.post(news, text="Welcome to Daily News (posted before chanwatch ran)")
        await sim.post(news, text="Yesterday's headlines: https://example.org/news")
        say("\n== channels on tgsim: @daily_news_demo, @photo_swap_demo, "
            "Closed Circle (private), @cooking_demo (not watched)")

        store = SQLiteStore(settings.database.path)
        await store.open()
        try:
            parsed = parse_bank((DATA / "demo_bank.csv").read_bytes())
            parsed.raise_for_errors()
            bank = await store.create_bank("demo-known", 31, "demo")
            count = await store.import_bank_entries(bank.name, parsed.entries, "demo",
                                                    "demo_bank.csv")
            say(f"== bank import demo-known: {count} entry (the PDQ hash of a known image)")
            targets = ("@daily_news_demo", "t.me/photo_swap_demo", f"t.me/+{closed.invite_hash}")
            await _authorize(store, settings, targets)

            say("\n== chanwatch run")
            app = MonitorApp(settings, watch_sync_every=timedelta(seconds=1))
            await app.start()
            narrator = Narrator(store, names)
            narration = asyncio.create_task(narrator.run())
            try:
                await _wait(lambda: _all_active(store), 30)
                await app.reconciler.wait_idle(20)
                await narrator.once()
                await _scenario(sim, news, swap, closed, cooking)
                await _wait(lambda: _has_alert(store), ALERT_WITHIN)
                await app.reconciler.wait_idle(20)
                await _wait(lambda: _deleted_and_edited(store, news.id), 10)
                await narrator.once()
            finally:
                narration.cancel()
                await app.stop()
            await _summary(store, names, cooking.id)
        finally:
            await store.close()
    finally:
        await sim.stop()
    return settings.database.path


async def _authorize(store: SQLiteStore, settings: Settings, targets: tuple[str, ...]) -> None:
    """The lawful frame: users, a case, a court order covering the channels, watch
    requests by an investigator approved by a supervisor."""
    svc = services_from(store, settings)
    users = svc.users
    await users.init_admin("admin", secrets.token_urlsafe(16))
    await users.add("admin", "ivan", ["investigator"], secrets.token_urlsafe(16), "demo")
    await users.add("admin", "sam", ["supervisor"], secrets.token_urlsafe(16), "demo")
    cases = svc.cases
    await cases.open("ivan", "DEMO-1", "Demo investigation", "sam")
    now = svc.clock.now()
    await cases.authorize(
        "ivan", "DEMO-1", kind="court", authority="Demo District Court",
        document="Gs 1/26 (demo)", valid_from=now, valid_until=now + timedelta(days=30),
        scope=targets,
    )
    say("== case DEMO-1 opened by ivan; court order Gs 1/26 valid 30 days for 3 channels")
    requests = svc.requests
    for target in targets:
        req = await requests.request_watch("ivan", "DEMO-1", target, "demo lead")
        decided = await requests.decide("sam", req.id, approve=True)
        say(f"== watch request {target} by ivan, approved by sam -> watch {decided.watch_id}")


async def _scenario(sim: Server, news: Any, swap: Any, closed: Any, cooking: Any) -> None:
    say("\n== posting live")
    await sim.post(news, text="Breaking: council meets at 10:00, details at https://example.org/b",
                   author="Desk")
    await sim.post(swap, photo=picture(1), text="sunset at the lake")
    await sim.post_album(swap, [picture(2), picture(3)], text="two from the weekend")
    typo = await sim.post(news, text="Weather: sunny, 30 degres")
    mistake = await sim.post(news, text="this was posted by mistake")
    source = await sim.post(news, text="Read this before Friday")
    await sim.post(closed, forward_from=(news, source))
    await sim.post(cooking, text="Nobody watches this channel: never recorded")
    edited_copy = (DATA / "bridge-high-contrast.jpg").read_bytes()
    await sim.post(swap, photo=edited_copy, text="nice bridge, right?")
    await sim.edit(news, typo, text="Weather: sunny, 30 degrees")
    await sim.delete(news, [mistake])


async def _all_active(store: SQLiteStore) -> bool:
    return all(w.state == "active" for w in await store.list_watches())


async def _has_alert(store: SQLiteStore) -> bool:
    return bool(await store.list_alerts())


async def _deleted_and_edited(store: SQLiteStore, channel_id: int) -> bool:
    posts = await store.list_posts(channel_id, limit=50)
    return any(p.get("deleted_at") for p in posts) and any(p.get("edit_date") for p in posts)


async def _summary(store: SQLiteStore, names: dict[int, str], unwatched: int) -> None:
    say("\n== what the monitor kept")
    for cid, name in names.items():
        posts = await store.list_posts(cid, limit=500)
        edited = sum(1 for p in posts if p.get("edit_date"))
        deleted = sum(1 for p in posts if p.get("deleted_at"))
        say(f"  {name:<18} {len(posts):>2} posts, {edited} edited, {deleted} deleted"
            + ("   (not watched)" if cid == unwatched else ""))
    for alert in await store.list_alerts():
        m = alert.matches[0] if alert.matches else {}
        say(f"  ALERT {alert.id}: {names.get(alert.channel_id)} #{alert.message_id}, "
            f"{m.get('hash_type')} distance {m.get('distance')} to bank "
            f"{m.get('bank')} entry {m.get('bank_entry_id', m.get('entry_id'))}, "
            f"priority {alert.priority}, due {alert.due_at:%Y-%m-%d %H:%M}Z")


async def reader_token(db: Path) -> str:
    """A personal token of the demo's supervisor: reading the queue needs a login."""
    store = SQLiteStore(db)
    await store.open()
    try:
        users = services_from(store, Settings(database={"path": db})).users
        return (await users.issue_token("sam", "demo")).token
    finally:
        await store.close()


def main() -> int:
    configure_logging("ERROR", "console")
    tmp = Path(tempfile.mkdtemp(prefix="chanwatch-demo-"))
    saved = {k: os.environ.get(k) for k in ("CHANWATCH_DATABASE__PATH", "CHANWATCH_TOKEN")}
    try:
        db = asyncio.run(run_demo(tmp))
        say("\n== chanwatch alerts list")
        os.environ["CHANWATCH_DATABASE__PATH"] = str(db)
        os.environ["CHANWATCH_TOKEN"] = asyncio.run(reader_token(db))
        from monitor.cli import main as cli_main

        return cli_main(["alerts", "list"])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
