"""The message pipeline: what a handler sees (:mod:`handlers.context`: the
handler type, context, per-post state, bank hits), the registry and runner
(:mod:`handlers.pipeline`), the built-in handlers in their order (links,
record, media hashing, matching, alerting, detection), the hashing algorithms,
the hash banks (parsing, the import flow), the bank index
(:mod:`handlers.index`, with the live, reloading index the monitor runs) and
the detectors of new content (:mod:`handlers.detect`: their protocol, worker
pool and the built-in).

Handlers receive plain data (:class:`handlers.post.Post`); this package never
imports Telethon nor ``monitor``, ``access`` or ``hotline``. It may import
``storage``.
"""
