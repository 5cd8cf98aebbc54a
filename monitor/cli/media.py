"""``chanwatch media spread ID``: where a picture or video came from and where it went.

Lists every sighting of the medium and of the media that are the same (same
SHA-256 or MD5) or near it (PDQ within ``--threshold``, default
``matching.pdq_threshold``, of any rotation or flip; quality at least
``matching.pdq_min_quality``) across channels and posts: first seen, each
channel and post with its date, and the forward chains (``fwd_from``). Read-only;
metadata only, never the media. ``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
from typing import Any

from handlers.spread import Spread, UnknownMedia, media_spread
from monitor.cli.arguments import row_id
from monitor.cli.common import (
    CliContext,
    SubParsers,
    UsageError,
    add_json_flag,
    open_store,
    say,
    write_json_line,
    write_table,
)
from storage.models import Sighting

COLUMNS = ("post_date", "channel", "message_id", "media_id", "relation", "forwarded_from",
           "alert")


def register(sub: SubParsers) -> None:
    media = sub.add_parser("media", help="recorded media: spread across channels")
    cmds = media.add_subparsers(dest="media_command", metavar="ACTION", required=True)
    spread = cmds.add_parser(
        "spread", help="every sighting of a medium and its copies, with forward chains"
    )
    spread.add_argument("id", type=row_id, help="media id (as in `alerts show`)")
    spread.add_argument(
        "--threshold", type=int,
        help="PDQ Hamming distance for near copies (0..256; default: matching.pdq_threshold)",
    )
    add_json_flag(spread)
    spread.set_defaults(func=cmd_spread, quiet=True)


def _channel(s: Sighting) -> str:
    name = f"@{s.channel_username}" if s.channel_username else (s.channel_title or "")
    return f"{s.channel_id} {name}".strip()


def sighting_row(s: Sighting, relation: str) -> dict[str, Any]:
    return {
        "post_date": s.post_date,
        "seen_at": s.seen_at,
        "channel_id": s.channel_id,
        "channel": _channel(s),
        "message_id": s.message_id,
        "media_id": s.media_id,
        "relation": relation,
        "forwarded_from": (
            f"{s.fwd_channel_id}/{s.fwd_message_id}" if s.fwd_channel_id is not None else None
        ),
        "fwd_channel_id": s.fwd_channel_id,
        "fwd_message_id": s.fwd_message_id,
        "fwd_date": s.fwd_date,
        "alert": f"{s.alert_id} {s.alert_state}" if s.alert_id is not None else None,
    }


def spread_object(spread: Spread) -> dict[str, Any]:
    """The spread as one JSON-ready object."""
    relation = {r.media_id: r.relation + (f":{r.distance}" if r.relation == "pdq" else "")
                for r in spread.related}
    first = spread.first_seen
    return {
        "media_id": spread.media.id,
        "kind": spread.media.kind,
        "sha256": spread.media.sha256,
        "pdq": spread.media.pdq,
        "related": [
            {"media_id": r.media_id, "relation": r.relation, "distance": r.distance}
            for r in spread.related
        ],
        "first_seen": None if first is None else sighting_row(first, relation[first.media_id]),
        "channels": list(spread.channels),
        "sightings": [sighting_row(s, relation[s.media_id]) for s in spread.sightings],
        "forwards": [
            {
                "from_channel_id": f.from_channel_id,
                "from_message_id": f.from_message_id,
                "from_date": f.from_date,
                "to_channel_id": f.to_channel_id,
                "to_message_id": f.to_message_id,
                "source_recorded": f.source_recorded,
            }
            for f in spread.forwards
        ],
    }


async def cmd_spread(args: argparse.Namespace, ctx: CliContext) -> int:
    threshold = args.threshold if args.threshold is not None else (
        ctx.settings.matching.pdq_threshold
    )
    if not 0 <= threshold <= 256:
        raise UsageError(f"--threshold must be a Hamming distance 0..256, not {threshold}")
    async with open_store(ctx) as store:
        try:
            spread = await media_spread(
                store, args.id, pdq_threshold=threshold,
                min_quality=ctx.settings.matching.pdq_min_quality,
            )
        except UnknownMedia as exc:
            raise UsageError(str(exc)) from None
    obj = spread_object(spread)
    if getattr(args, "json", False):
        write_json_line(ctx, obj)
        return 0
    first = obj["first_seen"]
    say(ctx, f"media {spread.media.id} ({spread.media.kind}): {len(spread.related)} medi"
             f"{'um' if len(spread.related) == 1 else 'a'}, {len(spread.sightings)} "
             f"sighting(s) in {len(spread.channels)} channel(s)")
    if first is None:
        say(ctx, "first seen: never (no sighting recorded)")
        return 0
    say(ctx, f"first seen: {first['post_date'] or first['seen_at']} in {first['channel']} "
             f"post {first['message_id']}")
    write_table(ctx, obj["sightings"], COLUMNS)
    for f in spread.forwards:
        source = "recorded" if f.source_recorded else "not recorded"
        say(ctx, f"forward: {f.from_channel_id}/{f.from_message_id} ({source}) -> "
                 f"{f.to_channel_id}/{f.to_message_id}")
    return 0
