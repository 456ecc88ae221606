-- Background jobs that must run once per cluster (issue 13): a node takes a job's lease
-- for as long as the job may take; another node's attempt finds it held; a node that dies
-- loses it when it expires. `last_done` keeps the period (a daily sweep: once a day,
-- whichever node comes first).
CREATE TABLE job_runs (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    last_done BIGINT
);
