"""vPDQ's match rule in both directions: thresholds at their edges, per-bank
overrides, refused values, and the index's percentages against brute force."""

from __future__ import annotations

import math
import random

import pytest

from handlers.hashing.vpdq import (
    VpdqFrame,
    VpdqMatch,
    VpdqPolicy,
    VpdqThresholds,
    VpdqVerdict,
    encode_frames,
    match_frames,
)
from handlers.index import BankIndex, VpdqIndex
from storage.models import BankEntry


def frames_of(hexes: list[str]) -> list[VpdqFrame]:
    return [VpdqFrame(i, 100, h, float(i)) for i, h in enumerate(hexes)]


def random_hexes(n: int, rng: random.Random) -> list[str]:
    return [f"{rng.getrandbits(256):064x}" for _ in range(n)]


def near(hex_value: str, bits: int) -> str:
    """``hex_value`` with ``bits`` of its bits inverted (Hamming distance ``bits``)."""
    return f"{int(hex_value, 16) ^ ((1 << bits) - 1):064x}"


def test_defaults_are_80_percent_each_way() -> None:
    t = VpdqThresholds()
    assert (t.contains_percent, t.excerpt_percent) == (80.0, 80.0)
    assert VpdqPolicy().for_bank("any") == t


@pytest.mark.parametrize(
    ("posted", "banked", "expected"),
    [
        (80.0, 10.0, "excerpt"),  # exactly at the excerpt threshold
        (79.99, 10.0, None),  # just below
        (10.0, 80.0, "contains"),  # exactly at the contains threshold
        (10.0, 79.99, None),
        (100.0, 100.0, "both"),
        (0.0, 0.0, None),
    ],
)
def test_each_direction_at_its_threshold(
    posted: float, banked: float, expected: str | None
) -> None:
    verdict = VpdqThresholds().decide(VpdqMatch(query_percent=posted, target_percent=banked))
    assert (verdict.direction if verdict else None) == expected
    if verdict is not None:
        assert (verdict.banked_found, verdict.posted_found) == (banked, posted)


