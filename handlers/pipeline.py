"""The message pipeline: handler protocol, explicit registry, context, runner.

A handler is a plain ``async def handle(post, ctx) -> None``. The pipeline runs
the registered handlers in order for each post. One failing handler is logged
with the post's ids and does not stop the others; :class:`PostOutcome` says
which failed and whether the post was committed.

Per-post state: ``Pipeline.process`` calls ``ctx.for_post(post)``, which returns
a copy of the context with a fresh :class:`PostState` and a logger bound to the
post's ids. Handlers pass what they learned to later handlers through it (links
found, the media row, bank hits, the alert).

Built-in order (:meth:`Registry.default`): ``links`` first (a pure function of
the text: the record needs the links and @mentions it finds), then ``record``
(commits the post), ``media`` (download once, hash, sighting), ``match`` (bank
index lookups) and ``alert`` (one alert per post). User handlers named in the
settings run after the built-ins.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Protocol

import structlog

from handlers.banks.categories import DEFAULT_PRIORITY, category_priority
from handlers.hashing import MediaHashes, VpdqFrame
from handlers.hashing.pdq import DEFAULT_MAX_PIXELS
from handlers.hashing.video import DEFAULT_MAX_FRAMES
from handlers.post import MediaKind, Post
from storage.api import Store
from storage.errors import InvalidInput
from storage.models import Alert, HashType, MediaRecord

Handler = Callable[[Post, "Context"], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """The settings handlers see (built by ``monitor.settings.Settings.pipeline_config``)."""

    media_max_bytes: int
    hash_kinds: frozenset[MediaKind]
    pdq_threshold: int = 31
    pdq_min_quality: int = 50
    alert_due: timedelta = timedelta(hours=24)
    #: Bank entry category -> alert priority; 1 is the most urgent. Compared
    #: case-insensitively (keys are stored lower-case).
    category_priority: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: Priority for entries without a category or with one not in the mapping.
    default_priority: int = DEFAULT_PRIORITY
    #: When a bank grows, media seen this far back are matched again.
    rematch_window: timedelta = timedelta(days=7)
    #: Images and video frames with more pixels are not decoded.
    media_max_pixels: int = DEFAULT_MAX_PIXELS
    #: vPDQ stops after this many hashed frames.
    media_max_frames: int = DEFAULT_MAX_FRAMES

    def __post_init__(self) -> None:
        lowered = {k.strip().lower(): v for k, v in self.category_priority.items()}
        object.__setattr__(self, "category_priority", MappingProxyType(lowered))

    def priority_of(self, category: str | None) -> int:
        """The alert priority of a bank entry's category."""
        return category_priority(category, self.category_priority, self.default_priority)


@dataclass(frozen=True, slots=True)
class Hit:
    """One bank entry a post's media matched."""

    entry_id: int
    bank: str
    hash_type: HashType
    distance: int  # 0 for exact matches
    category: str | None
    #: PDQ: the dihedral variant of the query that matched ("original", "flipx"...).
    variant: str | None = None


class BankIndex(Protocol):
    """What the match handler asks of the bank index (the monitor adapts
    :class:`handlers.index.BankIndex` to it).

    ``lookup_values`` is CPU work: the match handler runs it in a thread, once
    per medium, with every hash it has: exact hashes (``sha256``, ``md5``,
    ``sha1``), the PDQ and its 8 dihedral variants (``pdq_variants``; entries
    within each bank's own threshold; the caller has applied the quality
    filter), the vPDQ frames (vPDQ's rule). ``media_key`` names the medium, so
    entries disabled for it (a dismissed false positive) are left out. Each
    entry is reported once, at its closest distance.
    """

    def lookup_values(
        self,
        *,
        sha256: str | None = None,
        md5: str | None = None,
        sha1: str | None = None,
        pdq: str | None = None,
        pdq_quality: int | None = None,
        pdq_variants: Sequence[str] | None = None,
        vpdq: Sequence[VpdqFrame] | None = None,
        media_key: str | None = None,
    ) -> list[Hit]: ...


