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
index lookups), ``alert`` (one alert per post) and ``detect`` (the detectors'
findings on the post's medium, :mod:`handlers.detect`, when
``Context.detectors`` is set). User handlers named in the settings run after
the built-ins.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from handlers.builtin import BUILTINS
from handlers.context import BankIndex, Context, Handler, PipelineConfig
from handlers.detect.stage import DetectorStage
from handlers.post import Post
from storage.api import Store
from storage.codec import utc_now
from storage.errors import InvalidInput


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
        """The built-ins: links, record, media, match, alert, detect."""

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
    detectors: DetectorStage | None = None,
) -> Context:
    """A base context with chanwatch's pipeline logger; ``detectors``: the
    started detector stage, if any."""
    return Context(
        store=store,
        index=index,
        config=config,
        log=structlog.get_logger("handlers.pipeline"),
        clock=clock,
        detectors=detectors,
    )
