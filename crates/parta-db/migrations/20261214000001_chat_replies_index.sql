-- The replies' index holds replies only: as a full index SQLite chose it over
-- `chat_messages_urgent` for a chat's urgent messages and read the whole chat for the chat
-- list's count (measured: the list 2.4× slower on 1 M messages, bench/RESULTS.md).
DROP INDEX chat_messages_replies;
CREATE INDEX chat_messages_replies ON chat_messages(chat_id, reply_to) WHERE reply_to IS NOT NULL;
