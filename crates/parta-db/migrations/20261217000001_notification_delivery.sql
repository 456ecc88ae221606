-- One notification hub (issue 12, COM-4): channels per kind, quiet hours, digest, and a
-- durable delivery queue — one row per notification and channel, so an event is told once
-- per channel however often the relay or a node retries.

-- E-mail and the messenger bot per kind (NULL: the default, off).
ALTER TABLE notification_prefs ADD COLUMN email BIGINT;
ALTER TABLE notification_prefs ADD COLUMN messenger BIGINT;

-- Тихие часы and the daily digest of a person. Quiet hours as 'HH:MM' in the platform's
-- time (both NULL: none); students' nights are quiet whatever is set.
CREATE TABLE notification_settings (
    person_id TEXT PRIMARY KEY REFERENCES persons(id),
    quiet_from TEXT,
    quiet_to TEXT,
    digest BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE notification_deliveries (
    notification_id TEXT NOT NULL REFERENCES notifications(id),
    channel TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    due_at BIGINT NOT NULL,
    -- A sender took it until then (another node leaves it alone).
    claimed_until BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    sent_at BIGINT,
    last_error TEXT,
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX notification_deliveries_due ON notification_deliveries(due_at) WHERE sent_at IS NULL;
-- Done records are forgotten after a month (the notifications stay in the list).
CREATE INDEX notification_deliveries_done ON notification_deliveries(sent_at) WHERE sent_at IS NOT NULL;
