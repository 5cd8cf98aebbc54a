-- chanwatch schema 0005: the hotline's notices, so each one is sent once.
-- Conventions of 0001 hold (UTC ISO-8601 TEXT times).

-- One row per alert and notice kind sent: 'raised' (a new alert, to the
-- operators), 'due_soon' (within hotline.due_warning of its due time), 'overdue'
-- (past its due time). The row is written before the notice goes out, so a
-- restart never sends it again.
CREATE TABLE hotline_notices (
    alert_id    INTEGER NOT NULL REFERENCES alerts (id),
    kind        TEXT NOT NULL CHECK (kind IN ('raised', 'due_soon', 'overdue')),
    sent_at     TEXT NOT NULL,
    PRIMARY KEY (alert_id, kind)
);
