"""RPC dispatch: find the handler for a request's TL class and run it.

Handlers are ``async def handler(ctx: Ctx, request) -> result`` grouped in the
modules of :mod:`tgsim.methods`, each exporting a ``HANDLERS`` table and a
``PUBLIC`` set of the requests allowed before sign-in. An unknown request gets
``400 INPUT_METHOD_INVALID``, never silence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tgsim.tlkit import TLError, tl
from tgsim.world import Channel

if TYPE_CHECKING:
    from tgsim.hub import Hub
    from tgsim.session import AuthKey

Handler = Callable[["Ctx", Any], Awaitable[Any]]


@dataclass
class Ctx:
    """What a handler may use: the hub (world, pushes), the caller's key and user."""

    hub: Hub
    key: AuthKey
    conn_id: int

    @property
    def user_id(self) -> int:
        """The signed-in user (handlers of non-public requests only)."""
        if self.key.user_id is None:
            raise TLError(401, "AUTH_KEY_UNREGISTERED")
        return self.key.user_id

    def channel(self, ref: Any, *, readable: bool = True) -> Channel:
        """Resolve an InputChannel / InputPeerChannel, checking the access hash."""
        name = type(ref).__name__
        if name in ("InputChannelEmpty", "InputPeerEmpty"):
            raise TLError(400, "CHANNEL_INVALID")
        if name == "InputChannelFromMessage" or name == "InputPeerChannelFromMessage":
            ch = self.hub.world.channels.get(ref.channel_id)
            if ch is None:
                raise TLError(400, "CHANNEL_INVALID")
        elif name in ("InputChannel", "InputPeerChannel"):
            ch = self.hub.world.channels.get(ref.channel_id)
            if ch is None or ch.access_hash != ref.access_hash:
                raise TLError(400, "CHANNEL_INVALID")
        else:
            raise TLError(400, "PEER_ID_INVALID")
        if readable and not self.hub.world.can_read(ch, self.user_id):
            raise TLError(400, "CHANNEL_PRIVATE")
        return ch


class Registry:
    """The table of request handlers."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.public: set[str] = set()

    @classmethod
    def default(cls) -> Registry:
        """The registry with every method tgsim implements."""
        from tgsim.methods import account, channels, dialogs, history, updates, upload

        reg = cls()
        for module in (account, channels, dialogs, history, updates, upload):
            reg.handlers.update(module.HANDLERS)
            reg.public.update(module.PUBLIC)
        return reg

    async def dispatch(self, ctx: Ctx, request: Any) -> Any:
        """Run the handler for ``request``; raises TLError for RPC errors."""
        name = qualname(request)
        handler = self.handlers.get(name)
        if handler is None:
            raise TLError(400, "INPUT_METHOD_INVALID")
        if name not in self.public and ctx.key.user_id is None:
            raise TLError(401, "AUTH_KEY_UNREGISTERED")
        return await handler(ctx, request)


def qualname(request: Any) -> str:
    """``"channels.GetMessagesRequest"``-style name of a request (no prefix at top level)."""
    module = type(request).__module__
    prefix = "telethon.tl.functions"
    sub = module[len(prefix) + 1 :] if module.startswith(prefix + ".") else ""
    return f"{sub}.{type(request).__name__}" if sub else type(request).__name__


def updates_of(update_list: list[Any], chats: list[Any], users: list[Any] | None = None) -> Any:
    """An ``Updates`` container dated now, seq 0 (channel updates carry pts instead)."""
    from tgsim.tlkit import mk
    from tgsim.world import utcnow

    return mk(tl.Updates, updates=update_list, users=users or [], chats=chats, date=utcnow(), seq=0)
