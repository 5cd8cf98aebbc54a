"""``chanwatch posts list|show``: what the monitor recorded of a channel.

``posts list`` lists a channel's posts (``--channel``, the numeric channel id
that ``watch list`` and ``alerts list`` show), newest first, within a period
(``--since``/``--until``); a post's text is shortened there. ``posts show
CHANNEL MESSAGE`` shows one post in full with every edit (the replaced texts,
oldest first) and its deletion, if one was seen. Showing a post's text is
sensitive: each ``posts show`` is audited (``record.view``, in the evidence
ledger) before the post is printed. Both need a logged-in user.
"""

from __future__ import annotations

import argparse
from typing import Any

from monitor.cli.access_support import parse_when
from monitor.cli.arguments import row_id
from monitor.cli.common import (
    CliContext,
    SubParsers,
    UsageError,
    add_json_flag,
    emit_list,
    emit_object,
    open_store,
)
from storage.changes import audited
from storage.errors import NotFound
from storage.repos import Transaction

COLUMNS = ("channel_id", "message_id", "date", "edit_date", "deleted_at", "has_media", "text")
#: Characters of a post's text in ``posts list`` (``posts show`` prints it all).
LIST_PREVIEW = 80


def register(sub: SubParsers) -> None:
    posts = sub.add_parser("posts", help="recorded posts of the watched channels (login)")
    cmds = posts.add_subparsers(dest="posts_command", metavar="ACTION", required=True)

    lst = cmds.add_parser("list", help="a channel's recorded posts, newest first")
    lst.add_argument(
        "--channel",
        type=row_id,
        help="the channel's numeric id (CHANNEL_ID in `chanwatch watch list`, "
        "`chanwatch alerts list`); default: every channel",
    )
    lst.add_argument("--since", help="posts dated at or after (2026-06-30, 2026-06-30T12:00Z)")
    lst.add_argument("--until", help="posts dated before (2026-06-30, 2026-06-30T12:00Z, now)")
    lst.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    show = cmds.add_parser(
        "show", help="one post in full, with its edits and deletion (audited: record.view)"
    )
    show.add_argument("channel", type=row_id, help="the channel's numeric id (`posts list`)")
    show.add_argument("message", type=row_id, help="the message id in it (`posts list`)")
    add_json_flag(show)
    show.set_defaults(func=cmd_show, quiet=True)


def post_row(post: dict[str, Any], preview: int | None = None) -> dict[str, Any]:
    text = str(post.get("text") or "")
    if preview is not None and len(text) > preview:
        text = text[:preview] + "…"
    return {
        "channel_id": post["channel_id"],
        "message_id": post["message_id"],
        "date": post.get("date"),
        "edit_date": post.get("edit_date"),
        "edits": len(post.get("edits") or []),
        "deleted_at": post.get("deleted_at"),
        "has_media": bool(post.get("has_media")),
        "text": text,
    }


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    if not 1 <= args.limit <= 10_000:
        raise UsageError(f"--limit must be 1..10000, not {args.limit}")
    since = parse_when(args.since) if args.since else None
    until = parse_when(args.until) if args.until else None
    async with open_store(ctx) as store:
        posts = await store.snapshot(
            lambda tx: tx.posts.between(args.channel, since, until, args.limit)
        )
    rows = [post_row(p, LIST_PREVIEW) for p in posts]
    for row in rows:
        del row["edits"]  # the list does not load edits: `posts show` does
    emit_list(args, ctx, rows, COLUMNS, empty="no posts")
    return 0


async def cmd_show(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = args.login_user

    async def view(tx: Transaction) -> dict[str, Any]:
        post = await tx.posts.get(args.channel, args.message)
        if post is None:
            raise NotFound(f"no recorded post {args.message} in channel {args.channel}")
        await audited(
            tx,
            actor=actor,
            action="record.view",
            subject=f"post:{args.channel}:{args.message}",
        )
        return post

    async with open_store(ctx) as store:
        post = await store.transaction(view)
    obj = post_row(post)
    obj["edit_list"] = [
        {"edit_date": e["edit_date"], "seen_at": e["seen_at"], "previous_text": e["previous_text"]}
        for e in post.get("edits") or []
    ]
    emit_object(args, ctx, obj)
    return 0
