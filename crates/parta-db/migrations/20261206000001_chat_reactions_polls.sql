-- Общение (issue 12): reactions to messages and polls (опросы: a class meeting's date, a
-- trip). The side tables are the truth — who reacted, who voted for what; each message row
-- carries a summary of them (recomputed in the same transaction), so that a page of
-- history and a live frame need no extra reads.

-- The message's reactions by kind with their counts, as `like:3 heart:1` (NULL: none).
ALTER TABLE chat_messages ADD COLUMN reactions TEXT;
-- A poll's view as JSON: its options with their votes, how many voted, whether one or
-- several options may be chosen, whether it is anonymous and closed (NULL: no poll).
ALTER TABLE chat_messages ADD COLUMN poll TEXT;

CREATE TABLE chat_reactions (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq BIGINT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    reaction TEXT NOT NULL,
    reacted_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, seq, person_id, reaction)
);

CREATE TABLE chat_poll_votes (
    chat_id TEXT NOT NULL REFERENCES chats(id),
    seq BIGINT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    option_index BIGINT NOT NULL,
    voted_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, seq, person_id, option_index)
);
