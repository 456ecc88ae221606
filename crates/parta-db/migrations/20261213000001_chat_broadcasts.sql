-- Трансляции (issue 12, COM-3): a scheduled online lesson or school event with its stream
-- (an HLS address or an external video room) and a live, moderated comment feed — the
-- chat of kind 'broadcast' it belongs to; the recording's address once it is over.
CREATE TABLE chat_broadcasts (
    chat_id TEXT PRIMARY KEY REFERENCES chats(id),
    starts_at BIGINT NOT NULL,
    stream_url TEXT NOT NULL,
    recording_url TEXT,
    ended_at BIGINT
);
CREATE INDEX chat_broadcasts_starts ON chat_broadcasts(starts_at);
