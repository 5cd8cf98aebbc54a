"""``chanwatch sim``: a Telegram server on this machine to try chanwatch by hand.

Starts tgsim (the loopback Telegram server of the demo and the tests) on
127.0.0.1 with a few channels, writes the server's public key as a PEM file
and every setting chanwatch needs into ``DIR/chanwatch.env``, and prints them
with the login steps (tgsim's test phone number and code). Then it keeps the
server running, posting into one channel every ``--post-every`` (a new post,
an edit, a deletion in turn), until Ctrl-C or SIGTERM.

Nothing here reaches Telegram: the api_id and api_hash are arbitrary values
tgsim accepts, and the accounts exist only in ``DIR``. Channels and their
posts are made anew at each start (same ids, so watches survive a restart).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.cli.common import CliContext, SubParsers, UsageError, say
from monitor.demo import picture
from monitor.settings import parse_duration
from tgsim import ChannelHandle, Server

DATA = Path(__file__).resolve().parents[1] / "demo_data"
#: Any positive number and any 32 hex digits: tgsim checks neither.
API_ID = 1
API_HASH = "0123456789abcdef" * 2
ACCOUNT = "sim"
ORIGIN = "sim.chanwatch.invalid/ledger"
#: The private channel's invite hash (fixed, so a watch survives a restart).
INVITE = "simClosedCircle"


def register(sub: SubParsers) -> None:
    p = sub.add_parser(
        "sim",
        help="start a Telegram server on this machine and print the settings to try chanwatch",
        description=(
            "Starts tgsim, a Telegram server on 127.0.0.1 (no account, no network), with "
            "channels to watch, writes DIR/chanwatch.env (every setting, including the "
            "server's public key file) and prints it with the login steps. Runs until "
            "Ctrl-C."
        ),
    )
    p.add_argument(
        "--dir", type=Path, default=Path("chanwatch-sim"), metavar="DIR",
        help="folder for the server's state, the settings file, and (through those "
        "settings) the database, session and ledger key you then make "
        "(default: ./chanwatch-sim, mode 0700)",
    )
    p.add_argument(
        "--port", type=int, default=0,
        help="TCP port on 127.0.0.1 (default 0: any free port, printed)",
    )
    p.add_argument(
        "--post-every", default="60s", metavar="DURATION",
        help="post, edit or delete in @sim_news this often (e.g. 10s, 2m; 0: never)",
    )
    p.set_defaults(func=cmd_sim, quiet=True)


@dataclass(frozen=True, slots=True)
class World:
    news: ChannelHandle
    photos: ChannelHandle
    closed: ChannelHandle


def settings_for(sim: Server, folder: Path, key_file: Path) -> dict[str, str]:
    """Every CHANWATCH_* setting that points chanwatch at ``sim`` and keeps its
    files in ``folder``."""
    return {
        "CHANWATCH_TELEGRAM__API_ID": str(API_ID),
        "CHANWATCH_TELEGRAM__API_HASH": API_HASH,
        "CHANWATCH_TELEGRAM__SERVER__DC_ID": str(sim.dc_id),
        "CHANWATCH_TELEGRAM__SERVER__HOST": sim.host,
        "CHANWATCH_TELEGRAM__SERVER__PORT": str(sim.port),
        "CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY_FILE": str(key_file),
        "CHANWATCH_TELEGRAM__ACCOUNT": ACCOUNT,
        "CHANWATCH_TELEGRAM__SESSION_FILE": str(folder / "sim.session"),
        "CHANWATCH_DATABASE__PATH": str(folder / "chanwatch.db"),
        "CHANWATCH_LEDGER__SIGNING_KEY_FILE": str(folder / "ledger.key"),
        "CHANWATCH_LEDGER__ORIGIN": ORIGIN,
        # A real account joins every few minutes at most; here nobody is watching.
        "CHANWATCH_ACCOUNTS__JOIN_MIN_GAP": "0s",
    }


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (atomically)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


async def build_world(sim: Server) -> World:
    """The channels and their history (the same ids at every start)."""
    news = await sim.create_channel("Sim News", username="sim_news")
    photos = await sim.create_channel("Sim Photos", username="sim_photos")
    closed = await sim.create_channel("Closed Circle", private=True, invite_hash=INVITE)
    start = datetime.now(UTC) - timedelta(hours=3)
    await sim.post(news, text="Welcome to Sim News", date=start)
    await sim.post(news, text="Today's links: https://example.org/today and @sim_photos",
                   date=start + timedelta(minutes=5))
    await sim.post(photos, photo=picture(7), text="a harmless picture",
                   date=start + timedelta(minutes=10))
    await sim.post(photos, photo=(DATA / "bridge-high-contrast.jpg").read_bytes(),
                   text="nice bridge, right?", date=start + timedelta(minutes=20))
    await sim.post(closed, text="members only", date=start + timedelta(minutes=30))
    await sim.post(closed, forward_from=(news, 1), date=start + timedelta(minutes=40))
    return World(news, photos, closed)


async def keep_posting(sim: Server, channel: ChannelHandle, every: float) -> None:
    """Post, then edit that post, then delete it, one step every ``every`` seconds."""
    n = 0
    while True:
        await asyncio.sleep(every)
        n += 1
        msg_id = await sim.post(channel, text=f"Live post {n}: https://example.org/live/{n}")
        await asyncio.sleep(every)
        await sim.edit(channel, msg_id, text=f"Live post {n} (edited)")
        if n % 2 == 0:
            await asyncio.sleep(every)
            await sim.delete(channel, [msg_id])


def instructions(env: dict[str, str], env_file: Path, sim: Server, every: str) -> list[str]:
    phone = f"+99966{sim.dc_id}0001"
    bank = DATA / "demo_bank.csv"
    return [
        f"tgsim, a Telegram server for trying chanwatch, listens on {sim.host}:{sim.port} "
        f"(dc {sim.dc_id}).",
        "",
        f"Settings (also in {env_file}; the server's public key is "
        f"{env['CHANWATCH_TELEGRAM__SERVER__RSA_PUBLIC_KEY_FILE']}):",
        *(f"  export {key}={shlex.quote(value)}" for key, value in env.items()),
        "",
        "In another terminal:",
        f"  source {shlex.quote(str(env_file))}",
        "  chanwatch init admin --token         # asks the admin's password; prints a token",
        "  export CHANWATCH_TOKEN=<that token>",
        f"  chanwatch login --phone {phone} --sign-up",
        f"                                      # login code: {str(sim.dc_id) * 5}, any name",
        "",
        "Channels to watch:",
        "  @sim_news              text posts with links; "
        + (f"posts, edits and deletes every {every}" if every else "no live posts"),
        "  @sim_photos            photos, one a near copy of the demo bank's picture",
        f"  t.me/+{INVITE} a private channel (invite link), with a forward from @sim_news",
        f"Demo hash bank: chanwatch bank import demo {bank}",
        "",
        "Stop with Ctrl-C.",
    ]


async def cmd_sim(args: argparse.Namespace, ctx: CliContext) -> int:
    every = parse_duration(args.post_every)
    if not isinstance(every, timedelta) or every.total_seconds() < 0:
        raise UsageError(f"--post-every: not a duration: {args.post_every!r} (e.g. 30s, 2m, 0)")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: {args.port} is not a TCP port (0..65535)")
    folder = args.dir.resolve()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--dir: cannot create {folder}: {exc.strerror}") from None
    try:
        sim = await Server.start(folder / "tgsim", host="127.0.0.1", port=args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    poster: asyncio.Task[None] | None = None
    try:
        world = await build_world(sim)
        key_file = folder / "server-public-key.pem"
        await asyncio.to_thread(_write_private, key_file, sim.public_key_pem)
        env = settings_for(sim, folder, key_file)
        env_file = folder / "chanwatch.env"
        lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
        await asyncio.to_thread(_write_private, env_file, "\n".join(lines) + "\n")
        seconds = every.total_seconds()
        for line in instructions(env, env_file, sim, args.post_every if seconds else ""):
            say(ctx, line)
        ctx.stdout.flush()
        if seconds:
            poster = asyncio.create_task(keep_posting(sim, world.news, seconds))
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        if poster is not None:
            poster.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poster
        await sim.stop()
    say(ctx, "tgsim stopped")
    return 0
