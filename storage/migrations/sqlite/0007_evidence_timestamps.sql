-- chanwatch schema 0007: RFC 3161 timestamps of the evidence ledger's checkpoints.
-- Every attempt is kept, successful or not, so a gap (a checkpoint the TSA
-- could not stamp) stays visible (`chanwatch evidence status`) until a later
-- attempt succeeds. Append-only like the rest of the ledger.

CREATE TABLE ledger_timestamps (
    id            INTEGER PRIMARY KEY,
    checkpoint_id INTEGER NOT NULL REFERENCES ledger_checkpoints (id),
    tsa_url       TEXT NOT NULL,
    attempted_at  TEXT NOT NULL,                -- RFC 3339 UTC
    imprint       BLOB NOT NULL CHECK (length(imprint) = 32),  -- SHA-256 of the signed note
    response      BLOB,                         -- the TimeStampResp (DER); NULL when it failed
    gen_time      TEXT,                         -- the TSA's time in the token
    tsa_name      TEXT,                         -- the signing certificate's subject
    error         TEXT,                         -- why there is no token
    CHECK ((response IS NULL) = (error IS NOT NULL))
);
CREATE INDEX ledger_timestamps_checkpoint ON ledger_timestamps (checkpoint_id);
CREATE TRIGGER ledger_timestamps_no_update BEFORE UPDATE ON ledger_timestamps
BEGIN
    SELECT RAISE(ABORT, 'ledger timestamps are append-only: UPDATE refused');
END;
CREATE TRIGGER ledger_timestamps_no_delete BEFORE DELETE ON ledger_timestamps
BEGIN
    SELECT RAISE(ABORT, 'ledger timestamps are append-only: DELETE refused');
END;
