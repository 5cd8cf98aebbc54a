"""MTProto TCP transports: full (Telethon's default), intermediate, padded
intermediate and abridged. See https://core.telegram.org/mtproto/mtproto-transports.

The transport is recognised from the first bytes the client sends: ``0xef``
(abridged), ``0xeeeeeeee`` (intermediate), ``0xdddddddd`` (padded
intermediate). Otherwise the first 8 bytes are either a full-transport header
(its sequence number, bytes 4..8, is 0 on a new connection) or the start of a
64-byte obfuscated2 header (which never has zeros there): the stream is then
AES-256-CTR encrypted both ways and carries one of the three tagged codecs.
MTProxy secrets are not supported.
"""

from __future__ import annotations

import os
import struct
from typing import Any, Protocol
from zlib import crc32

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAX_PACKET = 16 * 1024 * 1024


class ByteReader(Protocol):
    """What a transport reads from (a StreamReader, or a decrypting wrapper)."""

    async def readexactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes."""
        ...


class ByteWriter(Protocol):
    """What a transport writes to (a StreamWriter, or an encrypting wrapper)."""

    def write(self, data: bytes) -> None:
        """Queue bytes."""

    async def drain(self) -> None:
        """Wait until the buffer drained."""

    def is_closing(self) -> bool:
        """Whether the stream is closing."""
        ...

    def close(self) -> None:
        """Close the stream."""


class TransportError(Exception):
    """The peer sent bytes that are not a valid transport packet."""


class Transport:
    """Reads and writes MTProto packets on one TCP stream."""

    name = "full"

    def __init__(self, reader: ByteReader, writer: ByteWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._send_seq = 0
        self._recv_seq = 0
        self._first: bytes = b""

    @classmethod
    async def accept(cls, reader: ByteReader, writer: ByteWriter) -> Transport:
        """Detect the transport the client chose from its first bytes."""
        first = await reader.readexactly(1)
        if first == b"\xef":
            return AbridgedTransport(reader, writer)
        head = first + await reader.readexactly(3)
        if head == b"\xee\xee\xee\xee":
            return IntermediateTransport(reader, writer)
        if head == b"\xdd\xdd\xdd\xdd":
            return PaddedIntermediateTransport(reader, writer)
        head += await reader.readexactly(4)
        if head[4:8] != b"\0\0\0\0":
            return _obfuscated(head + await reader.readexactly(56), reader, writer)
        transport = cls(reader, writer)
        transport._first = head
        return transport

    async def read_packet(self) -> bytes:
        """One packet's payload; raises IncompleteReadError at EOF."""
        head = self._first or await self.reader.readexactly(8)
        self._first = b""
        length, seq = struct.unpack("<ii", head)
        if length < 12 or length > MAX_PACKET:
            raise TransportError(f"bad full-transport length {length}")
        rest = await self.reader.readexactly(length - 8)
        body, crc = rest[:-4], struct.unpack("<I", rest[-4:])[0]
        if crc32(head + body) != crc:
            raise TransportError("bad full-transport CRC32")
        if seq != self._recv_seq:
            raise TransportError(f"full-transport seq {seq}, expected {self._recv_seq}")
        self._recv_seq += 1
        return body

    def encode(self, payload: bytes) -> bytes:
        """Frame one payload."""
        head = struct.pack("<ii", len(payload) + 12, self._send_seq)
        self._send_seq += 1
        data = head + payload
        return data + struct.pack("<I", crc32(data))

    async def write_packet(self, payload: bytes) -> None:
        """Frame and send one payload."""
        self.writer.write(self.encode(payload))
        await self.writer.drain()

    async def write_error(self, code: int) -> None:
        """Send a transport error (a bare negative int32, e.g. -404 or -429)."""
        await self.write_packet(struct.pack("<i", -code))

    def close(self) -> None:
        """Close the TCP stream."""
        if not self.writer.is_closing():
            self.writer.close()


class IntermediateTransport(Transport):
    """4-byte little-endian length prefix."""

    name = "intermediate"

    async def read_packet(self) -> bytes:
        (length,) = struct.unpack("<i", await self.reader.readexactly(4))
        if length <= 0 or length > MAX_PACKET:
            raise TransportError(f"bad intermediate length {length}")
        return await self.reader.readexactly(length)

    def encode(self, payload: bytes) -> bytes:
        return struct.pack("<i", len(payload)) + payload


class PaddedIntermediateTransport(IntermediateTransport):
    """Intermediate with 0..15 random padding bytes after each payload."""

    name = "padded-intermediate"

    async def read_packet(self) -> bytes:
        data = await super().read_packet()
        return data[: len(data) - len(data) % 4]

    def encode(self, payload: bytes) -> bytes:
        padding = os.urandom(os.urandom(1)[0] % 4)
        return struct.pack("<i", len(payload) + len(padding)) + payload + padding


class AbridgedTransport(Transport):
    """1-byte (or 0x7f + 3-byte) length in 4-byte words."""

    name = "abridged"

    async def read_packet(self) -> bytes:
        first = (await self.reader.readexactly(1))[0]
        words = first & 0x7F  # the high bit asks for a quick ack, which we ignore
        if words == 0x7F:
            words = int.from_bytes(await self.reader.readexactly(3), "little")
        if words == 0 or words * 4 > MAX_PACKET:
            raise TransportError(f"bad abridged length {words}")
        return await self.reader.readexactly(words * 4)

    def encode(self, payload: bytes) -> bytes:
        words = len(payload) // 4
        if words < 0x7F:
            return bytes([words]) + payload
        return b"\x7f" + words.to_bytes(3, "little") + payload


class _CtrReader:
    """Decrypts what the client sends (AES-256-CTR, one continuous stream)."""

    def __init__(self, reader: ByteReader, cipher: Any) -> None:
        self._reader = reader
        self._cipher = cipher

    async def readexactly(self, n: int) -> bytes:
        return bytes(self._cipher.update(await self._reader.readexactly(n)))


class _CtrWriter:
    """Encrypts what the server sends (AES-256-CTR, one continuous stream)."""

    def __init__(self, writer: ByteWriter, cipher: Any) -> None:
        self._writer = writer
        self._cipher = cipher

    def write(self, data: bytes) -> None:
        self._writer.write(self._cipher.update(data))

    async def drain(self) -> None:
        await self._writer.drain()

    def is_closing(self) -> bool:
        return self._writer.is_closing()

    def close(self) -> None:
        self._writer.close()


def _ctr(key: bytes, iv: bytes) -> Any:
    return Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()


def _obfuscated(header: bytes, reader: ByteReader, writer: ByteWriter) -> Transport:
    """Set up an obfuscated2 stream from the client's 64-byte header."""
    reverse = header[55:7:-1]
    decryptor = _ctr(header[8:40], header[40:56])
    encryptor = _ctr(reverse[:32], reverse[32:48])
    tag = bytes(decryptor.update(header))[56:60]
    kinds: dict[bytes, type[Transport]] = {
        b"\xef\xef\xef\xef": AbridgedTransport,
        b"\xee\xee\xee\xee": IntermediateTransport,
        b"\xdd\xdd\xdd\xdd": PaddedIntermediateTransport,
    }
    kind = kinds.get(tag)
    if kind is None:
        raise TransportError("unknown obfuscated transport tag (MTProxy secrets unsupported)")
    transport = kind(_CtrReader(reader, decryptor), _CtrWriter(writer, encryptor))
    transport.name = "obfuscated-" + kind.name
    return transport
