-- Общение (issue 12): chats keep messages for a time set by their kind (config `[chats]`);
-- older ones are deleted daily. `purged_seq`: the places up to this one are gone.
ALTER TABLE chats ADD COLUMN purged_seq BIGINT NOT NULL DEFAULT 0;
