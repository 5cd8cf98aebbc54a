"""tgsim: a loopback Telegram server (MTProto over TCP) that unmodified Telethon
connects to. It drives ``make demo`` and the end-to-end tests.

tgsim imports only Telethon's TL layer (``telethon.tl``) and its own code; it
imports nothing of chanwatch.
"""
