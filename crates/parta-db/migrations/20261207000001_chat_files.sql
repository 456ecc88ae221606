-- Общение (issue 12): files in chats — photos (with a small preview) and documents. The
-- content is in the file store (by SHA-256, under `files/chat`), the row says whose, in
-- which chat and message; a file uploaded and not sent within an hour is swept.
CREATE TABLE chat_files (
    id TEXT PRIMARY KEY,
    chat_id TEXT NOT NULL REFERENCES chats(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    uploaded_by TEXT NOT NULL REFERENCES persons(id),
    -- The message it was sent with (NULL: uploaded, not sent yet).
    seq BIGINT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- A picture's size and its preview (a JPEG of at most 320 px).
    width BIGINT,
    height BIGINT,
    thumb_sha256 TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_files_message ON chat_files(chat_id, seq);
CREATE INDEX chat_files_uploader ON chat_files(uploaded_by, created_at);
CREATE INDEX chat_files_organisation ON chat_files(organisation_id);

-- The message's files as JSON (id, name, type, size, picture size, whether it has a
-- preview): a page of history reads them with the messages.
ALTER TABLE chat_messages ADD COLUMN files TEXT;
