"""Turn world state into the installed layer's TL objects, as seen by one user."""

from __future__ import annotations

from typing import Any

from tgsim.media import StoredFile
from tgsim.tlkit import mk, tl
from tgsim.world import Account, Channel, Post, World


def user(acc: Account, viewer: int | None) -> Any:
    """A ``User``; ``self`` and the phone number only for the account itself."""
    is_self = viewer == acc.user_id
    return mk(
        tl.User,
        id=acc.user_id,
        is_self=is_self,
        access_hash=acc.access_hash,
        first_name=acc.first_name,
        last_name=acc.last_name or None,
        username=acc.username,
        phone=acc.phone if is_self else None,
        status=mk(tl.UserStatusRecently),
    )


def channel(ch: Channel, viewer: int | None) -> Any:
    """A ``Channel`` (or ``ChannelForbidden`` for a user banned from it)."""
    if viewer is not None and viewer in ch.banned:
        return mk(
            tl.ChannelForbidden,
            id=ch.id,
            access_hash=ch.access_hash,
            title=ch.title,
            broadcast=True,
        )
    return mk(
        tl.Channel,
        id=ch.id,
        title=ch.title,
        photo=mk(tl.ChatPhotoEmpty),
        date=ch.date,
        broadcast=True,
        left=viewer not in ch.members,
        access_hash=ch.access_hash,
        username=ch.username,
        participants_count=len(ch.members),
    )


def peer(ch: Channel) -> Any:
    """``PeerChannel`` of a channel."""
    return mk(tl.PeerChannel, channel_id=ch.id)


def _photo(f: StoredFile) -> Any:
    sizes = [
        mk(tl.PhotoSize, type=s.type, w=s.w, h=s.h, size=len(s.data)) for s in f.sizes
    ]
    return mk(
        tl.Photo,
        id=f.id,
        access_hash=f.access_hash,
        file_reference=f.file_reference,
        date=f.date,
        sizes=sizes,
        dc_id=0,
    )


def _document(f: StoredFile, dc_id: int) -> Any:
    attrs: list[Any] = []
    if f.media_kind in ("video", "animation"):
        attrs.append(
            mk(
                tl.DocumentAttributeVideo,
                duration=f.duration,
                w=f.width,
                h=f.height,
                supports_streaming=True,
            )
        )
    if f.media_kind == "animation":
        attrs.append(mk(tl.DocumentAttributeAnimated))
        if f.mime_type == "image/gif":
            attrs.append(mk(tl.DocumentAttributeImageSize, w=f.width, h=f.height))
    if f.file_name:
        attrs.append(mk(tl.DocumentAttributeFilename, file_name=f.file_name))
    return mk(
        tl.Document,
        id=f.id,
        access_hash=f.access_hash,
        file_reference=f.file_reference,
        date=f.date,
        mime_type=f.mime_type,
        size=len(f.data),
        dc_id=dc_id,
        attributes=attrs,
    )


def media(f: StoredFile | None, dc_id: int) -> Any:
    """``MessageMedia*`` for a stored file (None for text posts)."""
    if f is None:
        return None
    if f.kind == "photo":
        p = _photo(f)
        p.dc_id = dc_id
        return mk(tl.MessageMediaPhoto, photo=p)
    return mk(
        tl.MessageMediaDocument,
        document=_document(f, dc_id),
        video=f.media_kind == "video" or None,
    )


def message(world: World, ch: Channel, post: Post) -> Any:
    """A channel post as ``Message``."""
    fwd = None
    if post.fwd_from is not None:
        src_id, src_msg, src_date, src_author = post.fwd_from
        fwd = mk(
            tl.MessageFwdHeader,
            date=src_date,
            from_id=mk(tl.PeerChannel, channel_id=src_id),
            channel_post=src_msg,
            post_author=src_author,
        )
    return mk(
        tl.Message,
        id=post.id,
        peer_id=peer(ch),
        date=post.date,
        message=post.text,
        post=True,
        entities=list(post.entities) or None,
        media=media(post.media, world.dc_id),
        fwd_from=fwd,
        views=post.views,
        forwards=0,
        edit_date=post.edit_date,
        post_author=post.author,
        grouped_id=post.grouped_id,
    )


def message_empty(ch: Channel, msg_id: int) -> Any:
    """``MessageEmpty`` for an id that does not (or no longer) exist."""
    return mk(tl.MessageEmpty, id=msg_id, peer_id=peer(ch))


def chats_for(world: World, posts: list[Post], ch: Channel, viewer: int | None) -> list[Any]:
    """The channel plus every channel the posts were forwarded from."""
    seen = {ch.id}
    out = [channel(ch, viewer)]
    for post in posts:
        if post.fwd_from is not None and post.fwd_from[0] not in seen:
            src = world.channels.get(post.fwd_from[0])
            if src is not None:
                seen.add(src.id)
                out.append(channel(src, viewer))
    return out
