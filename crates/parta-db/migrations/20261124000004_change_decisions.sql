-- The school's decision on a request to correct official data.
ALTER TABLE change_requests ADD COLUMN decided_by TEXT REFERENCES persons(id);
ALTER TABLE change_requests ADD COLUMN decided_at BIGINT;
ALTER TABLE change_requests ADD COLUMN decision_comment TEXT;
