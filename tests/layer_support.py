"""A tgsim that answers like a server of an older TL layer (importable from any
test directory): its answer to ``help.getConfig``, the request Telethon sends
first on every connection, carries a constructor the installed Telethon's layer
does not have. Everything else (transport, key exchange, encryption, Telethon's
reading of the answer) runs for real."""

from __future__ import annotations

import struct
from typing import Any

from telethon.tl.alltlobjects import tlobjects

from tgsim import Server

#: The constructor id a server of an older layer was seen to answer with.
UNKNOWN_CONSTRUCTOR = 0x020B1422


def serve_an_older_layer(sim: Server) -> None:
    """From now on ``sim`` answers ``help.getConfig`` with an unknown constructor."""
    assert UNKNOWN_CONSTRUCTOR not in tlobjects, "pick a constructor this Telethon does not know"

    async def config_of_another_layer(ctx: Any, request: Any) -> bytes:
        return struct.pack("<I", UNKNOWN_CONSTRUCTOR) + bytes(64)

    sim.hub.registry.handlers["help.GetConfigRequest"] = config_of_another_layer
