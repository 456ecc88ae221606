-- Общение (issue 12): chats, their members and messages.
-- A class's chats and a school's staff room are built from the registry (source_key names
-- what they follow); who may read and write them is decided from the registry at each
-- request, and chat_members keeps each member's read position (and the members of
-- personal and group chats).
CREATE TABLE chats (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    kind TEXT NOT NULL,
    class_id TEXT REFERENCES classes(id),
    source_key TEXT UNIQUE,
    title TEXT NOT NULL,
    read_only BIGINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX chats_org ON chats(organisation_id);
CREATE INDEX chats_class ON chats(class_id);

CREATE TABLE chat_members (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    read_seq BIGINT NOT NULL DEFAULT 0,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, person_id)
);
CREATE INDEX chat_members_person ON chat_members(person_id);

-- Messages by their place in the chat: a client that lost its connection asks for what
-- came after the last one it has.
CREATE TABLE chat_messages (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    author_id TEXT NOT NULL REFERENCES persons(id),
    body TEXT NOT NULL,
    reply_to BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, seq)
);
