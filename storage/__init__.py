"""The ground floor: the store contract and its backends.

* :mod:`storage.api` (``Store``) and :mod:`storage.repos` (the repositories a
  transaction hands out, by role), the models (:mod:`storage.models`,
  :mod:`storage.access_models`) and the error vocabulary (:mod:`storage.errors`).
* The changes every backend shares, written once on the contract: what a
  capture records (:mod:`storage.capture`), bank imports (:mod:`storage.bank_entries`),
  audited changes (:mod:`storage.changes`), the domain operations
  (:mod:`storage.operations`) and the evidence ledger (:mod:`storage.ledger`).
* Backends: :mod:`storage.sqlite` (default; single writer, group commit), each
  with its own migrations under ``storage/migrations/<dialect>/``.

``storage`` imports none of chanwatch's other packages. Outside
``storage/sqlite/`` (and the PostgreSQL backend when it comes) no module
imports a database driver or holds SQL.
"""
