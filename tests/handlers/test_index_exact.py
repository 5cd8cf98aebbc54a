"""ExactIndex: sorted-array bulk lookups plus single adds."""

from __future__ import annotations

import hashlib

import pytest

from handlers.index.exact import ExactIndex


def test_bulk_single_and_duplicates() -> None:
    """Bulk and single entries are found, duplicates return every id, misses nothing."""
    index = ExactIndex("md5")
    digests = [hashlib.md5(str(i).encode()).hexdigest() for i in range(1000)]
    index.add_bulk(list(range(1000)), digests, [i % 3 for i in range(1000)])
    index.add_bulk([5000], [digests[10]], [1])
    index.add(6000, digests[10].upper(), 2)
    assert sorted(index.lookup(digests[10])) == [(10, 1), (5000, 1), (6000, 2)]
    assert index.lookup(digests[999]) == [(999, 0)]
    assert index.lookup(hashlib.md5(b"other").hexdigest()) == []
    assert len(index) == 1002


def test_digest_with_trailing_zero_bytes() -> None:
    """Digests ending in zero bytes are not confused with shorter ones."""
    index = ExactIndex("sha1")
    a, b = "ab" * 19 + "00", "ab" * 19 + "01"
    index.add_bulk([1, 2], [a, b])
    assert index.lookup(a) == [(1, 0)]
    assert index.lookup(b) == [(2, 0)]


def test_wrong_lengths_refused() -> None:
    """A digest of the wrong length or type is a clear error."""
    with pytest.raises(ValueError, match="sha256"):
        ExactIndex("sha256").lookup("abcd")
    with pytest.raises(ValueError):
        ExactIndex("md5").add_bulk([1], ["ab" * 20])
    with pytest.raises(ValueError):
        ExactIndex("crc32")
