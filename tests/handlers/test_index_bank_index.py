"""BankIndex: exact, PDQ (thresholds, quality, dihedral), vPDQ, disabling."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from handlers.hashing.media import hash_media
from handlers.hashing.pdq import pdq_image
from handlers.hashing.vpdq import VpdqFrame, VpdqPolicy, VpdqThresholds, encode_frames
from handlers.index.bank_index import BankIndex
from handlers.index.mih import words_to_hex
from storage.models import BankEntry

TESTDATA = Path(__file__).resolve().parents[1] / "data" / "pdq"
MODS = TESTDATA / "bridge-mods"


def entry(
    id_: int, hash_type: str, value: str, bank: str = "b", category: str | None = "csam"
) -> BankEntry:
    """A stored bank entry as the store returns it."""
    return BankEntry(id_, bank, hash_type, value, category, f"ref-{id_}", True)  # type: ignore[arg-type]


def _noise(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return words_to_hex(rng.integers(0, 2**64 - 1, size=(n, 4), dtype=np.uint64, endpoint=True))


@pytest.fixture
def index() -> BankIndex:
    """An index with the bridge original in bank 'ref' among 2,000 random PDQ entries."""
    idx = BankIndex()
    orig = pdq_image((MODS / "aaa-orig.jpg").read_bytes()).hex
    entries = [entry(i, "pdq", h, bank="noise", category=None) for i, h in enumerate(_noise(2000))]
    entries.append(entry(9001, "pdq", orig, bank="ref"))
    idx.load(entries)
    return idx


@pytest.mark.parametrize("name", sorted(p.name for p in MODS.glob("*.jpg")))
def test_every_edit_matches_original_entry(index: BankIndex, name: str) -> None:
    """Each bridge-mods edit, hashed as the pipeline does, matches the original's entry."""
    hashes = hash_media((MODS / name).read_bytes(), "photo")
    matches = index.lookup(hashes)
    assert [m.entry_id for m in matches] == [9001]
    assert matches[0].bank == "ref" and matches[0].category == "csam"
    assert matches[0].hash_type == "pdq" and matches[0].distance <= 31


@pytest.mark.parametrize(
    "op",
    [
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.FLIP_TOP_BOTTOM,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    ],
)
@pytest.mark.parametrize("name", ["aaa-orig.jpg", "blur-a-lot.jpg", "square-256x256.jpg"])
def test_rotated_and_flipped_images_match(index: BankIndex, op: Image.Transpose, name: str) -> None:
    """Rotated/flipped copies match through the dihedral variants, and only through them."""
    buf = io.BytesIO()
    Image.open(MODS / name).convert("RGB").transpose(op).save(buf, "JPEG", quality=90)
    plain = hash_media(buf.getvalue(), "photo")
    assert index.lookup(plain) == []
    matches = index.lookup(hash_media(buf.getvalue(), "photo", want_dihedral=True))
    assert [m.entry_id for m in matches] == [9001]
    assert matches[0].variant not in (None, "original")


def test_bank_threshold_and_quality_filter(index: BankIndex) -> None:
    """A bank's threshold limits its PDQ matches; low-quality query hashes are not looked up."""
    edit = hash_media((MODS / "sharpen-a-lot.jpg").read_bytes(), "photo")
    distance = index.lookup(edit)[0].distance
    assert distance > 0
    index.set_bank("ref", threshold=distance - 1)
    assert index.lookup(edit) == []
    index.set_bank("ref", threshold=distance)
    assert len(index.lookup(edit)) == 1
    assert index.lookup_values(pdq=edit.pdq, pdq_quality=49) == []
    with pytest.raises(ValueError):
        index.set_bank("ref", threshold=300)


def test_exact_hashes_and_disabling() -> None:
    """Exact entries match; disable() hides one everywhere, disable_for_media for one media."""
    data = (MODS / "shrink-a-lot.jpg").read_bytes()
    h = hash_media(data, "photo")
    idx = BankIndex()
    idx.load(
        [entry(1, "sha256", h.sha256), entry(2, "md5", h.md5.upper()), entry(3, "sha1", h.sha1)]
    )
    assert sorted((m.entry_id, m.hash_type) for m in idx.lookup(h)) == [
        (1, "sha256"),
        (2, "md5"),
        (3, "sha1"),
    ]
    idx.disable(2)
    idx.disable_for_media(3, h.sha256)
    assert [m.entry_id for m in idx.lookup(h)] == [1]
    assert sorted(m.entry_id for m in idx.lookup(h, media_key="another-media")) == [1, 3]
    idx.enable(2)
    assert sorted(m.entry_id for m in idx.lookup(h)) == [1, 2]


def test_disabled_entries_at_load_and_incremental_add(index: BankIndex) -> None:
    """Entries loaded disabled do not match; an added (confirmed) entry matches at once."""
    edit = hash_media((MODS / "high-contrast.jpg").read_bytes(), "photo")
    index.disable(9001)
    assert index.lookup(edit) == []
    assert edit.pdq is not None
    index.add(entry(9002, "pdq", edit.pdq, bank="confirmed"))
    assert [(m.entry_id, m.bank, m.distance) for m in index.lookup(edit)] == [
        (9002, "confirmed", 0)
    ]
    idx = BankIndex()
    idx.load([BankEntry(5, "b", "pdq", edit.pdq, None, None, False)])
    assert idx.lookup(edit) == []


