"""Shared pieces of the pipeline and built-in handler tests: a real SQLite store,
the real bank index the monitor uses, real images from tests/data/pdq,
and posts whose media is "downloaded" from bytes held by the test (Telegram is
the one part these tests cannot run; the end-to-end tests use tgsim)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clocks import TestClock
from PIL import Image

from handlers.context import Context, PipelineConfig
from handlers.hashing import VpdqPolicy
from handlers.index.live import LiveBankIndex, load_index
from handlers.pipeline import new_context
from handlers.post import MediaKind, MediaRef, MediaTooLarge, Post
from storage.models import BankEntryIn
from storage.sqlite import SQLiteStore

TESTDATA = Path(__file__).resolve().parent / "data"
PDQ_DIR = TESTDATA / "pdq"
BRIDGE = PDQ_DIR / "bridge-mods"
T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
ACTOR = "local:test"


def expected_pdq() -> dict[str, tuple[str, int]]:
    """``file name -> (pdq hex, quality)`` from the reference implementation."""
    out: dict[str, tuple[str, int]] = {}
    lines = (PDQ_DIR / "expected.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        hex_, quality, file = line.split(",")
        out[Path(file).name] = (hex_, int(quality))
    return out


def image_bytes(name: str) -> bytes:
    return (BRIDGE / name).read_bytes()


def transformed_jpeg(name: str, op: Image.Transpose) -> bytes:
    """The image rotated or flipped, re-encoded as JPEG (a repost edited that way)."""
    with Image.open(BRIDGE / name) as img:
        out = io.BytesIO()
        img.transpose(op).convert("RGB").save(out, "JPEG", quality=90)
        return out.getvalue()


def noise_jpeg(seed: int = 7, size: int = 256) -> bytes:
    """An unrelated image: random pixels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Source:
    """Bytes standing for a file on Telegram; counts the downloads."""

    data: bytes
    fail_with: Exception | None = None
    calls: int = 0

    async def fetch(self, max_bytes: int) -> bytes:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        if len(self.data) > max_bytes:
            raise MediaTooLarge(f"{len(self.data)} > {max_bytes}")
        return self.data


def media(
    source: Source | None,
    file_id: str,
    kind: MediaKind = "photo",
    *,
    size: int | None = -1,
    mime: str | None = None,
    **extra: Any,
) -> MediaRef:
    """A MediaRef fetched from ``source`` (``size=-1``: the source's real size)."""
    real = len(source.data) if source is not None else None
    return MediaRef(
        kind=kind,
        file_id=file_id,
        size=real if size == -1 else size,
        mime=mime if mime is not None else ("image/jpeg" if kind == "photo" else None),
        fetch=source.fetch if source is not None else None,
        **extra,
    )


def post(message_id: int, *, channel_id: int = 500, text: str = "", **fields: Any) -> Post:
    return Post(
        channel_id=channel_id,
        message_id=message_id,
        date=T0 + timedelta(minutes=message_id),
        text=text,
        account=fields.pop("account", "main"),
        **fields,
    )


@dataclass
class Rig:
    """A store, the monitor's bank index over it, and a pipeline context."""

    store: SQLiteStore
    index: LiveBankIndex
    clock: TestClock
    config: PipelineConfig
    ctx: Context
    entries: dict[str, int] = field(default_factory=dict)

    async def add_bank(
        self, name: str, entries: list[BankEntryIn], threshold: int = 31
    ) -> dict[str, int]:
        """Create and fill a bank, reload the index; ``hash value -> entry id``."""
        await self.store.create_bank(name, threshold, ACTOR)
        await self.store.import_bank_entries(name, entries, ACTOR, f"{name}.csv")
        await self.index.reload_if_changed(self.store)
        async for entry in self.store.iter_bank_entries():
            self.entries[entry.hash_value] = entry.id
        return self.entries

    def for_post(self, p: Post) -> Context:
        return self.ctx.for_post(p)


def config(**overrides: Any) -> PipelineConfig:
    values: dict[str, Any] = {
        "media_max_bytes": 5 * 1024 * 1024,
        "hash_kinds": frozenset({"photo", "video", "animation", "document", "sticker"}),
        "category_priority": {"A1": 1, "A2": 2, "B2": 3},
        "default_priority": 4,
    }
    values.update(overrides)
    return PipelineConfig(**values)


@asynccontextmanager
async def rig_at(
    tmp_path: Path, *, vpdq: VpdqPolicy | None = None, **overrides: Any
) -> AsyncIterator[Rig]:
    """A :class:`Rig` on ``tmp_path/chanwatch.db``, closed on exit (``vpdq``: the
    index's vPDQ thresholds; ``overrides``: the pipeline config's)."""
    clock = TestClock(T0)
    store = SQLiteStore(tmp_path / "chanwatch.db", clock=clock)
    await store.open()
    try:
        index = await load_index(store, vpdq)
        cfg = config(**overrides)
        ctx = new_context(store, index, cfg, clock=clock)
        yield Rig(store, index, clock, cfg, ctx)
    finally:
        await store.close()



def make_video(frames: list[Image.Image], size: tuple[int, int], *, fps: int = 5,
               fmt: str = "mp4", codec: str = "libx264") -> bytes:
    """Encode ``frames`` (one frame period each) into a video in memory with PyAV."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for img in frames:
            frame = av.VideoFrame.from_image(img.convert("RGB").resize(size))  # type: ignore[no-untyped-call]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def video_scenes(seed: int | None) -> list[Image.Image]:
    """Four seconds at 5 fps: the bridge photo slowly rotating (``None``), or noise."""
    import numpy as np

    if seed is None:
        base = Image.open(BRIDGE / "aaa-orig.jpg").convert("RGB").resize((640, 400))
        return [base.rotate(i * 3) for i in range(20)]
    rng = np.random.default_rng(seed)
    out: list[Image.Image] = []
    for _ in range(4):
        noise = Image.fromarray(rng.integers(0, 255, (25, 40, 3), dtype=np.uint8))
        out.extend([noise.resize((640, 400))] * 5)
    return out
