"""tgsim throughput: what a Telethon client gets from the loopback server.

Measures, in one run on this machine:
  1. download_media of a 16 MiB document (MiB/s, end to end through MTProto);
  2. live fan-out: 300 posts pushed to 4 connected member clients (updates/s
     delivered, i.e. NewMessage events raised in the clients);
  3. the peer: raw AES-256-IGE over the same 16 MiB with cryptg and with the
     pure `cryptography` fallback, the cipher work every byte above goes
     through twice (server encrypts, client decrypts).

Run: .venv/bin/python benchmarks/tgsim_throughput.py
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import structlog
import telethon

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the real tgsim package before tests/tgsim
sys.path.append(str(ROOT / "tests"))  # tgsim_support

from machine import cpu_model  # noqa: E402
from telethon import events  # noqa: E402
from telethon.tl import functions  # noqa: E402
from tgsim_support import login, make_client, sim_phone  # noqa: E402

from tgsim import Server, crypto  # noqa: E402

MIB = 1024 * 1024


def machine() -> str:
    cpu = cpu_model()
    return (
        f"{platform.platform()} | CPU {cpu} | {os.cpu_count()} cores | "
        f"Python {platform.python_version()}"
    )


def ige_peer(data: bytes) -> tuple[float, float]:
    key, iv = os.urandom(32), os.urandom(32)
    t = time.perf_counter()
    crypto.encrypt_ige(data, key, iv)
    fast = len(data) / MIB / (time.perf_counter() - t)
    t = time.perf_counter()
    crypto.pure_encrypt_ige(data, key, iv)
    pure = len(data) / MIB / (time.perf_counter() - t)
    return fast, pure


async def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    tmp = Path(tempfile.mkdtemp(prefix="tgsim-bench-"))
    sim = await Server.start(tmp / "state")
    payload = os.urandom(16 * MIB)
    ch = await sim.create_channel("Bench", username="bench_ch")
    doc_id = await sim.post(ch, document=(payload, "b.bin", "application/octet-stream"))
    clients = []
    try:
        for n in range(4):
            client = make_client(sim, tmp / f"c{n}.session")
            await login(client, sim_phone(sim.dc_id, n + 1))
            clients.append(client)
        entity = await clients[0].get_entity("bench_ch")
        msg = await clients[0].get_messages(entity, ids=doc_id)
        t = time.perf_counter()
        data = await clients[0].download_media(msg, bytes)
        download = len(data) / MIB / (time.perf_counter() - t)
        assert data == payload

        received = [0] * len(clients)
        done = asyncio.Event()
        posts = 300
        for i, client in enumerate(clients):
            await client(functions.channels.JoinChannelRequest(await client.get_entity("bench_ch")))

            async def on_new(_: events.NewMessage.Event, i: int = i) -> None:
                received[i] += 1
                if sum(received) == posts * len(clients):
                    done.set()

            client.add_event_handler(on_new, events.NewMessage())
        t = time.perf_counter()
        for k in range(posts):
            await sim.post(ch, text=f"bench {k}")
        await asyncio.wait_for(done.wait(), 120)
        fanout = posts * len(clients) / (time.perf_counter() - t)
    finally:
        for client in clients:
            await client.disconnect()
        await sim.stop()
    fast, pure = ige_peer(payload)
    print(machine())
    have_cryptg = "yes" if crypto._cryptg is not None else "no"
    print(f"Telethon {telethon.__version__}, cryptg {have_cryptg}")
    print(f"download_media 16 MiB document      : {download:8.1f} MiB/s")
    print(f"live fan-out, 300 posts x 4 clients : {fanout:8.0f} events/s")
    print(f"peer: AES-IGE cryptg                : {fast:8.1f} MiB/s")
    print(f"peer: AES-IGE pure fallback         : {pure:8.1f} MiB/s")


if __name__ == "__main__":
    asyncio.run(main())
