"""``chanwatch run``: the monitor service, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse

from monitor.app import MonitorApp, NotLoggedIn
from monitor.cli.common import CliContext, CliError, SubParsers
from monitor.metrics import serve_metrics
from monitor.telegram.client import SessionError
from monitor.telegram.layer import LayerMismatchError


def register(sub: SubParsers) -> None:
    run = sub.add_parser(
        "run",
        help="run the monitor: join watched channels, record posts, hash, match, alert",
        description=(
            "Connects with the logged-in session (see `chanwatch login`), keeps the "
            "channels joined as the watch table says, records every post of the "
            "watched channels and raises alerts. Stops cleanly on SIGTERM or Ctrl-C."
        ),
    )
    run.set_defaults(func=cmd_run)


async def cmd_run(args: argparse.Namespace, ctx: CliContext) -> int:
    del args
    app = MonitorApp(ctx.settings)
    web = ctx.settings.web
    metrics = (serve_metrics(app.store, web.monitor_metrics_host, web.monitor_metrics_port)
               if web.monitor_metrics_port else None)
    try:
        await app.run()
    except (SessionError, NotLoggedIn, LayerMismatchError) as exc:
        raise CliError(str(exc)) from None
    except ConnectionError as exc:
        server = ctx.settings.telegram.server
        where = f"{server.host}:{server.port}" if server else "Telegram"
        raise CliError(f"cannot connect to {where}: {exc}") from None
    finally:
        if metrics is not None:
            metrics.cancel()
    return 0
