"""``make demo-web``: ``make demo``'s scenario, then the hotline console on its
data at http://127.0.0.1:8080/ until Ctrl-C, with a login for each role.

The demo's users get fresh random passwords, printed once; an operator
``olga`` is added. The database and keys live in a temporary directory that is
removed on exit. ``make demo`` itself is unchanged and ends by itself.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from pathlib import Path

from hotline.console.app import build_app
from monitor.cli.web import server
from monitor.console_wiring import console_config, console_services
from monitor.demo import run_demo, say
from monitor.logging import configure_logging
from monitor.settings import DatabaseSettings, LedgerSettings, Settings, WebSettings
from storage.sqlite import SQLiteStore

HOST, PORT = "127.0.0.1", 8080


async def serve(tmp: Path) -> None:
    db = await run_demo(tmp)
    settings = Settings(
        database=DatabaseSettings(path=db),
        ledger=LedgerSettings(signing_key_file=tmp / "ledger.key",
                              origin="demo.chanwatch.local/ledger"),
        web=WebSettings(host=HOST, port=PORT, cookie_secure=False, export_dir=tmp / "exports"),
    )
    store = SQLiteStore(db)
    await store.open()
    try:
        services = console_services(store, settings)
        users = services.users
        logins = {}
        for name in ("admin", "ivan", "sam"):
            logins[name] = secrets.token_urlsafe(12)
            await users.set_password("admin", name, logins[name])
        logins["olga"] = secrets.token_urlsafe(12)
        await users.add("admin", "olga", ["operator"], logins["olga"], "demo console")
        app = build_app(services, console_config(settings))
        say(f"\n== chanwatch console: http://{HOST}:{PORT}/  (Ctrl-C stops it)")
        for name, role in (("olga", "operator"), ("sam", "supervisor"),
                           ("ivan", "investigator"), ("admin", "admin")):
            say(f"   {role:<12} {name:<6} password {logins[name]}")
        await server(app, HOST, PORT, HOST).serve()
    finally:
        await store.close()


def main() -> int:
    configure_logging("ERROR", "console")
    tmp = Path(tempfile.mkdtemp(prefix="chanwatch-demo-web-"))
    try:
        asyncio.run(serve(tmp))
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
