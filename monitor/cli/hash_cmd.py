"""``chanwatch hash FILE...``: hash files exactly as the pipeline hashes media.

One JSON object per file on stdout: ``file``, ``sha256``, ``md5``, ``pdq``,
``pdq_quality`` (null where the file is not an image or video), plus ``sha1``,
``media_type``, ``status`` and ``reason`` (why an image or video could not be
decoded). ``--vpdq`` adds a video's vPDQ frames, ``--dihedral`` the 8 PDQ
variants of an image. For a video, ``pdq`` is its first hashed frame, as the
pipeline stores it. It uses :func:`handlers.hashing.hash_media`, the very
function the media handler calls.

``--detect`` adds ``detections``: each detector's output on the file (the
``[detectors]`` settings: the built-in and ``detectors.extra``), as the
pipeline's detector stage computes it (same pictures, same worker pool, same
budget): detector, signal, model, version, every label's score (each label's
maximum over a video's keyframes), ``flagged`` (the top score reaches the
threshold), or the ``error`` when the detector failed. A file the detectors
cannot see (not an image or a video) gets an empty list.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from handlers.detect import DetectorStage, Outcome, sample_bytes
from handlers.files import read_bounded
from handlers.hashing import MediaHashes, hash_media
from monitor.cli.common import CliContext, SubParsers, UsageError
from monitor.cli.exits import report
from monitor.detectors import start_detectors
from storage.detection_models import score_text
from storage.errors import ChanwatchError

KINDS = ("auto", "photo", "video", "animation", "document", "audio")


def register(sub: SubParsers) -> None:
    """Add ``hash`` to the ``chanwatch`` parser."""
    parser = sub.add_parser(
        "hash",
        help="print SHA-256, MD5, PDQ (and vPDQ) of files as JSON lines",
        description="Hash files with the pipeline's own code; one JSON object per file.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="files to hash (pictures, videos, anything)")
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
    parser.add_argument(
        "--detect", action="store_true",
        help="run the detectors on each file and print their labels and scores",
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


def outcome_row(stage: DetectorStage, outcome: Outcome) -> dict[str, Any]:
    """One detector's output on one file, as ``--detect`` prints it."""
    row: dict[str, Any] = {"detector": outcome.detector, "signal": outcome.signal}
    finding = outcome.finding
    if finding is None:
        row.update(error=f"{outcome.failure}: {outcome.error}", flagged=False)
        return row
    row.update(
        model=finding.model, version=finding.version,
        scores={k: score_text(v) for k, v in sorted(finding.scores.items())},
        flagged=stage.flags(outcome.detector, finding.scores),
        threshold=stage.config.threshold_of(outcome.detector),
        frames=outcome.frames, frame_time=outcome.frame_time,
    )
    if finding.evidence:
        row["evidence"] = dict(finding.evidence)
    return row


async def run_detect(args: argparse.Namespace, ctx: CliContext) -> int:
    """``hash --detect``: hashes as without it, plus every detector's output."""
    stage = await start_detectors(ctx.settings)
    if stage is None:
        raise UsageError(
            "no detector to run: install the built-in with pip install 'chanwatch[detect]' "
            "or name yours in detectors.extra (CHANWATCH_DETECTORS__EXTRA)"
        )
    status = 0
    kind = "document" if args.kind == "auto" else args.kind
    conf = stage.config
    keep = any(i.wants_bytes for i in stage.detectors.values())
    limits = ctx.settings.media
    try:
        for path in args.files:
            try:
                data = read_bounded(
                    path, ctx.settings.limits.hash_file_bytes, "limits.hash_file_bytes", "file"
                )
            except ChanwatchError as exc:
                status = report(ctx.stderr, exc)
                continue
            hashes, media = await asyncio.to_thread(
                sample_bytes, data, kind, max_side=conf.max_side, max_frames=conf.max_frames,
                keep_bytes=keep, max_pixels=limits.max_pixels,
                max_video_frames=limits.max_video_frames,
            )
            line = describe(str(path), hashes, vpdq=args.vpdq, dihedral=args.dihedral)
            outcomes = await stage.detect(media) if media is not None else []
            line["detections"] = [outcome_row(stage, o) for o in outcomes]
            ctx.stdout.write(json.dumps(line, sort_keys=False) + "\n")
    finally:
        await stage.close()
    return status


def run_hash(args: argparse.Namespace, ctx: CliContext) -> Any:
    """Hash each file; a file that cannot be read, or is larger than the setting
    ``limits.hash_file_bytes``, is reported on stderr (exit 2) and the others
    are still hashed."""
    if args.detect:
        return run_detect(args, ctx)
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
