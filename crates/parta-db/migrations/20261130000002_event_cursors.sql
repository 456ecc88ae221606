-- Events for every consumer (docs/adr/0012). An outbox row gets its place in the stream
-- (seq) when the sequencer stamps it after commit, so places follow commit order even
-- when transactions commit out of the order of their ids; each consumer (notifications,
-- later a search index, live indicators, chat) keeps its own cursor in the stream.
ALTER TABLE outbox ADD COLUMN seq BIGINT;
CREATE UNIQUE INDEX outbox_seq ON outbox(seq);
CREATE INDEX outbox_unsequenced ON outbox(id) WHERE seq IS NULL;
CREATE TABLE event_cursors (
    consumer TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- An event a consumer could not handle after its retries: skipped, kept for the operator.
CREATE TABLE event_failures (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    error TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
