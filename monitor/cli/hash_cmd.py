"""``chanwatch hash FILE...``: hash files exactly as the pipeline hashes media.

One JSON object per file on stdout: ``file``, ``sha256``, ``md5``, ``pdq``,
``pdq_quality`` (null where the file is not an image or video), plus ``sha1``,
``media_type``, ``status`` and ``reason`` (why an image or video could not be
decoded). ``--vpdq`` adds a video's vPDQ frames, ``--dihedral`` the 8 PDQ
variants of an image. For a video, ``pdq`` is its first hashed frame, as the
pipeline stores it. It uses :func:`handlers.hashing.hash_media`, the very
function the media handler calls.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from handlers.files import read_bounded
from handlers.hashing import MediaHashes, hash_media
from monitor.cli.common import CliContext, SubParsers
from monitor.cli.exits import report
from storage.errors import ChanwatchError

KINDS = ("auto", "photo", "video", "animation", "document", "audio")


def register(sub: SubParsers) -> None:
    """Add ``hash`` to the ``chanwatch`` parser."""
    parser = sub.add_parser(
        "hash",
        help="print SHA-256, MD5, PDQ (and vPDQ) of files as JSON lines",
        description="Hash files with the pipeline's own code; one JSON object per file.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--kind",
        choices=KINDS,
        default="auto",
        help="treat every file as this Telegram media kind (default: detect from content)",
    )
    parser.add_argument("--vpdq", action="store_true", help="include vPDQ frames of videos")
    parser.add_argument(
        "--dihedral", action="store_true", help="include the 8 rotated/flipped PDQ hashes"
    )
    parser.set_defaults(func=run_hash, quiet=True)


def describe(name: str, h: MediaHashes, *, vpdq: bool, dihedral: bool) -> dict[str, Any]:
    """The JSON object printed for one file."""
    out: dict[str, Any] = {
        "file": name,
        "sha256": h.sha256,
        "md5": h.md5,
        "sha1": h.sha1,
        "size": h.size,
        "media_type": h.media_type,
        "pdq": h.pdq,
        "pdq_quality": h.pdq_quality,
        "status": h.status,
        "reason": h.reason,
    }
    if dihedral:
        out["pdq_dihedral"] = list(h.pdq_dihedral) if h.pdq_dihedral else None
    if vpdq:
        out["vpdq"] = [f.line() for f in h.vpdq] if h.vpdq else None
    return out


def run_hash(args: argparse.Namespace, ctx: CliContext) -> int:
    """Hash each file; a file that cannot be read, or is larger than the setting
    ``limits.hash_file_bytes``, is reported on stderr (exit 2) and the others
    are still hashed."""
    status = 0
    kind = "document" if args.kind == "auto" else args.kind
    media = ctx.settings.media
    for path in args.files:
        try:
            data = read_bounded(
                path, ctx.settings.limits.hash_file_bytes, "limits.hash_file_bytes", "file"
            )
        except ChanwatchError as exc:
            status = report(ctx.stderr, exc)
            continue
        hashes = hash_media(
            data,
            kind,
            want_dihedral=args.dihedral,
            max_pixels=media.max_pixels,
            max_frames=media.max_video_frames,
        )
        line = describe(str(path), hashes, vpdq=args.vpdq, dihedral=args.dihedral)
        ctx.stdout.write(json.dumps(line, sort_keys=False) + "\n")
    return status
