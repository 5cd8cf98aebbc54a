"""Enabled bank entries streamed as columns, per bank and hash type: the bank
index loads millions of entries from them without one object (or one SQLite
row object) per entry.

``after_id`` streams only the entries above an id (the rows added since the
index last loaded: ids are the table's rowids, given in increasing order and
never reused, since entries are never deleted), and :func:`enabled_marks`
fingerprints the enabled entries up to an id, so the index can tell that
nothing but new rows changed.

The table is read in rowid order, one id range of :data:`CHUNK` ids at a time
(a sequential scan, several times faster than walking the unique index), and
SQLite aggregates each range per bank and hash type into three strings (ids,
values, categories) that Python splits in C. One chunk of one million PDQ
entries costs about half a second this way, against about six seconds for a
row per entry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite

from storage.models import BankColumns, HashType
from storage.sqlite.connect import fetch_all, fetch_one

#: Ids per chunk (a chunk of PDQ hashes is ~10 MB of Python strings).
CHUNK = 100_000
#: Separates the values (hex digits; vPDQ's text has commas and newlines) and
#: the categories in the aggregated strings.
SEP = "\x1f"

_GROUPED = (
    "SELECT bank_id, hash_type, count(*), group_concat(id), "
    "group_concat(hash_value, char(31)), group_concat(coalesce(category, ''), char(31)) "
    "FROM bank_entries WHERE enabled = 1 AND id > ? AND id <= ? "
    "GROUP BY bank_id, hash_type ORDER BY bank_id, hash_type"
)
_ROWS = (
    "SELECT id, hash_value, category FROM bank_entries WHERE enabled = 1 AND id > ? "
    "AND id <= ? AND bank_id = ? AND hash_type = ? ORDER BY id"
)


async def iter_columns(
    conn: aiosqlite.Connection, chunk: int = CHUNK, after_id: int = 0
) -> AsyncIterator[BankColumns]:
    """Chunks of ``(ids, values, categories)`` per bank and hash type, by id
    range; only entries with an id above ``after_id``."""
    names = {int(r[0]): str(r[1]) for r in await fetch_all(conn, "SELECT id, name FROM banks")}
    span = await fetch_one(
        conn, "SELECT min(id), max(id) FROM bank_entries WHERE id > ?", (after_id,)
    )
    if span is None or span[0] is None:
        return
    low, high = int(span[0]) - 1, int(span[1])
    while low < high:
        top = low + chunk
        for bank_id, hash_type, count, ids, values, categories in await fetch_all(
            conn, _GROUPED, (low, top)
        ):
            columns = _split(names[int(bank_id)], hash_type, int(count), ids, values, categories)
            if columns is None:  # a separator inside a value: read those rows one by one
                rows = await fetch_all(conn, _ROWS, (low, top, bank_id, hash_type))
                columns = BankColumns(
                    names[int(bank_id)], hash_type, [int(r[0]) for r in rows],
                    [str(r[1]) for r in rows], [r[2] for r in rows],
                )
            yield columns
        low = top


async def enabled_marks(
    conn: aiosqlite.Connection, upto_id: int
) -> dict[str, tuple[int, int]]:
    """Per bank with any: (count, sum of ids) of its enabled entries with an id up
    to ``upto_id``. Any disable or re-enable among them changes it."""
    names = {int(r[0]): str(r[1]) for r in await fetch_all(conn, "SELECT id, name FROM banks")}
    rows = await fetch_all(
        conn,
        "SELECT bank_id, count(*), sum(id) FROM bank_entries WHERE enabled = 1 AND id <= ? "
        "GROUP BY bank_id",
        (upto_id,),
    )
    return {names[int(r[0])]: (int(r[1]), int(r[2])) for r in rows}


def _split(
    bank: str, hash_type: HashType, count: int, ids: str, values: str, categories: str
) -> BankColumns | None:
    id_list = [int(i) for i in ids.split(",")]
    value_list = values.split(SEP)
    category_list: list[str | None] = [c or None for c in categories.split(SEP)]
    if not len(id_list) == len(value_list) == len(category_list) == count:
        return None
    return BankColumns(bank, hash_type, id_list, value_list, category_list)
