"""Conversion of real Telethon TL objects into Post / MediaRef values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telethon.tl import types

from monitor.telegram.convert import (
    channel_id_of,
    document_kind,
    entity_type_name,
    is_post,
    largest_photo_size,
    to_post,
)

DATE = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def _photo(sizes: list[types.TypePhotoSize]) -> types.Photo:
    return types.Photo(
        id=777, access_hash=5, file_reference=b"ref", date=DATE, sizes=sizes, dc_id=2
    )


def _doc(attrs: list[types.TypeDocumentAttribute], mime: str = "video/mp4") -> types.Document:
    return types.Document(
        id=888, access_hash=6, file_reference=b"r", date=DATE, mime_type=mime,
        size=123456, dc_id=2, attributes=attrs,
    )


def _msg(**kw: object) -> types.Message:
    base: dict[str, object] = {
        "id": 42, "peer_id": types.PeerChannel(1001), "date": DATE, "message": "hello",
    }
    base.update(kw)
    return types.Message(**base)  # type: ignore[arg-type]


def test_text_post_with_metadata() -> None:
    """A text post keeps its ids, dates, author, counters, reply, album and entities."""
    edit = datetime(2026, 11, 21, 13, 0, tzinfo=UTC)
    msg = _msg(
        message="see https://example.org and @someone",
        edit_date=edit, post_author="Editor", views=10, forwards=2, grouped_id=99,
        reply_to=types.MessageReplyHeader(reply_to_msg_id=40),
        entities=[
            types.MessageEntityUrl(offset=4, length=19),
            types.MessageEntityMention(offset=28, length=8),
            types.MessageEntityTextUrl(offset=0, length=3, url="https://x.test"),
        ],
    )
    post = to_post(msg, account="acct")
    assert (post.channel_id, post.message_id) == (1001, 42)
    assert post.date == DATE and post.edit_date == edit
    assert post.author_signature == "Editor"
    assert (post.views, post.forwards, post.reply_to, post.grouped_id) == (10, 2, 40, 99)
    assert [e.type for e in post.entities] == ["url", "mention", "text_url"]
    assert post.entities[2].url == "https://x.test"
    assert post.account == "acct"
    assert post.media is None


def test_forward_origin_from_channel() -> None:
    """A forwarded post records the origin channel, its message id and the author."""
    fwd = types.MessageFwdHeader(
        date=DATE, from_id=types.PeerChannel(555), channel_post=7, post_author="A"
    )
    post = to_post(_msg(fwd_from=fwd), account="a")
    assert post.forward is not None
    assert (post.forward.channel_id, post.forward.message_id) == (555, 7)
    assert post.forward.post_author == "A" and post.forward.date == DATE


def test_forward_origin_hidden_user() -> None:
    """A forward from a user who hides their account keeps only the name."""
    fwd = types.MessageFwdHeader(date=DATE, from_name="Someone")
    post = to_post(_msg(fwd_from=fwd), account="a")
    assert post.forward is not None
    assert post.forward.from_name == "Someone" and post.forward.channel_id is None


def test_photo_uses_largest_size() -> None:
    """A photo's MediaRef describes its largest size, never the stripped preview."""
    photo = _photo([
        types.PhotoStrippedSize(type="i", bytes=b"\x01\x02"),
        types.PhotoSize(type="m", w=320, h=240, size=9000),
        types.PhotoSizeProgressive(type="y", w=1280, h=960, sizes=[1000, 5000, 60000]),
        types.PhotoSize(type="x", w=800, h=600, size=30000),
    ])
    seen: list[object] = []

    def factory(obj: object, message: object) -> None:
        seen.append(obj)
        return None

    post = to_post(_msg(media=types.MessageMediaPhoto(photo=photo)), account="a",
                   fetcher_factory=factory)
    assert post.media is not None
    assert post.media.kind == "photo" and post.media.file_id == "photo:777"
    assert (post.media.width, post.media.height, post.media.size) == (1280, 960, 60000)
    assert seen == [photo]
    size = largest_photo_size(photo)
    assert size is not None and size.type == "y"


@pytest.mark.parametrize(
    ("attrs", "kind"),
    [
        ([types.DocumentAttributeVideo(duration=3.5, w=640, h=360)], "video"),
        ([types.DocumentAttributeVideo(duration=3, w=240, h=240, round_message=True)], "round"),
        ([types.DocumentAttributeAnimated(), types.DocumentAttributeVideo(duration=1, w=2, h=2)],
         "animation"),
        ([types.DocumentAttributeAudio(duration=9, voice=True)], "voice"),
        ([types.DocumentAttributeAudio(duration=9, title="t")], "audio"),
        ([types.DocumentAttributeFilename(file_name="report.pdf")], "document"),
    ],
)
def test_document_kinds(attrs: list[types.TypeDocumentAttribute], kind: str) -> None:
    """Documents are classified from their attributes as Telegram's apps do."""
    assert document_kind(_doc(attrs)) == kind


def test_document_metadata() -> None:
    """A document keeps its file id, size, mime, dimensions, duration and file name."""
    doc = _doc([
        types.DocumentAttributeVideo(duration=12.5, w=640, h=360),
        types.DocumentAttributeFilename(file_name="clip.mp4"),
    ])
    post = to_post(_msg(media=types.MessageMediaDocument(document=doc)), account="a")
    m = post.media
    assert m is not None
    assert (m.kind, m.file_id, m.size, m.mime) == ("video", "video:888", 123456, "video/mp4")
    assert (m.width, m.height, m.duration, m.file_name) == (640, 360, 12.5, "clip.mp4")


def test_web_page_preview_is_not_media() -> None:
    """A link preview is not a file: no MediaRef."""
    media = types.MessageMediaWebPage(webpage=types.WebPageEmpty(id=1))
    assert to_post(_msg(media=media), account="a").media is None


def test_service_and_private_messages_are_refused() -> None:
    """Service messages and messages outside channels are not posts."""
    service = types.MessageService(
        id=1, peer_id=types.PeerChannel(1), date=DATE,
        action=types.MessageActionChannelCreate(title="t"),
    )
    assert not is_post(service)
    with pytest.raises(ValueError, match="not a post"):
        to_post(service, account="a")
    private = _msg(peer_id=types.PeerUser(5))
    assert channel_id_of(private) is None
    with pytest.raises(ValueError, match="not from a channel"):
        to_post(private, account="a")


def test_entity_type_names() -> None:
    """Entity class names become snake_case type names."""
    assert entity_type_name(types.MessageEntityTextUrl(0, 1, "u")) == "text_url"
    assert entity_type_name(types.MessageEntityMentionName(0, 1, 5)) == "mention_name"
