"""Hostile evidence bundles for tests, made byte by byte: ZIP members whose headers
say what the test wants (sizes, flags, methods, file types), deflate bombs that
unpack to gigabytes from a megabyte, and JSON nested as deep as asked; and the
small genuine bundle they start from (:func:`export_small_case`)."""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from storage.ledger.bundle import manifest_note_text
from storage.ledger.export import export_case
from storage.ledger.ledger import append_record
from storage.ledger.note import Signer
from storage.repos import Transaction
from storage.sqlite import SQLiteStore


@dataclass
class Member:
    name: str
    data: bytes  # as stored in the ZIP (already deflated when method is 8)
    size: int  # the uncompressed size the headers declare
    crc: int
    method: int = 8
    flags: int = 0
    mode: int = 0o100644  # unix mode in the external attributes


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def member(name: str, data: bytes) -> Member:
    return Member(name, deflate(data), len(data), zlib.crc32(data))


def bomb(mib: int) -> bytes:
    """A raw deflate stream that unpacks to ``mib`` MiB of zeros (about 1 kB per MiB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * mib + b"\x03\x00"  # then an empty final block


def write_zip(path: Path, members: list[Member]) -> Path:
    """A ZIP with exactly these local headers, data and central directory entries."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, m.flags, m.method, 0, 0x21,
                           m.crc, len(m.data), m.size, len(name), 0) + name + m.data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, m.flags, m.method, 0,
                               0x21, m.crc, len(m.data), m.size, len(name), 0, 0, 0, 0,
                               m.mode << 16, offset) + name
    out += central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members),
                                 len(central), len(out), 0)
    path.write_bytes(bytes(out))
    return path


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def resign(files: dict[str, bytes], signer: Signer, **declared: int) -> dict[str, bytes]:
    """The manifest's file list made to match ``files`` (sizes from ``declared`` where
    given) and signed by ``signer``: what a forger holding that key would do."""
    manifest = json.loads(files["manifest.json"])
    manifest["key"] = signer.vkey()
    manifest["files"] = {
        n: {"bytes": str(declared.get(n.replace(".", "_"), len(d))),
            "sha256": hashlib.sha256(d).hexdigest()}
        for n, d in files.items() if n not in ("manifest.json", "manifest.sig")}
    files["manifest.json"] = json.dumps(manifest, indent=1).encode()
    files["manifest.sig"] = signer.sign(manifest_note_text(files["manifest.json"])).encode()
    return files


def forge(files: dict[str, bytes], forger: Signer, **declared: int) -> dict[str, bytes]:
    """Everything a forger with their own key would redo: the shipped key, the
    checkpoint's signature, the manifest's key, file list and signature."""
    checkpoint = files["checkpoint.txt"].decode()
    files = dict(files, **{
        "public_key.txt": (forger.vkey() + "\n").encode(),
        "checkpoint.txt": forger.sign(checkpoint[: checkpoint.index("\n\n") + 1]).encode()})
    return resign(files, forger, **declared)


def deep_json(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


async def export_small_case(tmp_path: Path, signer: Signer, origin: str, captures: int) -> Path:
    """A genuine bundle of case K-1: one authorization and ``captures`` posts,
    exported by ``signer`` to ``tmp_path/k1.zip``."""

    async def fill(tx: Transaction) -> None:
        await append_record(tx, "authorization.granted", "sup1", {
            "case": "K-1", "authorization": "A-1", "channels": [100]})
        for i in range(captures):
            await append_record(tx, "post.captured", "service:monitor", {
                "channel": 100, "message": i, "authorization": "A-1", "text_sha256": "00"})

    store = SQLiteStore(tmp_path / "ledger.db")
    await store.open()
    try:
        await store.transaction(fill)
        out = tmp_path / "k1.zip"
        await export_case(store, signer, origin, case="K-1", actor="sup1", out=out)
    finally:
        await store.close()
    return out