def test_zero_switches_one_direction_off() -> None:
    compilation = VpdqMatch(query_percent=25.0, target_percent=100.0)
    excerpt = VpdqMatch(query_percent=100.0, target_percent=25.0)
    excerpts_only = VpdqThresholds(contains_percent=0)
    assert excerpts_only.decide(compilation) is None
    assert excerpts_only.decide(excerpt) == VpdqVerdict("excerpt", 25.0, 100.0)
    contains_only = VpdqThresholds(excerpt_percent=0)
    assert contains_only.decide(excerpt) is None
    assert contains_only.decide(compilation) == VpdqVerdict("contains", 100.0, 25.0)
    # 0 % found never matches, even with a threshold of 0 on the other side
    assert contains_only.decide(VpdqMatch(0.0, 0.0)) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"contains_percent": 0, "excerpt_percent": 0}, "both 0"),
        ({"contains_percent": -1}, "contains_percent must be 0..100"),
        ({"excerpt_percent": 100.5}, "excerpt_percent must be 0..100"),
        ({"contains_percent": math.nan}, "contains_percent must be 0..100"),
        ({"excerpt_percent": math.inf}, "excerpt_percent must be 0..100"),
        ({"contains_percent": True}, "contains_percent must be a number"),
        ({"excerpt_percent": "80"}, "excerpt_percent must be a number"),
    ],
)
def test_bad_thresholds_are_refused_by_name(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VpdqThresholds(**kwargs)  # type: ignore[arg-type]


def test_policy_overrides_one_bank() -> None:
    strict = VpdqThresholds(contains_percent=95, excerpt_percent=95)
    policy = VpdqPolicy(VpdqThresholds(contains_percent=50), {"ncmec": strict})
    assert policy.for_bank("ncmec") is strict
    assert policy.for_bank("other") == VpdqThresholds(contains_percent=50, excerpt_percent=80)


def test_verdict_detail_is_strings_with_one_decimal() -> None:
    detail = VpdqVerdict("contains", 100.0, 100 / 3).detail()
    assert detail == {"direction": "contains", "banked_found": "100.0", "posted_found": "33.3"}


def test_index_percentages_equal_brute_force() -> None:
    """The index's two percentages and the rule's verdict are vPDQ's brute-force
    comparison, for random videos sharing random subsets of (perturbed) frames."""
    rng = random.Random(17)
    index = VpdqIndex()
    videos: dict[int, list[VpdqFrame]] = {}
    pool = random_hexes(60, rng)
    for entry in range(1, 21):
        hexes = rng.sample(pool, rng.randint(1, 12))
        videos[entry] = frames_of(hexes)
        index.add(entry, videos[entry])
    seen: set[str | None] = set()
    for n in range(60):
        if n % 2:  # frames from the whole pool (long, searched in batches): compilations
            picked = rng.choices(pool, k=rng.randint(1, 150))
        else:  # part of one bank video and a frame or two more: excerpts, mostly
            own = [f.hex for f in videos[rng.randint(1, 20)]]
            picked = rng.sample(own, rng.randint(1, len(own))) + rng.sample(pool, rng.randint(0, 2))
        query = frames_of([near(h, rng.randint(0, 40)) for h in picked])
        got = index.compare(query)
        for entry, target in videos.items():
            brute = match_frames(query, target)
            if brute.query_percent == 0:
                assert entry not in got
                continue
            match, _q_worst, _t_worst = got[entry]
            assert match == brute
        hits = {h.entry_id: h for h in index.lookup(query)}
        for entry, target in videos.items():
            verdict = match_frames(query, target).verdict()
            assert (hits[entry].verdict if entry in hits else None) == verdict
            seen.add(verdict.direction if verdict else None)
    assert seen == {"contains", "excerpt", "both", None}


def test_distance_is_the_deciding_sides_worst_best_frame() -> None:
    """A compilation matches at its banked frames' distances; an excerpt at its own."""
    rng = random.Random(3)
    banked = random_hexes(4, rng)
    index = VpdqIndex()
    index.add(1, frames_of(banked))
    # contains: all 4 banked frames at distance 3..6, among 12 unrelated frames
    compilation = frames_of([near(h, 3 + i) for i, h in enumerate(banked)] + random_hexes(12, rng))
    (hit,) = index.lookup(compilation)
    assert (hit.verdict.direction, hit.distance) == ("contains", 6)
    assert (hit.query_percent, hit.target_percent) == (25.0, 100.0)
    # excerpt: 2 of the 4 banked frames, at distances 2 and 9
    (part,) = index.lookup(frames_of([near(banked[1], 2), near(banked[2], 9)]))
    assert (part.verdict.direction, part.distance) == ("excerpt", 9)
    assert (part.query_percent, part.target_percent) == (100.0, 50.0)


def test_bank_index_uses_each_banks_thresholds() -> None:
    """The same video in two banks: a compilation holding it matches the bank with
    the default thresholds and not the bank whose "contains" direction is off;
    ``set_bank`` overrides the policy."""
    rng = random.Random(5)
    clip = frames_of(random_hexes(5, rng))
    compilation = [*clip, *frames_of(random_hexes(15, rng))]
    policy = VpdqPolicy(banks={"excerpts-only": VpdqThresholds(contains_percent=0)})

    def load(idx: BankIndex) -> BankIndex:
        value = encode_frames(clip)
        idx.load([BankEntry(1, "default", "vpdq", value, "csam", None, True),
                  BankEntry(2, "excerpts-only", "vpdq", value, "csam", None, True)])
        return idx

    index = load(BankIndex(vpdq=policy))
    (hit,) = index.lookup_values(vpdq=compilation)
    assert (hit.bank, hit.direction, hit.target_percent, hit.query_percent) == (
        "default", "contains", 100.0, 25.0)
    assert hit.vpdq == VpdqVerdict("contains", 100.0, 25.0)
    assert {m.bank for m in index.lookup_values(vpdq=clip[1:3])} == {"default", "excerpts-only"}

    overridden = BankIndex(vpdq=policy)
    overridden.set_bank("default", vpdq=VpdqThresholds(contains_percent=100, excerpt_percent=0))
    load(overridden)
    assert [m.bank for m in overridden.lookup_values(vpdq=compilation)] == ["default"]
    # an excerpt: "default" has that direction off now; "excerpts-only" matches
    # with 2 of 2 posted frames found, not with 2 of 3 (66.7 % < 80 %)
    assert [m.bank for m in overridden.lookup_values(vpdq=clip[1:3])] == ["excerpts-only"]
    assert overridden.lookup_values(vpdq=[*clip[1:3], compilation[10]]) == []


def test_a_long_compilation_finds_a_clip_at_its_end() -> None:
    """A 300-frame compilation (searched in batches of frames) with the banked
    clip as its last 6 frames: contains, 100 % of the clip, 2 % of the post."""
    rng = random.Random(8)
    clip = random_hexes(6, rng)
    index = VpdqIndex()
    index.add(1, frames_of(clip))
    index.add(2, frames_of(random_hexes(6, rng)))
    compilation = frames_of([*random_hexes(294, rng), *(near(h, 5) for h in clip)])
    (hit,) = index.lookup(compilation)
    assert (hit.entry_id, hit.verdict.direction, hit.target_percent) == (1, "contains", 100.0)
    assert hit.query_percent == 2.0 and hit.distance == 5
