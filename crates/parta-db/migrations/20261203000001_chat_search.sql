-- Поиск по чатам (issue 12): the search index (tantivy, in the data directory) catches up
-- on start with the edits and deletions made since its last commit; these find them
-- without reading every message.
CREATE INDEX chat_messages_edited ON chat_messages(edited_at) WHERE edited_at IS NOT NULL;
CREATE INDEX chat_messages_deleted ON chat_messages(deleted_at) WHERE deleted_at IS NOT NULL;
