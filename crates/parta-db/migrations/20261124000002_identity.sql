-- Sign-in: accounts, sessions, API tokens, OpenID Connect links, audit log.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL UNIQUE REFERENCES persons(id),
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

-- Only a SHA-256 of the session id is stored: a leaked table opens no session.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    active_role_id TEXT NOT NULL REFERENCES role_assignments(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role_id TEXT NOT NULL REFERENCES role_assignments(id),
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES persons(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);

CREATE TABLE oidc_links (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

-- Журнал доступа к персональным данным (DATA-3): append-only.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_person_id TEXT,
    actor_role TEXT,
    action TEXT NOT NULL,
    subject_person_id TEXT,
    organisation_id TEXT,
    object_type TEXT NOT NULL,
    object_id TEXT,
    ip TEXT,
    details TEXT
);
CREATE INDEX audit_subject ON audit_log(subject_person_id, at);
CREATE INDEX audit_actor ON audit_log(actor_person_id, at);
CREATE INDEX audit_org ON audit_log(organisation_id, at);
