-- chanwatch schema 0008: what detectors found in media (handlers/detect), and
-- alerts raised by a detection instead of a bank match.
-- Conventions of 0001 hold (UTC ISO-8601 TEXT times).

-- One detector's finding on one medium: the labels it scored (JSON object
-- label -> score in [0, 1]), the model and its version, what the scores mean
-- (signal: 'sexual'; later 'synthetic'...), detector-specific evidence (JSON
-- object of strings), how many images or video keyframes were scored (the
-- scores are the maximum over them) and the time of the keyframe that scored
-- highest. Never the media itself. Kept forever, never updated.
CREATE TABLE detections (
    id           INTEGER PRIMARY KEY,
    media_id     INTEGER NOT NULL REFERENCES media (id),
    detector     TEXT NOT NULL CHECK (length(detector) > 0),
    model        TEXT NOT NULL CHECK (length(model) > 0),
    version      TEXT NOT NULL CHECK (length(version) > 0),
    signal       TEXT NOT NULL CHECK (length(signal) > 0),
    scores_json  TEXT NOT NULL CHECK (json_valid(scores_json)),
    evidence_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence_json)),
    top_label    TEXT,
    top_score    REAL CHECK (top_score IS NULL OR (top_score >= 0 AND top_score <= 1)),
    frames       INTEGER NOT NULL DEFAULT 1 CHECK (frames >= 1),
    frame_time   REAL,
    detected_at  TEXT NOT NULL,
    UNIQUE (media_id, detector, model, version)
);
CREATE INDEX detections_media ON detections (media_id);

-- What raised an alert first: a bank match ('match', every alert before this
-- migration) or a detection ('detected'). Set once, never changed.
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'match'
    CHECK (kind IN ('match', 'detected'));

-- The detections an alert carries (as `matches` carries bank matches).
CREATE TABLE alert_detections (
    alert_id      INTEGER NOT NULL REFERENCES alerts (id),
    detection_id  INTEGER NOT NULL REFERENCES detections (id),
    attached_at   TEXT NOT NULL,
    PRIMARY KEY (alert_id, detection_id)
);
CREATE INDEX alert_detections_detection ON alert_detections (detection_id);
