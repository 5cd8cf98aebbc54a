-- The evidence ledger (storage/ledger): append-only records, signed checkpoints
-- and witness acknowledgements. Nothing here may be updated or deleted: the
-- triggers refuse it, so even a bug or a hand-typed SQL statement cannot rewrite
-- history without dropping the triggers first (which verify-db would then catch
-- through the signed checkpoints).

CREATE TABLE IF NOT EXISTS ledger (
    seq           INTEGER PRIMARY KEY,          -- leaf index, 0-based, contiguous
    type          TEXT NOT NULL,
    at            TEXT NOT NULL,                -- RFC 3339 UTC, as in the record
    actor         TEXT NOT NULL,
    case_ref      TEXT,                         -- record's "case", for selection
    authz         TEXT,                         -- record's "authorization"
    channel       TEXT,                         -- record's "channel" (decimal)
    record        BLOB NOT NULL,                -- the exact canonical bytes hashed
    leaf_hash     BLOB NOT NULL CHECK (length(leaf_hash) = 32)
);
CREATE INDEX IF NOT EXISTS ledger_case ON ledger (case_ref) WHERE case_ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS ledger_authz ON ledger (authz)
    WHERE authz IS NOT NULL;
CREATE INDEX IF NOT EXISTS ledger_channel ON ledger (channel) WHERE channel IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS ledger_seq_contiguous BEFORE INSERT ON ledger
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger)
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only: seq must be the next index');
END;
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only: UPDATE refused');
END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only: DELETE refused');
END;

CREATE TABLE IF NOT EXISTS ledger_checkpoints (
    id         INTEGER PRIMARY KEY,
    tree_size  INTEGER NOT NULL,
    root_hash  BLOB NOT NULL CHECK (length(root_hash) = 32),
    origin     TEXT NOT NULL,
    key_id     TEXT NOT NULL,                   -- 8 hex digits (C2SP signed-note)
    note       TEXT NOT NULL,                   -- the whole signed note
    signed_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_checkpoints_size ON ledger_checkpoints (tree_size);
CREATE TRIGGER IF NOT EXISTS ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger checkpoints are append-only: UPDATE refused');
END;
CREATE TRIGGER IF NOT EXISTS ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger checkpoints are append-only: DELETE refused');
END;

CREATE TABLE IF NOT EXISTS ledger_witness_acks (
    id            INTEGER PRIMARY KEY,
    checkpoint_id INTEGER NOT NULL REFERENCES ledger_checkpoints (id),
    witness_url   TEXT NOT NULL,
    status        INTEGER,                      -- HTTP status, NULL when unreachable
    body          TEXT NOT NULL,                -- the witness's answer (cosignature) or error
    received_at   TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS ledger_witness_acks_no_update BEFORE UPDATE ON ledger_witness_acks
BEGIN
    SELECT RAISE(ABORT, 'witness acknowledgements are append-only: UPDATE refused');
END;
CREATE TRIGGER IF NOT EXISTS ledger_witness_acks_no_delete BEFORE DELETE ON ledger_witness_acks
BEGIN
    SELECT RAISE(ABORT, 'witness acknowledgements are append-only: DELETE refused');
END;
