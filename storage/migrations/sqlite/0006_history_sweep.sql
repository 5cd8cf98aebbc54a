-- chanwatch schema 0006: where the history sweep (monitor/sweep.py) of each
-- channel stands, so a restart continues its pass instead of starting over.
-- Conventions of 0001 hold (UTC ISO-8601 TEXT times).

-- One row per channel the sweep has looked at. A pass walks the channel's
-- stored, not deleted posts from the newest down, a batch at a time, asking
-- Telegram whether each still exists; `below` is where it continues (NULL: at
-- the newest post, that is, a pass is about to start).
CREATE TABLE history_sweep (
    channel_id         INTEGER PRIMARY KEY,
    pass               INTEGER NOT NULL CHECK (pass >= 1),
    below              INTEGER CHECK (below IS NULL OR below > 0),
    checked            INTEGER NOT NULL CHECK (checked >= 0),   -- posts checked this pass
    deleted            INTEGER NOT NULL CHECK (deleted >= 0),   -- of them found deleted
    pass_started_at    TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    last_pass_at       TEXT,                                     -- the previous pass ended
    last_pass_checked  INTEGER CHECK (last_pass_checked IS NULL OR last_pass_checked >= 0),
    last_pass_deleted  INTEGER CHECK (last_pass_deleted IS NULL OR last_pass_deleted >= 0)
);
