"""The hotline console's queue with 100,000 alerts in the database: the queue API
(``GET /api/v1/queue``, 50 per page, most urgent first), the queue page
(``GET /queue``) and, as the ceiling, a static file served by the same server
(``/static/console.css``). 16 concurrent clients on loopback (an asyncio HTTP/1.1
keep-alive client in this process; the server, uvicorn, in another), p50/p99
latency and requests per second. Target: queue API p99 < 100 ms.

    python benchmarks/console_queue.py [--alerts 100000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import cpu_model  # noqa: E402

PASSWORD = "benchmark password 1"


async def prepare(db: Path, alerts: int) -> str:
    from access.credentials import fast_hasher
    from monitor.console_wiring import console_services
    from monitor.settings import DatabaseSettings, Settings
    from storage.codec import utc_now
    from storage.sqlite import SQLiteStore
    from storage.sqlite.bench_seed import seed_alerts

    store = SQLiteStore(db)
    await store.open()
    try:
        now = utc_now()
        await store.write(lambda conn: seed_alerts(conn, alerts, now))
        services = console_services(store, Settings(database=DatabaseSettings(path=db)),
                                    hasher=fast_hasher())
        await services.users.init_admin("root", PASSWORD)
        await services.users.add("root", "olga", ["operator"], PASSWORD, "bench")
        return (await services.users.issue_token("olga", "bench")).token
    finally:
        await store.close()


SERVE = """
import asyncio, sys
sys.path.insert(0, {root!r})
from monitor.cli.web import server
from monitor.console_wiring import console_config, console_services
from monitor.settings import DatabaseSettings, Settings, WebSettings
from storage.sqlite import SQLiteStore
from hotline.console.app import build_app
from monitor.logging import configure_logging

async def main():
    configure_logging("ERROR", "json")
    settings = Settings(database=DatabaseSettings(path={db!r}),
                        web=WebSettings(cookie_secure=False))
    store = SQLiteStore({db!r}); await store.open()
    app = build_app(console_services(store, settings), console_config(settings))
    await server(app, "127.0.0.1", {port}, "127.0.0.1").serve()
asyncio.run(main())
"""


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  path: str, headers: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{headers}\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    await reader.readexactly(length)
    return status


async def load(port: int, path: str, headers: str, total: int, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    per_client = total // clients

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(per_client):
                t = time.perf_counter()
                status = await request(reader, writer, path, headers)
                latencies.append(time.perf_counter() - t)
                assert status == 200, (path, status)
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))  # warm-up round
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "rps": len(latencies) / elapsed}


async def session_cookie(port: int) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        page = await http.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        await http.post("/login", data={"username": "olga", "password": PASSWORD,
                                        "login_csrf": token})
        return f"chanwatch_session={http.cookies['chanwatch_session']}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        token = await prepare(db, args.alerts)
        print(f"seeded {args.alerts:,} alerts in {time.perf_counter() - t:.1f} s")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        code = SERVE.format(root=str(ROOT), db=str(db), port=port)
        proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})  # noqa: ASYNC220
        try:
            for _ in range(200):
                try:
                    await asyncio.open_connection("127.0.0.1", port)
                    break
                except OSError:
                    await asyncio.sleep(0.05)
            cookie = await session_cookie(port)
            print(f"machine: {cpu_model()}, {os.cpu_count()} cores; {args.clients} clients, "
                  f"{args.requests} requests each run")
            runs = (
                ("static file (ceiling)", "/static/console.css", ""),
                ("queue API, 50 per page", "/api/v1/queue?limit=50",
                 f"Authorization: Bearer {token}\r\n"),
                ("queue API, overdue filter", "/api/v1/queue?limit=50&overdue=true",
                 f"Authorization: Bearer {token}\r\n"),
                ("queue page (HTML)", "/queue", f"Cookie: {cookie}\r\n"),
            )
            print(f"{'what':<28}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
            for name, path, headers in runs:
                r = await load(port, path, headers, args.requests, args.clients)
                print(f"{name:<28}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['rps']:>9.0f}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
