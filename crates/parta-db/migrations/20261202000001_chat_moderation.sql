-- Общение (issue 12): urgent announcements with acknowledgement, edits and deletions with
-- their history kept for moderation, and a pinned message per chat.

-- An urgent announcement (важное объявление) asks each member to confirm they read it.
ALTER TABLE chat_messages ADD COLUMN urgent BIGINT NOT NULL DEFAULT 0;
-- The last edit; the earlier texts are in chat_message_history.
ALTER TABLE chat_messages ADD COLUMN edited_at BIGINT;
-- Deleted by its author or hidden by a moderator: the text is no longer shown to the
-- members; it stays in chat_message_history for the school's moderation.
ALTER TABLE chat_messages ADD COLUMN deleted_at BIGINT;
ALTER TABLE chat_messages ADD COLUMN deleted_by TEXT REFERENCES persons(id);
CREATE INDEX chat_messages_urgent ON chat_messages(chat_id, seq) WHERE urgent = 1;

ALTER TABLE chats ADD COLUMN pinned_seq BIGINT;

-- Who confirmed reading an urgent announcement, and when.
CREATE TABLE chat_acks (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq BIGINT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    acked_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, seq, person_id)
);

-- Every text a message had before an edit or a deletion, who changed it and when: what
-- the moderators of the school see when a complaint comes.
CREATE TABLE chat_message_history (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL REFERENCES persons(id),
    -- 'edit' or 'delete'
    action TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX chat_message_history_message ON chat_message_history(chat_id, seq);
