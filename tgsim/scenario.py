"""Scenario files: channels to create and timed steps (posts, edits, deletions,
albums, forwards, faults) for ``python -m tgsim --scenario FILE``.

The format (TOML, or the same structure as JSON) is documented with a complete
example in ``tgsim/README.md``. Parsing checks everything up front and names
the step and field that is wrong; media paths are relative to the file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import mimetypes
import random
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from PIL import Image

from tgsim.quirks import Quirks
from tgsim.server import ChannelHandle, Server

log = structlog.get_logger(__name__)

ACTIONS = ("post", "edit", "delete", "album", "forward", "fault")
MEDIA_KEYS = ("photo", "video", "animation", "document")


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the place."""


@dataclass(frozen=True)
class ChannelSpec:
    """One ``[[channel]]`` table."""

    key: str
    title: str
    username: str | None = None
    private: bool = False
    about: str = ""
    invite_hash: str | None = None


@dataclass(frozen=True)
class Step:
    """One ``[[step]]`` table (fields depend on ``action``)."""

    index: int
    at: float
    action: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario."""

    base_dir: Path
    channels: list[ChannelSpec]
    steps: list[Step]
    #: The ``[quirks]`` table (None when the file has none).
    quirks: Quirks | None = None


def _where(i: int, what: str) -> str:
    return f"step {i + 1} ({what})"


def _need(table: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in table:
        raise ScenarioError(f"{where}: missing '{key}'")
    value = table[key]
    if not isinstance(value, typ):
        raise ScenarioError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    return value


def _parse_date(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        date = value
    elif isinstance(value, str):
        try:
            date = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ScenarioError(f"{where}: bad date {value!r} (use ISO 8601)") from exc
    else:
        raise ScenarioError(f"{where}: 'date' must be an ISO 8601 string")
    return date if date.tzinfo else date.replace(tzinfo=dt.UTC)


def parse(text: str, base_dir: Path, fmt: str = "toml") -> Scenario:
    """Parse scenario text (``fmt`` "toml" or "json")."""
    try:
        doc = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"not valid {fmt.upper()}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ScenarioError("the scenario must be a table/object")
    unknown = set(doc) - {"channel", "step", "quirks"}
    if unknown:
        raise ScenarioError(
            f"unknown top-level keys: {sorted(unknown)} (expected channel, step, quirks)"
        )
    quirks = None
    if "quirks" in doc:
        if not isinstance(doc["quirks"], dict):
            raise ScenarioError("quirks: must be a table")
        try:
            quirks = Quirks.from_mapping(doc["quirks"])
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
    channels: list[ChannelSpec] = []
    for i, table in enumerate(doc.get("channel", [])):
        where = f"channel {i + 1}"
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: must be a table")
        spec = ChannelSpec(
            key=_need(table, "key", str, where),
            title=_need(table, "title", str, where),
            username=table.get("username"),
            private=bool(table.get("private", False)),
            about=str(table.get("about", "")),
            invite_hash=table.get("invite_hash"),
        )
        if any(c.key == spec.key for c in channels):
            raise ScenarioError(f"{where}: duplicate key {spec.key!r}")
        channels.append(spec)
    keys = {c.key for c in channels}
    steps: list[Step] = []
    labels: set[str] = set()
    for i, table in enumerate(doc.get("step", [])):
        if not isinstance(table, dict):
            raise ScenarioError(f"step {i + 1}: must be a table")
        action = table.get("action")
        if action not in ACTIONS:
            raise ScenarioError(f"step {i + 1}: 'action' must be one of {', '.join(ACTIONS)}")
        where = _where(i, action)
        at = table.get("at", 0)
        if not isinstance(at, int | float) or at < 0:
            raise ScenarioError(f"{where}: 'at' must be seconds >= 0")
        args = {k: v for k, v in table.items() if k not in ("action", "at")}
        if action != "fault" and _need(args, "channel", str, where) not in keys:
            raise ScenarioError(f"{where}: unknown channel {args['channel']!r}")
        _check_step(action, args, where, keys, labels, base_dir)
        if "id" in args:
            if args["id"] in labels:
                raise ScenarioError(f"{where}: duplicate id {args['id']!r}")
            labels.add(str(args["id"]))
        steps.append(Step(i, float(at), action, args))
    steps.sort(key=lambda s: (s.at, s.index))
    return Scenario(base_dir, channels, steps, quirks)


def _check_media(args: dict[str, Any], where: str, base_dir: Path) -> None:
    given = [k for k in MEDIA_KEYS if k in args]
    if len(given) > 1:
        raise ScenarioError(f"{where}: at most one of {', '.join(MEDIA_KEYS)}")
    for key in given:
        value = args[key]
        if key == "photo" and isinstance(value, dict):
            continue  # generated picture
        if not isinstance(value, str):
            raise ScenarioError(f"{where}: '{key}' must be a file path")
        if not (base_dir / value).is_file():
            raise ScenarioError(f"{where}: '{key}' file not found: {base_dir / value}")


def _check_step(
    action: str,
    args: dict[str, Any],
    where: str,
    keys: set[str],
    labels: set[str],
    base_dir: Path,
) -> None:
    if "date" in args:
        args["date"] = _parse_date(args["date"], where)
    if action == "post":
        _check_media(args, where, base_dir)
    elif action == "edit":
        if _need(args, "post", str, where) not in labels:
            raise ScenarioError(f"{where}: unknown post id {args['post']!r}")
        _need(args, "text", str, where)
    elif action == "delete":
        for label in _need(args, "posts", list, where):
            if label not in labels:
                raise ScenarioError(f"{where}: unknown post id {label!r}")
    elif action == "album":
        photos = _need(args, "photos", list, where)
        if not 2 <= len(photos) <= 10:
            raise ScenarioError(f"{where}: an album has 2 to 10 photos")
        for p in photos:
            if not isinstance(p, dict) and not (base_dir / str(p)).is_file():
                raise ScenarioError(f"{where}: photo file not found: {base_dir / str(p)}")
    elif action == "forward":
        if _need(args, "post", str, where) not in labels:
            raise ScenarioError(f"{where}: unknown post id {args['post']!r}")
    elif action == "fault":
        _need(args, "error", (str, list), where)
        times = args.get("times", 1)
        if times == "forever":
            args["times"] = None
        elif not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ScenarioError(f"{where}: 'times' must be a count >= 1 or \"forever\"")


def load(path: Path) -> Scenario:
    """Read and parse a scenario file (.toml or .json)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from exc
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    try:
        return parse(text, path.parent, fmt)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def generated_photo(spec: dict[str, Any]) -> bytes:
    """A deterministic JPEG from ``{width, height, seed}`` (blocks of random colour)."""
    width, height = int(spec.get("width", 640)), int(spec.get("height", 480))
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ScenarioError(f"generated photo {spec}: width/height must be 16..4096")
    rng = random.Random(int(spec.get("seed", 0)))  # noqa: S311 - test pictures, not secrets
    img = Image.new("RGB", (width, height))
    block = max(8, min(width, height) // 8)
    for x in range(0, width, block):
        for y in range(0, height, block):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            img.paste(colour, (x, y, x + block, y + block))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


class Runner:
    """Creates a scenario's channels and plays its steps against a server."""

    def __init__(self, sim: Server, scenario: Scenario) -> None:
        self.sim = sim
        self.scenario = scenario
        self.channels: dict[str, ChannelHandle] = {}
        self.posts: dict[str, tuple[ChannelHandle, list[int]]] = {}

    async def create_channels(self) -> dict[str, ChannelHandle]:
        """Create every channel of the scenario."""
        for spec in self.scenario.channels:
            self.channels[spec.key] = await self.sim.create_channel(
                spec.title,
                username=spec.username,
                private=spec.private,
                about=spec.about,
                invite_hash=spec.invite_hash,
            )
        return self.channels

    async def _read(self, rel: str) -> bytes:
        return await asyncio.to_thread((self.scenario.base_dir / rel).read_bytes)

    async def _photo(self, value: Any) -> bytes:
        if isinstance(value, dict):
            return await asyncio.to_thread(generated_photo, value)
        return await self._read(str(value))

    async def play(self) -> None:
        """Run the steps at their times (seconds after this call)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for step in self.scenario.steps:
            delay = start + step.at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self.run_step(step)
            except (ValueError, KeyError, OSError) as exc:
                # One bad step (e.g. an undecodable picture) is reported and skipped.
                log.error("scenario step failed", step=step.index + 1, action=step.action,
                          error=str(exc))
                continue
            log.info("scenario step done", step=step.index + 1, action=step.action)

    async def run_step(self, step: Step) -> None:
        """Apply one step now."""
        a = step.args
        ch = self.channels.get(a.get("channel", ""))
        if step.action == "fault":
            error = a["error"]
            kind = (str(error[0]), float(error[1])) if isinstance(error, list) else error
            self.sim.faults.add(
                request=a.get("request", "*"),
                error=kind,
                times=a.get("times", 1),
                client=a.get("client"),
            )
            return
        assert ch is not None
        if step.action == "post":
            ids = [await self._post(ch, a)]
        elif step.action == "album":
            photos = [await self._photo(p) for p in a["photos"]]
            ids = await self.sim.post_album(ch, photos, text=a.get("text", ""), date=a.get("date"))
        elif step.action == "forward":
            src, src_ids = self.posts[a["post"]]
            ids = [await self.sim.post(ch, forward_from=(src, src_ids[0]), date=a.get("date"))]
        elif step.action == "edit":
            target, target_ids = self.posts[a["post"]]
            await self.sim.edit(target, target_ids[0], text=a["text"], entities=a.get("entities"))
            return
        else:  # delete
            for label in a["posts"]:
                target, target_ids = self.posts[label]
                await self.sim.delete(target, target_ids)
            return
        if "id" in a:
            self.posts[str(a["id"])] = (ch, ids)

    async def _post(self, ch: ChannelHandle, a: dict[str, Any]) -> int:
        kwargs: dict[str, Any] = {
            "text": a.get("text", ""),
            "entities": a.get("entities"),
            "date": a.get("date"),
            "author": a.get("author"),
            "width": int(a.get("width", 0)),
            "height": int(a.get("height", 0)),
            "duration": float(a.get("duration", 0.0)),
        }
        if "photo" in a:
            kwargs["photo"] = await self._photo(a["photo"])
        elif "video" in a:
            kwargs["video"] = await self._read(a["video"])
        elif "animation" in a:
            kwargs["animation"] = await self._read(a["animation"])
        elif "document" in a:
            name = a.get("file_name") or Path(a["document"]).name
            mime = a.get("mime_type") or mimetypes.guess_type(name)[0] or "application/octet-stream"
            kwargs["document"] = (await self._read(a["document"]), name, mime)
        return await self.sim.post(ch, **kwargs)
