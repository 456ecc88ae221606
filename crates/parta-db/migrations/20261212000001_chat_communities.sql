-- Сообщества (issue 12, COM-5): a school's interest groups, clubs and sections (its
-- teachers and students), and teachers' professional communities across the schools of a
-- municipality or a region. A community is a chat with members by name: who may find and
-- join it follows its reach; it is open, by request or by invitation; its founder
-- moderates it and may make other members moderators.
ALTER TABLE chats ADD COLUMN reach TEXT;
ALTER TABLE chats ADD COLUMN join_mode TEXT;

CREATE TABLE community_members (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    -- 'member', 'moderator', 'requested' (waits for a moderator), 'invited' (waits for them)
    state TEXT NOT NULL,
    by_id TEXT REFERENCES persons(id),
    at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, person_id)
);
CREATE INDEX community_members_person ON community_members(person_id);
