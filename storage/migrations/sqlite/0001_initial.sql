-- chanwatch schema 0001: channels, watches, posts, edits, media, sightings,
-- hash banks, matches, alerts, cursors and the append-only audit trail.
--
-- Conventions (keep them in later migrations):
--  * times are TEXT, ISO-8601 UTC with microseconds: 2026-11-21T22:48:08.123456Z
--    (fixed width, so they sort as strings);
--  * Telegram ids are INTEGER (64-bit signed, like Telegram's);
--  * booleans are INTEGER 0/1 with a CHECK;
--  * JSON is TEXT holding canonical JSON (sorted keys).
-- The SQL sticks to what PostgreSQL also accepts where that costs nothing.

CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,          -- Telegram channel id (bare, positive)
    access_hash  INTEGER,
    title        TEXT NOT NULL,
    username     TEXT,
    type         TEXT NOT NULL,                -- broadcast | megagroup | gigagroup
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL
);
CREATE INDEX channels_username ON channels (username);

CREATE TABLE watches (
    id           INTEGER PRIMARY KEY,
    target       TEXT NOT NULL,                -- as typed: @name, t.me/name, t.me/+HASH
    channel_id   INTEGER,                      -- set once resolved, never resolved again
    state        TEXT NOT NULL CHECK (state IN (
                     'requested', 'approved', 'joining', 'active', 'waiting',
                     'failed', 'suspended', 'expired', 'revoked', 'left')),
    account      TEXT,
    reason       TEXT,
    wait_until   TEXT,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX watches_channel ON watches (channel_id);
CREATE INDEX watches_state ON watches (state);

CREATE TABLE posts (
    id                INTEGER PRIMARY KEY,
    channel_id        INTEGER NOT NULL,
    message_id        INTEGER NOT NULL,
    date              TEXT NOT NULL,
    edit_date         TEXT,
    text              TEXT NOT NULL,
    entities_json     TEXT NOT NULL DEFAULT '[]',
    author_signature  TEXT,
    views             INTEGER,
    forwards          INTEGER,
    fwd_channel_id    INTEGER,
    fwd_message_id    INTEGER,
    fwd_from_name     TEXT,
    fwd_date          TEXT,
    reply_to          INTEGER,
    grouped_id        INTEGER,
    has_media         INTEGER NOT NULL DEFAULT 0 CHECK (has_media IN (0, 1)),
    captured_at       TEXT NOT NULL,
    captured_by       TEXT NOT NULL,
    updated_at        TEXT NOT NULL,           -- last time a replay changed views/text
    deleted_at        TEXT,                    -- when a deletion was first seen
    UNIQUE (channel_id, message_id)
);
CREATE INDEX posts_grouped ON posts (channel_id, grouped_id);
CREATE INDEX posts_forward ON posts (fwd_channel_id, fwd_message_id);

-- Links and @mentions found in a post's text and entities. A value once seen stays,
-- even when a later edit removes it from the text.
CREATE TABLE post_links (
    post_id   INTEGER NOT NULL REFERENCES posts (id),
    kind      TEXT NOT NULL CHECK (kind IN ('link', 'mention')),
    value     TEXT NOT NULL,
    position  INTEGER NOT NULL,               -- order of first appearance
    PRIMARY KEY (post_id, kind, value)
);
CREATE INDEX post_links_value ON post_links (kind, value);

-- One row per edit seen: the version that was replaced.
CREATE TABLE edits (
    id                      INTEGER PRIMARY KEY,
    post_id                 INTEGER NOT NULL REFERENCES posts (id),
    previous_text           TEXT NOT NULL,
    previous_entities_json  TEXT NOT NULL,
    previous_edit_date      TEXT,             -- NULL: the replaced version was the original
    edit_date               TEXT NOT NULL,    -- edit date of the version that replaced it
    seen_at                 TEXT NOT NULL,
    UNIQUE (post_id, edit_date)
);

CREATE TABLE media (
    id           INTEGER PRIMARY KEY,
    file_id      TEXT NOT NULL UNIQUE,         -- stable Telegram file id ("photo:123")
    kind         TEXT NOT NULL,
    size         INTEGER,
    mime         TEXT,
    width        INTEGER,
    height       INTEGER,
    duration     REAL,
    sha256       TEXT,
    md5          TEXT,
    pdq          TEXT,
    pdq_quality  INTEGER,
    status       TEXT NOT NULL,                -- hashed | too_large | undecodable | failed | skipped
    reason       TEXT,
    extra_json   TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX media_sha256 ON media (sha256);
CREATE INDEX media_md5 ON media (md5);

-- A medium seen in a post. The same file reposted is one media row, many sightings.
CREATE TABLE sightings (
    id          INTEGER PRIMARY KEY,
    media_id    INTEGER NOT NULL REFERENCES media (id),
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    seen_at     TEXT NOT NULL,
    UNIQUE (media_id, channel_id, message_id),
    FOREIGN KEY (channel_id, message_id) REFERENCES posts (channel_id, message_id)
);
CREATE INDEX sightings_post ON sightings (channel_id, message_id);

CREATE TABLE banks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    threshold   INTEGER NOT NULL CHECK (threshold BETWEEN 0 AND 256),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE bank_imports (
    id                INTEGER PRIMARY KEY,
    bank_id           INTEGER NOT NULL REFERENCES banks (id),
    source            TEXT NOT NULL,           -- file name or feed the entries came from
    imported_by       TEXT NOT NULL,
    imported_at       TEXT NOT NULL,
    replace_all       INTEGER NOT NULL CHECK (replace_all IN (0, 1)),
    entries_in_file   INTEGER NOT NULL,
    entries_added     INTEGER NOT NULL,        -- new to the bank
    entries_withdrawn INTEGER NOT NULL,        -- tombstones in the file
    entries_absent    INTEGER NOT NULL         -- disabled because absent (replace_all)
);

CREATE TABLE bank_entries (
    id               INTEGER PRIMARY KEY,
    bank_id          INTEGER NOT NULL REFERENCES banks (id),
    hash_type        TEXT NOT NULL CHECK (hash_type IN ('sha256', 'sha1', 'md5', 'pdq', 'vpdq')),
    hash_value       TEXT NOT NULL CHECK (hash_value = lower(hash_value) AND length(hash_value) > 0),
    category         TEXT,
    source_ref       TEXT,
    note             TEXT,
    added_at         TEXT NOT NULL,
    imported_by      TEXT NOT NULL,
    first_import_id  INTEGER REFERENCES bank_imports (id),
    last_import_id   INTEGER REFERENCES bank_imports (id),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    disabled_via     TEXT CHECK (disabled_via IN ('import', 'manual')),
    disabled_reason  TEXT,
    disabled_at      TEXT,
    UNIQUE (bank_id, hash_type, hash_value),
    CHECK (enabled = 1 OR disabled_at IS NOT NULL)
);
CREATE INDEX bank_entries_lookup ON bank_entries (hash_type, hash_value);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'open'
                    CHECK (state IN ('open', 'claimed', 'confirmed', 'dismissed')),
    priority    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    claimed_by  TEXT,
    claimed_at  TEXT,
    decided_by  TEXT,
    decided_at  TEXT,
    note        TEXT,
    UNIQUE (channel_id, message_id),
    FOREIGN KEY (channel_id, message_id) REFERENCES posts (channel_id, message_id)
);
CREATE INDEX alerts_queue ON alerts (state, due_at);

-- The database itself refuses an illegal state change, whatever code path tries it.
CREATE TRIGGER alerts_state_machine
BEFORE UPDATE OF state ON alerts
WHEN NOT (
    (OLD.state = NEW.state)
    OR (OLD.state = 'open' AND NEW.state IN ('claimed', 'confirmed', 'dismissed'))
    OR (OLD.state = 'claimed' AND NEW.state IN ('confirmed', 'dismissed'))
)
BEGIN
    SELECT RAISE(ABORT, 'illegal alert state transition');
END;

CREATE TABLE matches (
    id             INTEGER PRIMARY KEY,
    alert_id       INTEGER NOT NULL REFERENCES alerts (id),
    bank_entry_id  INTEGER NOT NULL REFERENCES bank_entries (id),
    media_id       INTEGER NOT NULL REFERENCES media (id),
    hash_type      TEXT NOT NULL,
    distance       INTEGER NOT NULL CHECK (distance >= 0),
    matched_at     TEXT NOT NULL,
    UNIQUE (alert_id, bank_entry_id, media_id, hash_type)
);
CREATE INDEX matches_media ON matches (media_id);
CREATE INDEX matches_entry ON matches (bank_entry_id);

-- Highest message id committed per channel: reconciliation starts after it.
CREATE TABLE cursors (
    channel_id  INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL CHECK (message_id >= 0),
    updated_at  TEXT NOT NULL
);

CREATE TRIGGER cursors_never_back
BEFORE UPDATE OF message_id ON cursors
WHEN NEW.message_id < OLD.message_id
BEGIN
    SELECT RAISE(ABORT, 'a cursor never goes backwards');
END;

-- Who did what, when, to what, and why. Append-only: the database refuses
-- UPDATE and DELETE.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    why          TEXT
);
CREATE INDEX audit_subject ON audit (subject, id);

CREATE TRIGGER audit_no_update
BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_no_delete
BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: DELETE refused');
END;
