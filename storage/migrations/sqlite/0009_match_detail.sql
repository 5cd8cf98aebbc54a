-- A match's detail (storage.models.MatchIn.detail): why it matched, as a JSON
-- object of strings; for a vPDQ match the direction (contains / excerpt /
-- both) and the share of frames found each way. NULL for other matches.
ALTER TABLE matches ADD COLUMN detail_json TEXT;
