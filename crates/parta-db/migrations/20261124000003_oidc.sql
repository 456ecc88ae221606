-- OpenID Connect sign-ins in flight: state → PKCE verifier and nonce, for a few minutes.
CREATE TABLE oidc_pending (
    state TEXT PRIMARY KEY,
    verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