@dataclass(slots=True)
class PostState:
    """Scratch space for one post, shared by its handlers in order."""

    #: Filled by ``links``; the record handler stores them.
    links: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    #: Set by ``record`` once the store has committed the post.
    committed: bool = False
    #: True when the post was not stored before (False for a replay or an edit).
    new: bool = False
    #: The post's media row, new or found again (set by ``media``).
    media: MediaRecord | None = None
    #: True when the media was already known (no download, no hashing).
    media_reused: bool = False
    #: Every hash of media hashed for this post (SHA-1, PDQ dihedral variants,
    #: vPDQ frames: more than the media row keeps); None when it was reused.
    hashes: MediaHashes | None = None
    #: Bank hits for ``media`` (set by ``match``).
    hits: list[Hit] = field(default_factory=list)
    #: The alert raised or extended for this post (set by ``alert``).
    alert: Alert | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler may use. ``state`` is per post (see :meth:`for_post`)."""

    store: Store
    index: BankIndex
    config: PipelineConfig
    log: structlog.stdlib.BoundLogger
    clock: Callable[[], datetime] = utc_now
    state: PostState = field(default_factory=PostState)

    def for_post(self, post: Post) -> Context:
        """A copy for one post: fresh state, logger bound to the post's ids."""
        return replace(
            self,
            state=PostState(),
            log=self.log.bind(channel_id=post.channel_id, message_id=post.message_id),
        )


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """What happened to one post in the pipeline."""

    channel_id: int
    message_id: int
    #: The record handler committed the post: the caller may advance the cursor.
    committed: bool
    #: The post was stored for the first time.
    new: bool
    #: Names of the handlers that raised, in order.
    failed: tuple[str, ...] = ()
    media_id: int | None = None
    alert_id: int | None = None

    @property
    def ok(self) -> bool:
        """Committed and no handler failed."""
        return self.committed and not self.failed


class HandlerLoadError(InvalidInput, ValueError):
    """A user handler named in the settings cannot be used; one line for the user."""


class Registry:
    """The handlers to run, by name, in the order they were added."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> None:
        if name in self._handlers:
            raise ValueError(f"a handler named {name!r} is already registered")
        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"handler {name!r} must be an async function")
        self._handlers[name] = handler

    def names(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def items(self) -> tuple[tuple[str, Handler], ...]:
        return tuple(self._handlers.items())

    def __len__(self) -> int:
        return len(self._handlers)

    @classmethod
    def default(cls) -> Registry:
        """The built-ins: links, record, media, match, alert."""
        from handlers.builtin import BUILTINS  # here: the built-ins import this module

        registry = cls()
        for name, handler in BUILTINS:
            registry.add(name, handler)
        return registry

    def load_dotted(self, path: str) -> None:
        """Add ``package.module:function`` under that name.

        Raises :class:`HandlerLoadError` saying what is wrong with it.
        """
        module_name, sep, attr = path.partition(":")
        if not sep or not module_name or not attr:
            raise HandlerLoadError(f"handler {path!r}: expected 'package.module:function'")
        try:
            module = importlib.import_module(module_name)
        except ImportError as err:
            raise HandlerLoadError(
                f"handler {path!r}: cannot import {module_name}: {err}"
            ) from None
        handler = getattr(module, attr, None)
        if handler is None:
            raise HandlerLoadError(f"handler {path!r}: {module_name} has no {attr!r}")
        if not inspect.iscoroutinefunction(handler):
            raise HandlerLoadError(f"handler {path!r}: must be an 'async def' function")
        try:
            self.add(path, handler)
        except ValueError as err:
            raise HandlerLoadError(str(err)) from None


class Pipeline:
    """Runs every registered handler for each post, in order."""

    def __init__(self, registry: Registry, ctx: Context) -> None:
        self.registry = registry
        self.ctx = ctx

    async def process(self, post: Post) -> PostOutcome:
        """Run the handlers for ``post``.

        Returns when every handler has finished; when ``outcome.committed`` the
        post is in the database and the caller may advance the channel's cursor.
        """
        ctx = self.ctx.for_post(post)
        failed: list[str] = []
        for name, handler in self.registry.items():
            try:
                await handler(post, ctx)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # one failing handler must not stop the others
                failed.append(name)
                ctx.log.error(
                    "handler_failed",
                    handler=name,
                    error=f"{type(err).__name__}: {err}",
                    exc_info=True,
                )
        state = ctx.state
        return PostOutcome(
            channel_id=post.channel_id,
            message_id=post.message_id,
            committed=state.committed,
            new=state.new,
            failed=tuple(failed),
            media_id=state.media.id if state.media is not None else None,
            alert_id=state.alert.id if state.alert is not None else None,
        )


def new_context(
    store: Store,
    index: BankIndex,
    config: PipelineConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> Context:
    """A base context with chanwatch's pipeline logger."""
    return Context(
        store=store,
        index=index,
        config=config,
        log=structlog.get_logger("handlers.pipeline"),
        clock=clock,
    )
