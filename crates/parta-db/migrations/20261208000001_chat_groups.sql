-- Общение (issue 12): a chat per subject group (a class's English group, an elective):
-- its teachers and students, by the registry, like a class's chats.
ALTER TABLE chats ADD COLUMN group_id TEXT REFERENCES study_groups(id);
