-- A password handed out on a sign-in letter works once: the first sign-in must set a new one.
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- A role ends (a teacher leaves the school) but stays on record: history is kept.
ALTER TABLE role_assignments ADD COLUMN ended_at BIGINT;
