"""The message pipeline: the handler protocol and registry, the built-in
handlers (record, media hashing, bank matching, alerting, link extraction), the
hashing algorithms and the hash-bank index.

Handlers receive plain data (:class:`handlers.post.Post`); this package never
imports Telethon's client nor ``monitor``. It may import ``storage``.
"""
