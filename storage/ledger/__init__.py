"""The evidence ledger: canonical records, an RFC 6962 Merkle tree over them,
signed C2SP checkpoints, witness acknowledgements, RFC 3161 timestamps of
checkpoints, case exports (bundle format in :mod:`storage.ledger.bundle`) and the
offline verifier, which fails closed and reads untrusted bundles within limits
(:mod:`storage.ledger.verify`, :mod:`storage.ledger.bundle_zip`).

Part of ``storage``, and written on the store contract only: its functions take
a :class:`storage.repos.Transaction` (``tx.ledger``, ``tx.checkpoints``,
``tx.witness_acks``) or a store that runs them
(:class:`storage.repos.transactional.Transactional`: ``store.transaction`` /
``store.snapshot``). No module here imports a database driver or holds SQL;
each backend implements those repositories (``storage/sqlite/ledger_rows.py``,
``storage/sqlite/ledger_checkpoints.py``) and creates the tables in its own
migrations. Imports nothing from ``monitor``, ``handlers`` or ``hotline`` (the
verifier's limits come in as a plain :class:`~storage.ledger.bundle_zip.BundleLimits`).
Every change appends its record with :func:`storage.ledger.ledger.append_record`
inside the change's own transaction; nothing in this package updates or deletes
a ledger row.
"""
