"""A real HTTP server on 127.0.0.1 that receives webhook POSTs (tests of
hotline.notify and of the monitor's notifications)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hook:
    """What the server answers and what it received."""

    url: str = ""
    #: Status answered to each POST.
    status: int = 204
    #: When set, requests hang until :attr:`release` is set (a slow endpoint).
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` POSTs arrived (call through asyncio.to_thread)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout)
        return list(self.received)


def _handler(hook: Hook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with hook.arrived:
                hook.received.append(json.loads(body))
                hook.headers.append(dict(self.headers))
                hook.arrived.notify_all()
            if hook.hang:
                hook.release.wait(10)
            payload = b"oops" if hook.status >= 300 else b""
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
                self.send_response(hook.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet

    return Handler


@contextmanager
def webhook_server(**kw: Any) -> Iterator[Hook]:
    """A :class:`Hook` serving on a free loopback port for the ``with`` block."""
    hook = Hook(**kw)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hook))
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook/s3cr3t-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
