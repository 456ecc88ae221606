//! Sign-in through an OpenID Connect provider (INT-2; ЕСИА speaks a dialect of it).
//! A provider's person is linked to an existing registry record by a verified
//! identifier — the SNILS claim, or a provider-verified e-mail that names exactly one
//! person and that the *school* recorded (an address a person typed in themselves
//! could be anyone's) — and never created or matched by name.

use crate::service::{random_token, Identity, SignedIn};
use crate::{store, IdentityError};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use parta_core::config::OidcConfig;
use parta_core::ids::PersonId;
use parta_core::time::now_ms;
use parta_db::audit::AuditEntry;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::RwLock;

/// A sign-in must come back within this time.
const PENDING_TTL_MS: i64 = 10 * 60_000;
/// Provider metadata and keys are fetched again after this time.
const METADATA_TTL_MS: i64 = 60 * 60_000;

/// Claims beyond the standard ones: ЕСИА and regional providers carry СНИЛС.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ExtraClaims {
    #[serde(default)]
    snils: Option<String>,
}
impl AdditionalClaims for ExtraClaims {}

/// A client built from discovery: authorization endpoint set, token and userinfo
/// endpoints as the provider announces them.
type ProviderClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Clone)]
pub struct Oidc {
    pub config: OidcConfig,
    http: openidconnect::reqwest::Client,
    metadata: Arc<RwLock<Option<(i64, CoreProviderMetadata)>>>,
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Result<Self, IdentityError> {
        // No redirects: a provider that redirects its back-channel is misconfigured (and SSRF).
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| IdentityError::Oidc(e.to_string()))?;
        Ok(Self {
            config,
            http,
            metadata: Arc::new(RwLock::new(None)),
        })
    }

    /// A client for the provider, sending the browser back to `redirect_url`.
    async fn client(&self, redirect_url: &str) -> Result<ProviderClient, IdentityError> {
        let redirect = RedirectUrl::new(redirect_url.to_string())
            .map_err(|e| IdentityError::Oidc(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata().await?,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose().to_string(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    async fn metadata(&self) -> Result<CoreProviderMetadata, IdentityError> {
        if let Some((at, m)) = self.metadata.read().await.as_ref() {
            if now_ms() - at < METADATA_TTL_MS {
                return Ok(m.clone());
            }
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| IdentityError::Oidc(e.to_string()))?;
        let m = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| IdentityError::Oidc(format!("discovery: {e}")))?;
        *self.metadata.write().await = Some((now_ms(), m.clone()));
        Ok(m)
    }
}

/// What the provider told us about the person.
#[derive(Debug, Clone, Default)]
pub struct ProviderIdentity {
    pub issuer: String,
    pub subject: String,
    pub snils: Option<String>,
    pub verified_email: Option<String>,
}

impl Identity {
    fn oidc(&self) -> Result<&Oidc, IdentityError> {
        self.oidc.as_ref().ok_or(IdentityError::NotFound)
    }

    /// Name of the provider for the sign-in button, if one is configured.
    pub fn oidc_name(&self) -> Option<&str> {
        self.oidc.as_ref().map(|o| o.config.display_name.as_str())
    }

    /// Starts a sign-in: returns the provider URL to send the browser to.
    /// Returns the provider URL and the state, which the caller binds to the browser
    /// (a cookie) so a callback cannot be replayed into someone else's browser.
    pub async fn oidc_start(
        &self,
        redirect_url: &str,
        next: &str,
    ) -> Result<(String, String), IdentityError> {
        let oidc = self.oidc()?;
        let client = oidc.client(redirect_url).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("snils".into()))
            .set_pkce_challenge(challenge)
            .url();
        sqlx::query("DELETE FROM oidc_pending WHERE created_at < $1")
            .bind(now_ms() - PENDING_TTL_MS)
            .execute(&self.db.pool)
            .await?;
        sqlx::query("INSERT INTO oidc_pending (state, verifier, nonce, next, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(state.secret().clone())
            .bind(verifier.secret().clone())
            .bind(nonce.secret().clone())
            .bind(next.to_string())
            .bind(now_ms())
            .execute(&self.db.pool)
            .await?;
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in: exchanges the code, verifies the ID token, links the person
    /// and opens a session. Returns the session and where to go next.
    pub async fn oidc_finish(
        &self,
        redirect_url: &str,
        code: &str,
        state: &str,
        ip: &str,
    ) -> Result<(SignedIn, String), IdentityError> {
        let oidc = self.oidc()?;
        // The state is single-use: taken out before anything else happens.
        // Taken out in one statement: two callbacks with one state cannot both pass.
        let pending: Option<(String, String, String, i64)> = sqlx::query_as(
            "DELETE FROM oidc_pending WHERE state = $1 RETURNING verifier, nonce, next, created_at",
        )
        .bind(state.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((verifier, nonce, next, created)) = pending else {
            return Err(IdentityError::OidcState);
        };
        if now_ms() - created > PENDING_TTL_MS {
            return Err(IdentityError::OidcState);
        }
        let client = oidc.client(redirect_url).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| IdentityError::Oidc(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&oidc.http)
            .await
            .map_err(|e| IdentityError::Oidc(format!("token: {e}")))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| IdentityError::Oidc("no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(nonce))
            .map_err(|e| IdentityError::Oidc(format!("ID token: {e}")))?;
        let mut who = ProviderIdentity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            snils: None,
            verified_email: claims
                .email()
                .filter(|_| claims.email_verified() == Some(true))
                .map(|e| e.to_string()),
        };
        // СНИЛС and often the e-mail come from the userinfo endpoint.
        if let Ok(req) =
            client.user_info(token.access_token().clone(), Some(claims.subject().clone()))
        {
            match req
                .request_async::<ExtraClaims, _, CoreGenderClaim>(&oidc.http)
                .await
            {
                Ok(info) => merge_userinfo(&mut who, &info),
                Err(e) => tracing::warn!(error = %e, "userinfo request failed"),
            }
        }
        let person = self.link(&who).await?;
        let account = match store::account_of_person(&self.db, person).await? {
            Some(a) => a,
            None => {
                let login = format!("oidc-{}", &random_token()[..10]).to_lowercase();
                self.create_account(person, &login, None).await?;
                store::account_of_person(&self.db, person)
                    .await?
                    .ok_or(IdentityError::OidcNotLinked)?
            }
        };
        if account.disabled != 0 {
            return Err(IdentityError::OidcNotLinked);
        }
        let audit = AuditEntry {
            actor_person_id: Some(person),
            action: "sign_in",
            subject_person_id: Some(person),
            object_type: "account",
            ip: Some(ip.to_string()),
            details: Some(format!("oidc {}", who.issuer)),
            ..Default::default()
        };
        let signed = self
            .open_session(&account, None, Some(ip), Some(audit))
            .await?;
        Ok((signed, next))
    }

    /// Finds the registry person for a provider identity, remembering the link.
    pub async fn link(&self, who: &ProviderIdentity) -> Result<PersonId, IdentityError> {
        let known: Option<(PersonId,)> =
            sqlx::query_as("SELECT person_id FROM oidc_links WHERE issuer = $1 AND subject = $2")
                .bind(who.issuer.clone())
                .bind(who.subject.clone())
                .fetch_optional(&self.db.pool)
                .await?;
        if let Some((p,)) = known {
            return Ok(p);
        }
        let mut candidates: Vec<(PersonId,)> = Vec::new();
        if let Some(snils) = who.snils.as_deref().and_then(parta_core::snils::normalise) {
            candidates = sqlx::query_as("SELECT id FROM persons WHERE snils = $1")
                .bind(snils)
                .fetch_all(&self.db.pool)
                .await?;
        }
        if candidates.is_empty() {
            if let Some(email) = &who.verified_email {
                candidates =
                    sqlx::query_as("SELECT id FROM persons WHERE LOWER(email) = $1 AND email_confirmed = 1 LIMIT 2")
                        .bind(email.to_lowercase())
                        .fetch_all(&self.db.pool)
                        .await?;
            }
        }
        // Exactly one match, or nobody: a shared family e-mail must not open a child's account.
        let [(person,)] = candidates[..] else {
            return Err(IdentityError::OidcNotLinked);
        };
        sqlx::query("INSERT INTO oidc_links (issuer, subject, person_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(who.issuer.clone())
            .bind(who.subject.clone())
            .bind(person)
            .bind(now_ms())
            .execute(&self.db.pool)
            .await?;
        Ok(person)
    }
}

fn merge_userinfo(who: &mut ProviderIdentity, info: &UserInfoClaims<ExtraClaims, CoreGenderClaim>) {
    if who.verified_email.is_none() && info.email_verified() == Some(true) {
        who.verified_email = info.email().map(|e| e.to_string());
    }
    if let Some(s) = &info.additional_claims().snils {
        who.snils = Some(s.clone());
    }
}
