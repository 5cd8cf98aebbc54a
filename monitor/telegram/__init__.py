"""Everything that talks to Telethon's client: building it from settings,
converting messages into :class:`handlers.post.Post` values and downloading
media into memory."""
