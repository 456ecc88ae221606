-- Web Push (issue 12, COM-4): a person's browsers subscribed to push, the platform's VAPID
-- key pair, and the channel's switch per kind.

-- Push per kind (NULL: on — subscribing a browser is the choice; 0: off for the kind).
ALTER TABLE notification_prefs ADD COLUMN push BIGINT;

-- One row per browser: the address at its push service (a capability: whoever knows it
-- can wake the browser, so it is never shown) and the keys its payload is encrypted to.
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    -- «Chrome, Android»: for the person's list of their devices.
    device TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sent_at BIGINT
);
CREATE INDEX push_subscriptions_person ON push_subscriptions(person_id);

-- The application server's key pair (RFC 8292), made once for the whole cluster.
CREATE TABLE push_vapid (
    id BIGINT PRIMARY KEY,
    -- The P-256 scalar, base64url.
    private_key TEXT NOT NULL,
    -- The uncompressed public point, base64url (what browsers take as applicationServerKey).
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
