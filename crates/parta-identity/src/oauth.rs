//! OAuth 2.0 client credentials (RFC 6749 §4.4), as OneRoster 1.2 REST secures its
//! services: an API token is the client — its id the `client_id`, its secret the
//! `client_secret` — and gets an access token for an hour holding the scopes asked for,
//! each within the client's own. OneRoster's scope URIs are understood.

use crate::service::{random_token, sha256_hex, Identity};
use crate::throttle::Attempt;
use parta_core::time::now_ms;
use serde::Serialize;

/// How long an access token lives.
pub const ACCESS_TTL_SECS: i64 = 3600;
/// An access token's prefix (an API token's is `parta_`).
pub const ACCESS_PREFIX: &str = "parta_at_";

/// OneRoster 1.2 scopes and the platform's scope each needs.
pub const ONEROSTER_SCOPES: &[(&str, &str)] = &[
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
        "registry:read",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
        "registry:read",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly",
        "registry:read",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook-core.readonly",
        "journal:read",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly",
        "journal:read",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput",
        "journal:write",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createpost",
        "journal:write",
    ),
    (
        "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.delete",
        "journal:write",
    ),
];

/// A granted access token (the RFC's success answer).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    pub expires_in: i64,
    /// The scopes granted, as asked.
    pub scope: String,
}

/// The RFC's error answer (§5.2): its description is ASCII, as the RFC requires.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `invalid_scope`,
    /// `slow_down` (too many failed attempts: wait `Retry-After` seconds).
    pub error: &'static str,
    pub error_description: String,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

fn error(code: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError {
        error: code,
        error_description: description.into(),
        retry_after: None,
    }
}

/// The platform scope a requested scope needs (its own names are accepted as they are).
fn internal(scope: &str) -> Option<&'static str> {
    ONEROSTER_SCOPES
        .iter()
        .find(|(uri, _)| *uri == scope)
        .map(|(_, s)| *s)
        .or_else(|| {
            parta_core::policy::TOKEN_SCOPES
                .iter()
                .find(|s| **s == scope)
                .copied()
        })
}

impl Identity {
    /// Grants an access token to a client that proves its secret.
    pub async fn oauth_token(
        &self,
        grant_type: &str,
        client_id: &str,
        client_secret: &str,
        scope: Option<&str>,
        ip: &str,
    ) -> Result<Grant, OAuthError> {
        if grant_type != "client_credentials" {
            return Err(error(
                "unsupported_grant_type",
                "Only grant_type=client_credentials is supported.",
            ));
        }
        if client_id.is_empty() || client_secret.is_empty() {
            return Err(error(
                "invalid_client",
                "client_id and client_secret are required (in Authorization: Basic or in the form).",
            ));
        }
        // Guessing a secret is slowed down like guessing a password.
        let attempt = Attempt {
            login: client_id,
            address: ip,
            known_device: None,
        };
        if let Err(wait) = self.throttle.check(&attempt) {
            return Err(OAuthError {
                retry_after: Some(wait),
                ..error(
                    "slow_down",
                    format!("Too many failed attempts: retry in {wait} s."),
                )
            });
        }
        // Hashes compared by the database: the secret itself is never stored.
        let row: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT scopes, revoked_at FROM api_tokens WHERE id = $1 AND token_hash = $2",
        )
        .bind(client_id.to_string())
        .bind(sha256_hex(client_secret))
        .fetch_optional(&self.db.pool)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "oauth client lookup failed");
            error("server_error", "Internal error.")
        })?;
        let Some((scopes, None)) = row else {
            self.throttle.failed(&attempt);
            return Err(error(
                "invalid_client",
                "Unknown or revoked client, or a wrong secret.",
            ));
        };
        self.throttle.succeeded(&attempt);
        let client: Vec<&str> = scopes.split_whitespace().collect();
        let asked: Vec<&str> = match scope.map(str::trim) {
            None | Some("") => client.clone(),
            Some(s) => s.split_whitespace().collect(),
        };
        let mut granted = Vec::new();
        for s in &asked {
            match internal(s) {
                Some(i) if client.contains(&i) => {
                    if !granted.contains(&i) {
                        granted.push(i)
                    }
                }
                _ => {
                    return Err(error(
                        "invalid_scope",
                        format!("Scope {s} is not granted to this client."),
                    ))
                }
            }
        }
        if granted.is_empty() {
            return Err(error("invalid_scope", "No scope requested."));
        }
        let token = format!("{ACCESS_PREFIX}{}", random_token());
        let now = now_ms();
        sqlx::query(
            "INSERT INTO oauth_access_tokens (token_hash, api_token_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sha256_hex(&token))
        .bind(client_id.to_string())
        .bind(granted.join(" "))
        .bind(now)
        .bind(now + ACCESS_TTL_SECS * 1000)
        .execute(&self.db.pool)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "oauth grant failed");
            error("server_error", "Internal error.")
        })?;
        Ok(Grant {
            access_token: token,
            token_type: "Bearer",
            expires_in: ACCESS_TTL_SECS,
            scope: asked.join(" "),
        })
    }

    /// An access token's client (the API token's secret hash) and its scopes, while it
    /// lives and its client is not revoked.
    pub(crate) async fn access_token(
        &self,
        secret: &str,
    ) -> Result<Option<(String, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT t.token_hash, a.scopes FROM oauth_access_tokens a JOIN api_tokens t ON t.id = a.api_token_id \
             WHERE a.token_hash = $1 AND a.expires_at > $2 AND t.revoked_at IS NULL",
        )
        .bind(sha256_hex(secret))
        .bind(now_ms())
        .fetch_optional(&self.db.pool)
        .await
    }
}
