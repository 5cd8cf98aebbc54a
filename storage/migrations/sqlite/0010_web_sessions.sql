-- chanwatch schema 0010: the web console (hotline/console): server-side
-- sessions, sign-in failures for the lockout, and an index for the queue's
-- paging by urgency. Conventions of 0001 hold (UTC ISO-8601 TEXT times).

-- One row per signed-in browser. The cookie holds a random session id; only
-- its SHA-256 is kept here, so a copy of the database opens no session.
CREATE TABLE web_sessions (
    id_digest      TEXT PRIMARY KEY CHECK (length(id_digest) = 64),
    username       TEXT NOT NULL,
    csrf_token     TEXT NOT NULL CHECK (length(csrf_token) >= 32),
    created_at     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    expires_at     TEXT NOT NULL,             -- absolute end (session lifetime)
    revoked_at     TEXT,                      -- logout, user disabled, revoked
    revoke_reason  TEXT,
    CHECK (expires_at > created_at)
);
CREATE INDEX web_sessions_user ON web_sessions (username);

-- Wrong passwords per username since the last success, for the back-off.
CREATE TABLE web_signin_failures (
    username      TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL CHECK (failures >= 0),
    lockouts      INTEGER NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    first_at      TEXT NOT NULL,
    last_at       TEXT NOT NULL,
    locked_until  TEXT
);

-- The queue pages by urgency: undecided first, then priority, due time, id.
CREATE INDEX alerts_urgency ON alerts (
    (state IN ('confirmed', 'dismissed')), priority, due_at, id
);
