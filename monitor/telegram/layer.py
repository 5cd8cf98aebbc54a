"""The client's TL layer against the server's, checked at connection.

Telethon announces its layer (``telethon.tl.alltlobjects.LAYER``) with
``invokeWithLayer`` on every connection, and Telegram answers in that layer.
A server that serves only another layer (an older self-hosted or test server)
answers with constructors this Telethon cannot read, and Telethon raises
``TypeNotFoundError: Could not find a matching Constructor ID ...`` from
whichever request came first. MTProto gives the client no way to ask a server
for its layer, so the message names it only when the server said it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from telethon import __version__ as TELETHON_VERSION
from telethon.errors import RPCError, TypeNotFoundError
from telethon.tl.alltlobjects import LAYER

from storage.errors import ChanwatchError

#: RPC errors a server gives a layer it does not serve.
LAYER_ERRORS = frozenset({"CONNECTION_LAYER_INVALID", "LAYER_INVALID"})


class LayerMismatchError(ChanwatchError):
    """The server does not speak the installed Telethon's layer; the message says
    what to do."""


def mismatch_message(
    *, constructor: int | None = None, server_layer: int | None = None
) -> str:
    """One line: the server's layer (if known), the client's, and what to do."""
    server = f"layer {server_layer}" if server_layer is not None else "an older layer"
    seen = (
        f" (it answered with TL constructor {constructor:08x}, which layer {LAYER} does not have)"
        if constructor is not None
        else ""
    )
    return (
        f"the Telegram server speaks {server}, not layer {LAYER} of the installed "
        f"Telethon {TELETHON_VERSION}{seen}: pin Telethon to a version whose layer "
        "the server serves (pip install 'telethon==<version>'), or update the server"
    )


@contextmanager
def layer_checked() -> Iterator[None]:
    """Turn the errors of a layer mismatch raised inside into :class:`LayerMismatchError`."""
    try:
        yield
    except TypeNotFoundError as exc:
        raise LayerMismatchError(
            mismatch_message(constructor=exc.invalid_constructor_id)
        ) from None
    except RPCError as exc:
        if exc.message in LAYER_ERRORS:
            raise LayerMismatchError(mismatch_message()) from None
        raise
