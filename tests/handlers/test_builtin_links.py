"""handlers.builtin.links: URLs, t.me links and @mentions from text and entities."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.builtin.links import extract
from handlers.post import Entity


def utf16_offset(text: str, sub: str) -> int:
    """Telegram's offset of ``sub`` in ``text``: UTF-16 code units."""
    return len(text[: text.index(sub)].encode("utf-16-le")) // 2


def utf16_len(sub: str) -> int:
    return len(sub.encode("utf-16-le")) // 2


def entity(text: str, sub: str, type_: str, url: str | None = None) -> Entity:
    return Entity(type=type_, offset=utf16_offset(text, sub), length=utf16_len(sub), url=url)


def test_plain_text_urls_tme_links_and_mentions() -> None:
    """Without entities, patterns find URLs, bare t.me links and @names, in text order."""
    text = "Join t.me/SomeChannel or https://example.org/a?b=1, ask @admin_bot."
    links, mentions = extract(text, ())
    assert links == ("https://t.me/SomeChannel", "https://example.org/a?b=1")
    assert mentions == ("@admin_bot",)


def test_entities_with_emoji_offsets() -> None:
    """Entity offsets count UTF-16 units: an emoji before the link shifts them by two."""
    text = "🔥🔥 new: t.me/+AbCdEf123 and @chan_two"
    ents = (
        entity(text, "t.me/+AbCdEf123", "url"),
        entity(text, "@chan_two", "mention"),
    )
    links, mentions = extract(text, ents)
    assert links == ("https://t.me/+AbCdEf123",)
    assert mentions == ("@chan_two",)


def test_text_url_hidden_target() -> None:
    """A text link's hidden target is recorded, not only the visible words."""
    text = "click here for more"
    ents = (entity(text, "here", "text_url", url="https://t.me/hidden_place/12"),)
    links, _ = extract(text, ents)
    assert links == ("https://t.me/hidden_place/12",)


def test_mention_name_without_username() -> None:
    """A mention of a user without a username is kept as tg://user?id=N."""
    text = "thanks John"
    ents = (entity(text, "John", "mention_name", url="tg://user?id=4242"),)
    _, mentions = extract(text, ents)
    assert mentions == ("tg://user?id=4242",)


def test_duplicates_and_case() -> None:
    """Each link and mention once; t.me links and @names compare case-insensitively."""
    text = "t.me/Chan https://t.me/chan http://T.me/CHAN @Bobby @bobby @BOBBY"
    links, mentions = extract(text, ())
    assert links == ("https://t.me/Chan",)
    assert mentions == ("@Bobby",)


def test_trailing_punctuation_and_emails() -> None:
    """Sentence punctuation is not part of a URL; an e-mail address is no mention."""
    text = "See (https://example.com/x). Mail a.b@example.com!"
    links, mentions = extract(text, ())
    assert links == ("https://example.com/x",)
    assert mentions == ()


def test_nothing_found() -> None:
    """Text without links gives empty tuples."""
    assert extract("just words, 5 @ 3", ()) == ((), ())


def test_handler_fills_state() -> None:
    """The handler puts what it found into the per-post state for record."""
    import asyncio

    import structlog

    from handlers.builtin.links import handle_links
    from handlers.context import Context, PipelineConfig
    from handlers.post import Post

    post = Post(channel_id=1, message_id=2, date=datetime(2026, 1, 1, tzinfo=UTC),
                text="@alpha_x see t.me/beta_y", account="main")
    ctx = Context(
        store=None,  # type: ignore[arg-type]  # links touches neither store nor index
        index=None,  # type: ignore[arg-type]
        config=PipelineConfig(media_max_bytes=1, hash_kinds=frozenset()),
        log=structlog.get_logger(),
    ).for_post(post)
    asyncio.run(handle_links(post, ctx))
    assert ctx.state.links == ("https://t.me/beta_y",)
    assert ctx.state.mentions == ("@alpha_x",)
