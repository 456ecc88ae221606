-- Активность в чатах (issue 12, MON-3/MON-4): messages per chat and week, and who wrote
-- them, kept by the chats' writer in the messages' own transactions (one statement per
-- batch each), so the figures are exact and current and reading them scans no messages.
CREATE TABLE chat_activity (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    -- The week's Monday, YYYY-MM-DD (the server's calendar).
    week TEXT NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (week, chat_id)
);
CREATE TABLE chat_activity_authors (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    week TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    messages BIGINT NOT NULL,
    PRIMARY KEY (week, chat_id, person_id)
);
