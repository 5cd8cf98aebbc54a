"""The SQLite repositories of the ledger's signed checkpoints and witness
acknowledgements (tables ``ledger_checkpoints`` and ``ledger_witness_acks`` of
migration ``0002_ledger.sql``; their triggers refuse UPDATE and DELETE).

:meth:`SQLiteCheckpoints.insert` reads the newest id and inserts in the same
transaction; in the single writer's ``BEGIN IMMEDIATE`` transaction nothing can
come between the two, not even another process (SQLite's file lock).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from storage.repos.records import StoredCheckpoint, WitnessAck
from storage.sqlite.connect import execute, fetch_all, fetch_one
from storage.sqlite.repo import Repo

_COLUMNS = "id, tree_size, root_hash, origin, key_id, note, signed_at"


def _stored(r: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(r[0]), int(r[1]), bytes(r[2]), str(r[3]), str(r[4]),
                            str(r[5]), str(r[6]))


class SQLiteCheckpoints(Repo):
    async def insert(
        self, checkpoint: StoredCheckpoint, *, after: int | None
    ) -> StoredCheckpoint | None:
        current = await self.latest()
        if (None if current is None else current.id) != after:
            return None
        cp = checkpoint
        _, rowid = await execute(
            self._c,
            "INSERT INTO ledger_checkpoints (tree_size, root_hash, origin, key_id, note, "
            "signed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (cp.tree_size, cp.root, cp.origin, cp.key_id, cp.note, cp.signed_at),
        )
        assert rowid is not None
        return replace(cp, id=rowid)

    async def latest(self) -> StoredCheckpoint | None:
        sql = f"SELECT {_COLUMNS} FROM ledger_checkpoints ORDER BY id DESC LIMIT 1"  # noqa: S608
        row = await fetch_one(self._c, sql)
        return None if row is None else _stored(row)

    async def list(self) -> list[StoredCheckpoint]:
        sql = f"SELECT {_COLUMNS} FROM ledger_checkpoints ORDER BY id"  # noqa: S608
        return [_stored(r) for r in await fetch_all(self._c, sql)]


class SQLiteWitnessAcks(Repo):
    async def insert(self, ack: WitnessAck) -> None:
        await execute(
            self._c,
            "INSERT INTO ledger_witness_acks (checkpoint_id, witness_url, status, body, "
            "received_at) VALUES (?, ?, ?, ?, ?)",
            (ack.checkpoint_id, ack.witness_url, ack.status, ack.body, ack.received_at),
        )

    async def last_acked_size(self, witness_url: str) -> int:
        row = await fetch_one(
            self._c,
            "SELECT c.tree_size FROM ledger_witness_acks a JOIN ledger_checkpoints c "
            "ON c.id = a.checkpoint_id WHERE a.witness_url = ? AND a.status = 200 "
            "ORDER BY a.id DESC LIMIT 1",
            (witness_url,),
        )
        return 0 if row is None else int(row[0])

    async def list(self) -> list[WitnessAck]:
        rows = await fetch_all(
            self._c,
            "SELECT checkpoint_id, witness_url, status, body, received_at "
            "FROM ledger_witness_acks ORDER BY id",
        )
        return [
            WitnessAck(int(r[0]), str(r[1]), None if r[2] is None else int(r[2]), str(r[3]),
                       str(r[4]))
            for r in rows
        ]
