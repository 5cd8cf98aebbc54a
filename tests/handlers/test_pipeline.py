"""handlers.pipeline: registry, per-post state, failure isolation, the whole flow."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_support import Source, expected_pdq, image_bytes, media, post, rig_at
from structlog.testing import capture_logs

from handlers.context import Context
from handlers.pipeline import (
    HandlerLoadError,
    Pipeline,
    Registry,
)
from handlers.post import Post
from storage.models import BankEntryIn

SEEN: list[tuple[str, int]] = []


async def remember(p: Post, ctx: Context) -> None:
    """A user handler: notes the post and whether it was committed before it ran."""
    SEEN.append(("remember", p.message_id))
    assert ctx.state.committed


async def explode(p: Post, ctx: Context) -> None:
    raise RuntimeError(f"handler bug on {p.message_id}")


def not_async(p: Post, ctx: Context) -> None:
    """Not a coroutine function: refused."""


def test_default_order() -> None:
    """The built-ins run links first (record stores what it finds), then the rest."""
    assert Registry.default().names() == (
        "links", "record", "media", "match", "alert", "detect"
    )


def test_add_refuses_duplicates_and_plain_functions() -> None:
    """A name is registered once; a handler must be async."""
    reg = Registry()
    reg.add("x", remember)
    with pytest.raises(ValueError, match="already registered"):
        reg.add("x", remember)
    with pytest.raises(TypeError, match="async"):
        reg.add("y", not_async)  # type: ignore[arg-type]


def test_load_dotted() -> None:
    """A user handler named by its dotted path is added under that name."""
    reg = Registry.default()
    reg.load_dotted(f"{__name__}:remember")
    assert reg.names()[-1] == f"{__name__}:remember"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no_such_module_xyz:handle", "cannot import no_such_module_xyz"),
        (f"{__name__}:missing", "has no 'missing'"),
        (f"{__name__}:not_async", "must be an 'async def' function"),
        (f"{__name__}.remember", "expected 'package.module:function'"),
    ],
)
def test_load_dotted_errors(path: str, message: str) -> None:
    """Each kind of bad dotted path gets a clear one-line error naming it."""
    with pytest.raises(HandlerLoadError, match=message) as info:
        Registry().load_dotted(path)
    assert path in str(info.value) and "\n" not in str(info.value)


async def test_text_post_is_committed_and_replay_is_not_new(tmp_path: Path) -> None:
    """A text post is recorded (links included); a replay is committed but not new."""
    async with rig_at(tmp_path) as rig:
        pipeline = Pipeline(Registry.default(), rig.ctx)
        p = post(1, text="see t.me/other_chan and @someone_x")
        first = await pipeline.process(p)
        assert first.committed and first.new and first.ok and first.failed == ()
        assert first.media_id is None and first.alert_id is None
        stored = await rig.store.get_post(500, 1)
        assert stored is not None
        assert stored["links"] == ["https://t.me/other_chan"]
        assert stored["mentions"] == ["@someone_x"]
        again = await pipeline.process(p)
        assert again.committed and not again.new
        assert await rig.store.count_posts(500) == 1


async def test_failing_handler_does_not_stop_the_others(tmp_path: Path) -> None:
    """A handler that raises is logged with the post's ids; later handlers still run."""
    SEEN.clear()
    async with rig_at(tmp_path) as rig:
        reg = Registry.default()
        reg.add("explode", explode)
        reg.load_dotted(f"{__name__}:remember")
        pipeline = Pipeline(reg, rig.ctx)
        with capture_logs() as logs:
            outcome = await pipeline.process(post(7, text="hello"))
        assert outcome.committed and not outcome.ok
        assert outcome.failed == ("explode",)
        assert SEEN == [("remember", 7)]
        (failure,) = [e for e in logs if e["event"] == "handler_failed"]
        assert failure["handler"] == "explode"
        assert failure["channel_id"] == 500 and failure["message_id"] == 7
        assert "handler bug on 7" in failure["error"]
        assert failure["log_level"] == "error"


async def test_record_failure_means_not_committed(tmp_path: Path) -> None:
    """When record fails the outcome says not committed (the cursor must not advance)."""
    async with rig_at(tmp_path) as rig:
        outcome = await Pipeline(Registry.default(), rig.ctx).process(
            post(3, text="x", account="")
        )
        assert not outcome.committed
        assert outcome.failed == ("record",)
        assert await rig.store.count_posts() == 0


async def test_state_is_per_post(tmp_path: Path) -> None:
    """Every post starts with a fresh PostState; the base context is untouched."""
    async with rig_at(tmp_path) as rig:
        a = rig.ctx.for_post(post(1))
        a.state.links = ("x",)
        b = rig.ctx.for_post(post(2))
        assert b.state.links == () and rig.ctx.state.links == ()
        assert a.store is b.store and a.index is b.index


async def test_near_duplicate_photo_raises_one_alert(tmp_path: Path) -> None:
    """The whole flow: an edited copy of a bank image is hashed, matched and alerted."""
    ref_hex, _ = expected_pdq()["aaa-orig.jpg"]
    async with rig_at(tmp_path) as rig:
        ids = await rig.add_bank("demo", [BankEntryIn("pdq", ref_hex, category="A1")])
        pipeline = Pipeline(Registry.default(), rig.ctx)
        source = Source(image_bytes("blur-a-lot.jpg"))
        outcome = await pipeline.process(post(10, text="new pics", media=media(source, "photo:1")))
        assert outcome.ok and outcome.new and outcome.media_id is not None
        assert outcome.alert_id is not None
        alert = await rig.store.get_alert(outcome.alert_id)
        assert alert is not None and alert.state == "open" and alert.priority == 1
        assert alert.due_at == rig.clock.now + rig.config.alert_due
        (match,) = alert.matches
        assert match["bank_entry_id"] == ids[ref_hex] and match["hash_type"] == "pdq"
        assert 0 < match["distance"] <= 31
        # the same post again (a replay) keeps the one alert
        again = await pipeline.process(post(10, text="new pics", media=media(source, "photo:1")))
        assert again.alert_id == outcome.alert_id and source.calls == 1
        assert len(await rig.store.list_alerts()) == 1
