-- Браузеры, с которых входили в учётную запись: a browser that has signed into an
-- account before is not held back by sign-in throttling aimed at strangers. Only a
-- SHA-256 of the browser's id (a long-lived cookie) is stored.
CREATE TABLE known_devices (
    device_hash TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (device_hash, account_id)
);
CREATE INDEX known_devices_account ON known_devices(account_id);
-- Школа разрешает педагогам видеть телефон и почту родителей своих учеников (off by
-- default: a teacher sees only names, 152-FZ art. 5).
ALTER TABLE organisations ADD COLUMN parent_contacts_to_teachers BIGINT NOT NULL DEFAULT 0;
-- Квоты хранения: what a school and a person have uploaded, summed at each upload.
ALTER TABLE attachments ADD COLUMN organisation_id TEXT REFERENCES organisations(id);
UPDATE attachments SET organisation_id = (SELECT l.organisation_id FROM lessons l WHERE l.id = attachments.lesson_id);
CREATE INDEX attachments_org ON attachments(organisation_id);
CREATE INDEX attachments_uploader ON attachments(uploaded_by);