def test_vpdq_entries_match_by_rule() -> None:
    """A bank video (frames of the original) matches a query of edited frames, not noise."""
    names = ["aaa-orig.jpg", "square-512x512.jpg", "blur-a-lot.jpg", "high-contrast.jpg"]
    target = [
        VpdqFrame(i, 100, pdq_image((MODS / n).read_bytes()).hex, float(i))
        for i, n in enumerate(names)
    ]
    idx = BankIndex()
    idx.load([entry(77, "vpdq", encode_frames(target), bank="videos")])
    edits = ["sharpen-a-lot.jpg", "shrink-a-lot.jpg", "blur-a-little.jpg"]
    query = [
        VpdqFrame(i, 100, pdq_image((MODS / n).read_bytes()).hex, float(i))
        for i, n in enumerate(edits)
    ]
    matches = idx.lookup_values(vpdq=query)
    assert [(m.entry_id, m.hash_type) for m in matches] == [(77, "vpdq")]
    assert matches[0].query_percent == 100.0
    noise = [VpdqFrame(i, 100, h, float(i)) for i, h in enumerate(_noise(5, seed=3))]
    assert idx.lookup_values(vpdq=noise) == []
    # One query frame is near every frame of this bank video (all four are the
    # same picture): the query contains the whole banked video, but only 20 % of
    # it is an excerpt of the bank video.
    half = [*query[:1], *noise[:4]]
    (contains,) = idx.lookup_values(vpdq=half)
    assert (contains.direction, contains.query_percent, contains.target_percent) == (
        "contains", 20.0, 100.0)
    excerpts_only = BankIndex(vpdq=VpdqPolicy(VpdqThresholds(contains_percent=0)))
    excerpts_only.load([entry(77, "vpdq", encode_frames(target), bank="videos")])
    assert excerpts_only.lookup_values(vpdq=half) == []
    assert [m.direction for m in excerpts_only.lookup_values(vpdq=query)] == ["excerpt"]


def test_batch_lookup(index: BankIndex) -> None:
    """lookup_pdq_batch returns one list per query hash."""
    orig = pdq_image((MODS / "aaa-orig.jpg").read_bytes()).hex
    results = index.lookup_pdq_batch([orig, _noise(1, seed=99)[0], orig])
    assert [[m.entry_id for m in r] for r in results] == [[9001], [], [9001]]
    assert index.lookup_pdq_batch([]) == []


async def test_async_lookups(index: BankIndex) -> None:
    """The async wrappers give the same answers as the sync calls."""
    h = hash_media((MODS / "blur-a-little.jpg").read_bytes(), "photo")
    assert await index.lookup_async(h) == index.lookup(h)
    assert h.pdq is not None
    assert await index.lookup_pdq_batch_async([h.pdq]) == index.lookup_pdq_batch([h.pdq])


def test_load_pdq_columns() -> None:
    """load_pdq takes a bank's ids and hashes as columns (hex or words)."""
    idx = BankIndex()
    hexes = _noise(300, seed=8)
    assert idx.load_pdq("big", list(range(300)), hexes, category="terror") == 300
    [match] = idx.lookup_values(pdq=hexes[17])
    assert (match.entry_id, match.bank, match.category, match.distance) == (17, "big", "terror", 0)
    assert idx.stats()["pdq"] == 300


def test_load_columns_every_type() -> None:
    """load_columns loads exact, PDQ (per-entry categories) and vPDQ columns."""
    idx = BankIndex()
    data = (MODS / "shrink-a-lot.jpg").read_bytes()
    h = hash_media(data, "photo")
    assert idx.load_columns("x", "md5", [1], [h.md5.upper()], "ncii") == 1
    hexes = _noise(3, seed=4)
    idx.load_columns("x", "pdq", [2, 3, 4], hexes, ["csam", None, "terror"])
    frames = [VpdqFrame(0, 100, hexes[0], 0.0)]
    idx.load_columns("x", "vpdq", [5], [encode_frames(frames)])
    assert [(m.entry_id, m.category) for m in idx.lookup_values(md5=h.md5)] == [(1, "ncii")]
    assert [m.category for m in idx.lookup_values(pdq=hexes[2])] == ["terror"]
    assert [m.category for m in idx.lookup_values(pdq=hexes[1])] == [None]
    assert [m.entry_id for m in idx.lookup_values(vpdq=frames)] == [5]
    with pytest.raises(ValueError, match="same length"):
        idx.load_columns("x", "pdq", [1, 2], hexes)


def test_lookup_hash_by_type(index: BankIndex) -> None:
    """lookup_hash answers one (hash type, value) pair, vPDQ given as encoded frames."""
    orig = pdq_image((MODS / "aaa-orig.jpg").read_bytes()).hex
    assert [m.entry_id for m in index.lookup_hash("pdq", orig)] == [9001]
    assert index.lookup_hash("md5", "00" * 16) == []
    assert index.lookup_hash("sha256", "00" * 32) == []
    assert index.lookup_hash("sha1", "00" * 20) == []
    index.load([entry(42, "vpdq", encode_frames([VpdqFrame(0, 100, orig, 0.0)]))])
    frames = encode_frames([VpdqFrame(0, 90, orig, 0.0)])
    assert [m.entry_id for m in index.lookup_hash("vpdq", frames)] == [42]
    with pytest.raises(ValueError, match="unknown hash type"):
        index.lookup_hash("crc32", "00")  # type: ignore[arg-type]
