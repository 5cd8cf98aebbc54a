"""The ``record`` handler: turn a :class:`Post` into a ``PostRecord`` and commit it.

The store's ``record_post`` returns once the writer task has committed, so after
this handler ``ctx.state.committed`` is true and the caller may advance the
channel's cursor. Replays are idempotent (the store keys posts by channel id and
message id); an edit keeps the previous text in the store's edit history. The
store appends the ledger record (``post.captured`` / ``post.edited``) in the same
transaction, under the post's ``authority``.
"""

from __future__ import annotations

import json

from handlers.context import Context
from handlers.post import Post
from storage.models import PostRecord


def entities_json(post: Post) -> str:
    """The entities as a JSON list of ``{"type","offset","length","url"}``."""
    return json.dumps(
        [
            {"type": e.type, "offset": e.offset, "length": e.length, "url": e.url}
            for e in post.entities
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def to_record(post: Post, ctx: Context) -> PostRecord:
    """The row to store. Raises ValueError for a post without its capturing account."""
    if not post.account:
        raise ValueError("the post names no capturing account (Post.account is empty)")
    fwd = post.forward
    return PostRecord(
        channel_id=post.channel_id,
        message_id=post.message_id,
        date=post.date,
        text=post.text,
        edit_date=post.edit_date,
        author_signature=post.author_signature,
        views=post.views,
        forwards=post.forwards,
        fwd_channel_id=fwd.channel_id if fwd else None,
        fwd_message_id=fwd.message_id if fwd else None,
        fwd_from_name=fwd.from_name if fwd else None,
        fwd_date=fwd.date if fwd else None,
        reply_to=post.reply_to,
        grouped_id=post.grouped_id,
        entities_json=entities_json(post),
        links=ctx.state.links,
        mentions=ctx.state.mentions,
        captured_at=ctx.clock(),
        captured_by=post.account,
        has_media=post.media is not None,
        authority=post.authority,
    )


async def handle_record(post: Post, ctx: Context) -> None:
    """Commit the post; afterwards ``ctx.state.committed`` is true."""
    ctx.state.new = await ctx.store.record_post(to_record(post, ctx))
    ctx.state.committed = True
    ctx.log.debug("post_recorded", new=ctx.state.new)
