"""The console served by uvicorn on loopback, in a thread with its own event
loop (for the browser and the API fuzz tests, which need a real server)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from clocks import TestClock, utc_now
from console_support import Env, make_env

from monitor.cli.web import server

T = TypeVar("T")


class Served:
    """The console served by uvicorn on loopback, in a thread with its own loop."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = tmp
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.env: Env = self.run(self._start())

    async def _start(self) -> Env:
        env = await make_env(self._tmp, TestClock(utc_now(), step=timedelta(microseconds=1)))
        self._server = server(env.app, "127.0.0.1", self.port, "127.0.0.1")
        self._serving = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)
        return env

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def stop(self) -> None:
        async def stop() -> None:
            self._server.should_exit = True
            await self._serving
            await self.env.store.close()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


