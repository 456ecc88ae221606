-- Общение (issue 12): messages written now and sent later (отложенная отправка): a
-- reminder in the morning of a trip, an announcement at the start of the holidays. Sent by
-- the server at their time if their author may still write there; otherwise failed with
-- the reason shown to the author.
CREATE TABLE chat_scheduled (
    id TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    author_id TEXT NOT NULL REFERENCES persons(id),
    body TEXT NOT NULL,
    urgent BIGINT NOT NULL DEFAULT 0,
    send_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- pending, sending (claimed by a server), sent, cancelled, failed
    state TEXT NOT NULL DEFAULT 'pending',
    sent_seq BIGINT,
    failure TEXT
);
CREATE INDEX chat_scheduled_due ON chat_scheduled(send_at) WHERE state = 'pending';
CREATE INDEX chat_scheduled_author ON chat_scheduled(author_id, chat_id, state);
