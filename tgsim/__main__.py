"""Command line: ``python -m tgsim --port 0 --state-dir DIR --info-file PATH [--scenario FILE]
[--get-messages MODE] [--message-ids MODE] [--id-stride N] [--layer N]``.

Once listening it writes PATH as JSON ``{"host", "port", "dc_id", "public_key",
"channels"}`` (channels of the scenario by key: id, username, invite_hash) and
runs until SIGTERM or Ctrl-C, then stops cleanly. The quirk options (see
:mod:`tgsim.quirks`) override the scenario's ``[quirks]`` table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
from pathlib import Path

import structlog

from tgsim.quirks import GET_MESSAGES_MODES, MESSAGE_IDS_MODES, Quirks
from tgsim.scenario import Runner, ScenarioError, load
from tgsim.server import Server

log = structlog.get_logger(__name__)


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tgsim", description="A loopback Telegram server for Telethon."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: chosen by the OS)")
    parser.add_argument("--dc-id", type=int, default=2, help="the data centre id (1..9)")
    parser.add_argument("--state-dir", type=Path, required=True, help="RSA key, accounts")
    parser.add_argument("--info-file", type=Path, required=True, help="JSON written when ready")
    parser.add_argument("--scenario", type=Path, help="scenario file (.toml or .json)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    quirks = parser.add_argument_group("quirks", "behave like another server implementation")
    quirks.add_argument("--get-messages", choices=GET_MESSAGES_MODES,
                        help="getMessages answers: in_order (Telegram) or sorted_sparse")
    quirks.add_argument("--message-ids", choices=MESSAGE_IDS_MODES,
                        help="message id counters: per_channel (Telegram) or shared")
    quirks.add_argument("--id-stride", type=int, metavar="N",
                        help="each new message id is N above the previous one (1: no gaps)")
    quirks.add_argument("--layer", type=int, metavar="N",
                        help="serve TL layer N: clients of a newer layer cannot read answers")
    return parser.parse_args(argv)


def _quirks(args: argparse.Namespace, base: Quirks | None) -> Quirks:
    """The scenario's quirks with the command line's on top; ValueError names the option."""
    quirks = base if base is not None else Quirks()
    for option in ("get_messages", "message_ids", "id_stride", "layer"):
        value = getattr(args, option)
        if value is not None:
            try:
                setattr(quirks, option, value)
            except ValueError as exc:
                raise ValueError(f"--{option.replace('_', '-')}: {exc}") from None
    return quirks


def _configure_logging(level: str) -> None:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def _write_info(path: Path, info: dict[str, object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=1), "utf-8")
    os.replace(tmp, path)


async def _main(args: argparse.Namespace) -> int:
    scenario = await asyncio.to_thread(load, args.scenario) if args.scenario else None
    quirks = _quirks(args, scenario.quirks if scenario is not None else None)
    sim = await Server.start(
        args.state_dir, host=args.host, port=args.port, dc_id=args.dc_id, quirks=quirks
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    player: asyncio.Task[None] | None = None
    try:
        channels: dict[str, object] = {}
        if scenario is not None:
            runner = Runner(sim, scenario)
            for key, ch in (await runner.create_channels()).items():
                channels[key] = {
                    "id": ch.id,
                    "username": ch.username,
                    "invite_hash": ch.invite_hash,
                }
            player = asyncio.create_task(runner.play())
        info = {
            "host": sim.host,
            "port": sim.port,
            "dc_id": sim.dc_id,
            "public_key": sim.public_key_pem,
            "channels": channels,
            "quirks": dataclasses.asdict(sim.quirks),
        }
        await asyncio.to_thread(_write_info, args.info_file, info)
        log.info("ready", info_file=str(args.info_file))
        await stop.wait()
        log.info("stopping")
    finally:
        if player is not None:
            player.cancel()
        await sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _args(argv)
    _configure_logging(args.log_level)
    try:
        return asyncio.run(_main(args))
    except (ScenarioError, ValueError, OSError) as exc:
        sys.stderr.write(f"tgsim: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
