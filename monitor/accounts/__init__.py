"""Telegram accounts (undercover personas): which account owns which watch, and
when it may join next.

:class:`~monitor.accounts.pool.AccountPool` is the allocator and pacer the watch
manager asks before every join (:meth:`claim`) and tells about FloodWait,
CHANNELS_TOO_MUCH and lost sessions. Pure pacing rules live in
:mod:`monitor.accounts.pacing`. Persistence goes through
:mod:`storage.access_accounts`; nothing here talks to Telethon.
"""
