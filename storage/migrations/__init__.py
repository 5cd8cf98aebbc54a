"""Numbered schema migrations: ``NNNN_name.sql``, applied in order when a store opens.

Each file runs in one transaction together with its row in ``schema_migrations``.
A file must not contain BEGIN, COMMIT or ROLLBACK of its own. Released files are
never edited: a change to the schema is a new file with the next number.
"""
