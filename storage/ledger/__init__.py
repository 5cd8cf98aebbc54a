"""The evidence ledger: canonical records, an RFC 6962 Merkle tree over them,
signed C2SP checkpoints, witness acknowledgements, case exports and the offline
verifier.

Part of ``storage``: imports nothing from ``monitor``, ``handlers`` or ``hotline``.
The store calls :func:`storage.ledger.ledger.append_record` inside its own
write transactions; nothing in this package updates or deletes a ledger row.
"""
