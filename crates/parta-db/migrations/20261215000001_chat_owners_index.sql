-- The chats someone owns (a teacher's channel, a community founded, a broadcast
-- organised), found by their owner without reading every chat.
CREATE INDEX chats_owner ON chats(owner_id) WHERE owner_id IS NOT NULL;
