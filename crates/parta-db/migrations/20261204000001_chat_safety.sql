-- Безопасность в чатах (issue 12): complaints about messages, members muted or removed by
-- a chat's moderators, and slow mode.

-- A member's complaint about someone's message; the chat's moderators and the school's
-- administration settle it (dismissed, the message hidden, its author muted or removed).
CREATE TABLE chat_complaints (
    id TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq BIGINT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    -- abuse, spam, personal_data, inappropriate, other
    reason TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by TEXT REFERENCES persons(id),
    -- dismissed, hidden, muted, removed
    resolution TEXT,
    UNIQUE (chat_id, seq, person_id)
);
CREATE INDEX chat_complaints_open ON chat_complaints(chat_id) WHERE resolved_at IS NULL;
CREATE INDEX chat_complaints_person ON chat_complaints(person_id, created_at);

-- What a chat's moderators imposed on a member: 'mute' (reads, does not write) until a
-- time or for good, 'remove' (neither reads nor writes; a class's chat keeps them out
-- although the registry still counts them in).
CREATE TABLE chat_restrictions (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    until BIGINT,
    by_id TEXT NOT NULL REFERENCES persons(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, person_id)
);

-- Slow mode: a member (not a moderator) writes at most one message in this many seconds.
ALTER TABLE chats ADD COLUMN slow_seconds BIGINT NOT NULL DEFAULT 0;
