"""The running service: settings, Telegram accounts and clients, the watch
lifecycle (resolve, join, backfill, leave), event intake, scheduled jobs, the
``chanwatch`` CLI and application wiring (the access services and the
authorization gate are wired in :mod:`monitor.access_control`).

This is the only package that talks to Telethon's client. It assembles the
others and may import ``hotline``, ``access``, ``handlers``, ``storage`` (and
``tgsim`` for the demo); nothing imports ``monitor``.
"""
