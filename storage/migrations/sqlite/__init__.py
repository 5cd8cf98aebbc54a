"""SQLite's schema migrations (``NNNN_name.sql``)."""
