"""The running service: settings, Telegram accounts and clients, the watch
lifecycle (resolve, join, backfill, leave), event intake, scheduled jobs, the
``chanwatch`` CLI and application wiring.

This is the only package that talks to Telethon's client. It may import
``handlers`` and ``storage``; nothing imports ``monitor``.
"""
