"""The evidence ledger: canonical records, an RFC 6962 Merkle tree over them,
signed C2SP checkpoints, witness acknowledgements, RFC 3161 timestamps of
checkpoints, case exports (bundle format in :mod:`storage.ledger.bundle`) and the
offline verifier, which fails closed and reads untrusted bundles within limits
(:mod:`storage.ledger.verify`, :mod:`storage.ledger.bundle_zip`).

Part of ``storage``: imports nothing from ``monitor``, ``handlers`` or ``hotline``
(the verifier's limits come in as a plain :class:`~storage.ledger.bundle_zip.BundleLimits`).
The store calls :func:`storage.ledger.ledger.append_record` inside its own
write transactions; nothing in this package updates or deletes a ledger row.
"""
