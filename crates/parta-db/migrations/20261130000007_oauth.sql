-- OAuth 2.0 client credentials (RFC 6749 §4.4) for integrations, as OneRoster 1.2 REST
-- secures its services: an API token is the client (its id the client_id, its secret the
-- client_secret); an access token lives an hour and holds a subset of the client's scopes.
CREATE TABLE oauth_access_tokens (
    token_hash TEXT PRIMARY KEY,
    api_token_id TEXT NOT NULL REFERENCES api_tokens(id),
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_access_tokens_expiry ON oauth_access_tokens(expires_at);
