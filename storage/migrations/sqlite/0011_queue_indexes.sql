-- chanwatch schema 0011: indexes for the console's queue pages
-- (storage/sqlite/console_repos.py), so that a page is a range of an index read
-- in order and stops after the page: no sort of every matching alert.
-- With 100,000 alerts the default (undecided) view filtered on
-- state IN ('open', 'claimed'), which SQLite served from alerts_queue (state,
-- due_at) and then sorted all 90,000 rows: about 100 ms per page. The queue's
-- SQL now filters that view (and the decided one) on the decided flag of 0010's
-- alerts_urgency, whose range is already in urgency order; when the filter
-- fixes that flag it orders (and compares its cursor) by (priority, due_at, id).

-- One state (state=open, state=confirmed, ...).
CREATE INDEX alerts_state_urgency ON alerts (state, priority, due_at, id);

-- The overdue filter: undecided alerts due before now, a range of due times;
-- the page sorts (priority, due_at, id) from this index alone, then reads
-- only the page's rows.
CREATE INDEX alerts_due_urgency ON alerts (state, due_at, priority, id);

-- The channel filter.
CREATE INDEX alerts_channel_urgency ON alerts (
    channel_id, (state IN ('confirmed', 'dismissed')), priority, due_at, id
);

-- The number of alerts per channel and state, kept by the triggers below in
-- the same transaction as the change, so that the queue's total ("90,000
-- alerts") is a sum of a few rows instead of a count of every alert on each
-- page (about 3-5 ms per request at 100,000 alerts, and growing with them).
-- Filters on due time or bank still count the alerts themselves.
CREATE TABLE alert_counts (
    channel_id  INTEGER NOT NULL,
    state       TEXT NOT NULL,
    n           INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (channel_id, state)
);
INSERT INTO alert_counts (channel_id, state, n)
    SELECT channel_id, state, count(*) FROM alerts GROUP BY channel_id, state;

CREATE TRIGGER alert_counts_insert AFTER INSERT ON alerts
BEGIN
    INSERT INTO alert_counts (channel_id, state, n) VALUES (NEW.channel_id, NEW.state, 1)
        ON CONFLICT (channel_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER alert_counts_update AFTER UPDATE OF state, channel_id ON alerts
WHEN OLD.state IS NOT NEW.state OR OLD.channel_id IS NOT NEW.channel_id
BEGIN
    UPDATE alert_counts SET n = n - 1 WHERE channel_id = OLD.channel_id AND state = OLD.state;
    INSERT INTO alert_counts (channel_id, state, n) VALUES (NEW.channel_id, NEW.state, 1)
        ON CONFLICT (channel_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER alert_counts_delete AFTER DELETE ON alerts
BEGIN
    UPDATE alert_counts SET n = n - 1 WHERE channel_id = OLD.channel_id AND state = OLD.state;
END;
