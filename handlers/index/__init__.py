"""The in-memory hash-bank index: exact hashes, PDQ within a radius (multi-index
hashing in numpy, 10 million entries), vPDQ videos. Pure: no database, no
Telethon; loaded from the store by the caller.
"""

from handlers.index.bank_index import BankIndex, IndexMatch
from handlers.index.exact import ExactIndex
from handlers.index.pdq_index import PdqHits, PdqIndex
from handlers.index.vpdq_index import VpdqHit, VpdqIndex

__all__ = [
    "BankIndex",
    "ExactIndex",
    "IndexMatch",
    "PdqHits",
    "PdqIndex",
    "VpdqHit",
    "VpdqIndex",
]
