"""tgsim: a loopback Telegram server (MTProto over TCP) that unmodified Telethon
connects to. It drives ``make demo`` and the end-to-end tests.

tgsim imports only Telethon's TL layer (``telethon.tl``, ``telethon.extensions``)
and its own code; it imports nothing of chanwatch.

Public API: :class:`tgsim.server.Server`, :class:`tgsim.server.ChannelHandle`,
:class:`tgsim.faults.Faults`, :class:`tgsim.quirks.Quirks`.
"""

from tgsim.faults import Faults
from tgsim.quirks import Quirks
from tgsim.server import ChannelHandle, Server

__all__ = ["ChannelHandle", "Faults", "Quirks", "Server"]
