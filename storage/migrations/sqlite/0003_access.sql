-- chanwatch schema 0003: users and roles, API tokens, cases, legal authorizations
-- and their scope, watch requests, Telegram accounts (personas) and their joins.
-- Conventions of 0001 hold (UTC ISO-8601 TEXT times, INTEGER 0/1 booleans).
-- Every change to these tables is also written to `audit` in the same transaction.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE CHECK (username = lower(username) AND length(username) > 0),
    password_hash  TEXT NOT NULL,                -- Argon2id, PHC string
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id  INTEGER NOT NULL REFERENCES users (id),
    role     TEXT NOT NULL CHECK (role IN ('investigator', 'supervisor', 'operator', 'admin')),
    PRIMARY KEY (user_id, role)
);

-- Personal API tokens: only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    digest      TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE cases (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE,          -- the file number of the investigation
    title         TEXT NOT NULL,
    investigator  TEXT NOT NULL,                 -- username of the case's investigator
    supervisor    TEXT NOT NULL,                 -- username of the supervising officer
    opened_at     TEXT NOT NULL,
    opened_by     TEXT NOT NULL
);

CREATE TABLE authorizations (
    id                INTEGER PRIMARY KEY,
    case_id           INTEGER NOT NULL REFERENCES cases (id),
    kind              TEXT NOT NULL CHECK (kind IN ('court', 'prosecutor', 'emergency', 'public')),
    authority         TEXT NOT NULL,             -- e.g. "Amtsgericht Berlin-Tiergarten"
    document_ref      TEXT NOT NULL,             -- the decision's file number
    valid_from        TEXT NOT NULL,
    valid_until       TEXT NOT NULL,             -- current end, after extensions
    initial_until     TEXT NOT NULL,             -- end as first recorded
    confirmed_at      TEXT,                      -- emergency measure confirmed by a court
    confirmed_by      TEXT,
    confirm_authority TEXT,
    confirm_document  TEXT,
    revoked_at        TEXT,
    revoked_by        TEXT,
    revoke_reason     TEXT,
    ended_noted_at    TEXT,                      -- when the enforcement job recorded its end
    reminded_until    TEXT,                      -- valid_until value a reminder was sent for
    created_at        TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    CHECK (valid_until > valid_from),
    CHECK (kind = 'emergency' OR confirmed_at IS NULL)
);
CREATE INDEX authorizations_case ON authorizations (case_id);

-- The channels an authorization covers, normalised: '@name', '+INVITEHASH' or 'id:123'.
CREATE TABLE authorization_scope (
    authorization_id  INTEGER NOT NULL REFERENCES authorizations (id),
    channel_ref       TEXT NOT NULL,
    PRIMARY KEY (authorization_id, channel_ref)
);
CREATE INDEX authorization_scope_ref ON authorization_scope (channel_ref);

CREATE TABLE authorization_extensions (
    id                INTEGER PRIMARY KEY,
    authorization_id  INTEGER NOT NULL REFERENCES authorizations (id),
    previous_until    TEXT NOT NULL,
    new_until         TEXT NOT NULL,
    authority         TEXT NOT NULL,
    document_ref      TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    CHECK (new_until > previous_until)
);

CREATE TABLE watch_requests (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    target        TEXT NOT NULL,                 -- as typed
    channel_ref   TEXT NOT NULL,                 -- normalised, as in authorization_scope
    reason        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'refused')),
    requested_by  TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    TEXT,
    decision_note TEXT,
    watch_id      INTEGER REFERENCES watches (id),
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX watch_requests_watch ON watch_requests (watch_id);
CREATE INDEX watch_requests_case ON watch_requests (case_id, state);

-- The database itself refuses self-approval and a decision taken back.
CREATE TRIGGER watch_requests_decided_once
BEFORE UPDATE OF state ON watch_requests
WHEN OLD.state <> 'requested' AND NEW.state <> OLD.state
BEGIN
    SELECT RAISE(ABORT, 'a watch request is decided once');
END;

-- Telegram accounts (undercover personas). The session itself is a secret and
-- lives outside the database; only the path to its file is kept.
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    session_path   TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN (
                       'active', 'disabled', 'banned', 'deactivated', 'logged_out')),
    status_reason  TEXT,
    channel_limit  INTEGER CHECK (channel_limit IS NULL OR channel_limit >= 0),
    flood_until    TEXT,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- Every successful join, for the daily limit and the minimum gap.
CREATE TABLE account_joins (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    watch_id    INTEGER REFERENCES watches (id),
    at          TEXT NOT NULL
);
CREATE INDEX account_joins_at ON account_joins (account_id, at);
