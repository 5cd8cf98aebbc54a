"""``chanwatch web``: the hotline console (:mod:`hotline.console`) on
``web.host:web.port``, served by uvicorn until SIGTERM or Ctrl-C.

Run it behind a reverse proxy that terminates TLS (README: "The web
console"); ``web.forwarded_allow_ips`` names the proxy whose X-Forwarded-*
headers are believed.
"""

from __future__ import annotations

import argparse

import structlog
import uvicorn
from fastapi import FastAPI

from hotline.console.app import build_app
from monitor.cli.common import CliContext, SubParsers, open_store, say
from monitor.console_wiring import console_config, console_services

log = structlog.get_logger(__name__)
#: Seconds open connections (live queues) get to finish when stopping.
GRACEFUL = 3


def register(sub: SubParsers) -> None:
    web = sub.add_parser(
        "web",
        help="run the hotline console (web pages, JSON API, /metrics)",
        description="Serves the console on web.host:web.port until SIGTERM or Ctrl-C. "
        "Put a reverse proxy with TLS in front of it.",
    )
    web.add_argument("--host", help="listen address (default: web.host)")
    web.add_argument("--port", type=int, help="listen port (default: web.port)")
    web.set_defaults(func=cmd_web)


def server(app: FastAPI, host: str, port: int, forwarded: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded,
        log_config=None, access_log=False, timeout_graceful_shutdown=GRACEFUL,
        server_header=False,
    )
    return uvicorn.Server(config)


async def cmd_web(args: argparse.Namespace, ctx: CliContext) -> int:
    web = ctx.settings.web
    host = args.host or web.host
    port = args.port if args.port is not None else web.port
    async with open_store(ctx) as store:
        app = build_app(console_services(store, ctx.settings), console_config(ctx.settings))
        say(ctx, f"chanwatch console on http://{host}:{port}/ (Ctrl-C stops it)")
        log.info("web_started", host=host, port=port, cookie_secure=web.cookie_secure)
        await server(app, host, port, web.forwarded_allow_ips).serve()
    return 0
