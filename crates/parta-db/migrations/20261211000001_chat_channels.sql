-- Каналы (issue 12, COM-2): a school's news, a class's channel, a teacher's channel.
-- They are chats whose posts come from their authors (the moderators); readers comment
-- on a post when comments are on (`read_only` = 0). A teacher's channel has its owner;
-- readers subscribe to it (the school's and a class's channels reach their people
-- without asking).
ALTER TABLE chats ADD COLUMN owner_id TEXT REFERENCES persons(id);
ALTER TABLE chats ADD COLUMN description TEXT NOT NULL DEFAULT '';

CREATE TABLE chat_subscriptions (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    subscribed_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, person_id)
);
CREATE INDEX chat_subscriptions_person ON chat_subscriptions(person_id);

-- A post's comments (a message's replies), counted and listed by the post.
CREATE INDEX chat_messages_replies ON chat_messages(chat_id, reply_to);
