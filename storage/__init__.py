"""Persistence: schema and numbered migrations, the SQLite store (default), the
evidence ledger, export and verification.

``storage`` imports none of chanwatch's other packages.
"""
