"""MTProto TCP transports (tgsim/transport.py): Telethon's full, intermediate
and abridged connections, and framing errors."""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from zlib import crc32

import pytest
from telethon.network.connection import (
    ConnectionTcpAbridged,
    ConnectionTcpFull,
    ConnectionTcpIntermediate,
    ConnectionTcpObfuscated,
)
from tgsim_support import login, make_client, sim_phone

from tgsim import Server
from tgsim.transport import Transport, TransportError


@pytest.mark.parametrize(
    "connection",
    [ConnectionTcpFull, ConnectionTcpIntermediate, ConnectionTcpAbridged, ConnectionTcpObfuscated],
)
async def test_telethon_transports(sim: Server, tmp_path: Path, connection: type) -> None:
    """Telethon signs in and downloads a multi-part file over each transport
    (obfuscated2 included)."""
    ch = await sim.create_channel("T", username="transport_ch")
    payload = bytes(range(256)) * 2048  # 512 KiB: large frames in every codec
    msg_id = await sim.post(ch, document=(payload, "t.bin", "application/octet-stream"))
    client = make_client(sim, tmp_path / "t.session", connection=connection)
    try:
        await login(client, sim_phone(sim.dc_id, 4))
        msg = await client.get_messages(await client.get_entity("transport_ch"), ids=msg_id)
        assert await client.download_media(msg, bytes) == payload
    finally:
        await client.disconnect()


@pytest.fixture
async def pipe() -> AsyncIterator[tuple[asyncio.StreamWriter, asyncio.Future[Transport]]]:
    """A loopback socket: (client writer, future of the server-side Transport)."""
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[Transport] = loop.create_future()

    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            accepted.set_result(await Transport.accept(reader, writer))
        except TransportError as exc:
            accepted.set_exception(exc)

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield writer, accepted
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def _full(payload: bytes, seq: int = 0, bad_crc: bool = False) -> bytes:
    head = struct.pack("<ii", len(payload) + 12, seq) + payload
    crc = crc32(head) ^ (1 if bad_crc else 0)
    return head + struct.pack("<I", crc)


async def test_full_transport_checks_crc(
    pipe: tuple[asyncio.StreamWriter, asyncio.Future[Transport]],
) -> None:
    """A full-transport packet with a wrong CRC32 is refused."""
    writer, accepted = pipe
    writer.write(_full(b"\x00" * 20) + _full(b"\x01" * 20, seq=1, bad_crc=True))
    await writer.drain()
    transport = await accepted
    assert transport.name == "full"
    assert await transport.read_packet() == b"\x00" * 20
    with pytest.raises(TransportError, match="CRC32"):
        await transport.read_packet()


async def test_full_transport_checks_sequence(
    pipe: tuple[asyncio.StreamWriter, asyncio.Future[Transport]],
) -> None:
    """A full-transport packet with a skipped sequence number is refused."""
    writer, accepted = pipe
    writer.write(_full(b"\x00" * 20, seq=0) + _full(b"\x00" * 20, seq=5))
    await writer.drain()
    transport = await accepted
    assert await transport.read_packet() == b"\x00" * 20
    with pytest.raises(TransportError, match="seq"):
        await transport.read_packet()


async def test_abridged_long_length(
    pipe: tuple[asyncio.StreamWriter, asyncio.Future[Transport]],
) -> None:
    """Abridged packets of 127 words or more use the 0x7f + 3-byte length form."""
    writer, accepted = pipe
    payload = b"\xab" * (200 * 4)
    writer.write(b"\xef" + b"\x7f" + (200).to_bytes(3, "little") + payload)
    await writer.drain()
    transport = await accepted
    assert transport.name == "abridged"
    assert await transport.read_packet() == payload
    assert transport.encode(payload)[:4] == b"\x7f" + (200).to_bytes(3, "little")


async def test_obfuscated_header_with_unknown_tag(
    pipe: tuple[asyncio.StreamWriter, asyncio.Future[Transport]],
) -> None:
    """An obfuscated2 header whose decrypted tag names no codec is refused."""
    writer, accepted = pipe
    header = bytes([0x42]) + os.urandom(63)
    header = header[:4] + b"\x01\x02\x03\x04" + header[8:]
    writer.write(header)
    await writer.drain()
    with pytest.raises(TransportError, match="tag"):
        await accepted


async def test_intermediate_rejects_absurd_length(
    pipe: tuple[asyncio.StreamWriter, asyncio.Future[Transport]],
) -> None:
    """An intermediate packet claiming more than 16 MiB is refused."""
    writer, accepted = pipe
    writer.write(b"\xee\xee\xee\xee" + struct.pack("<i", 1 << 30))
    await writer.drain()
    transport = await accepted
    assert transport.name == "intermediate"
    with pytest.raises(TransportError):
        await transport.read_packet()
