//! `/api/v1` of sign-in: sessions, the active role, the password, API tokens.

use super::Web;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::Json;
use parta_core::ids::{PersonId, RoleAssignmentId};
use parta_core::principal::{Role, RoleAssignment};
use parta_core::Problem;
use parta_http::caller as auth;
use parta_http::csrf;
use parta_http::Caller;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use parta_http::{ApiJson, ApiResult};

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(switch_role))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(tokens, issue_token))
        .routes(routes!(revoke_token))
        .routes(routes!(oauth_token))
}

// ---- identity ----

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignInRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub person_id: PersonId,
    pub display_name: String,
    pub role: Role,
    pub active_role_id: RoleAssignmentId,
    pub roles: Vec<RoleAssignment>,
    /// Send back in `X-CSRF-Token` with every state-changing request of this session.
    pub csrf_token: Option<String>,
}

fn me_view(c: &Caller) -> Me {
    Me {
        person_id: c.principal.person_id,
        display_name: c.principal.display_name.clone(),
        role: c.principal.role(),
        active_role_id: c.principal.active.id,
        roles: c.principal.roles.clone(),
        csrf_token: c.session.as_ref().map(|s| s.csrf_token.clone()),
    }
}

/// Sign in with login and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", security(()), tag = "identity", request_body = SignInRequest,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn sign_in(
    State(st): State<Web>,
    parts: axum::http::request::Parts,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<Response> {
    let ip = auth::client_ip(&parts, &st.door);
    let device = auth::cookie(&parts.headers, auth::DEVICE_COOKIE);
    let signed = st
        .identity
        .sign_in(&req.login, &req.password, &ip, device.as_deref())
        .await?;
    let me = Me {
        person_id: signed.person_id,
        display_name: signed.display_name.clone(),
        role: signed.active.role,
        active_role_id: signed.active.id,
        roles: signed.roles.clone(),
        csrf_token: Some(signed.csrf_token.clone()),
    };
    let mut res = Json(me).into_response();
    for c in super::sign_in_cookies(&signed, st.secure_cookies) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Sign out: the session is revoked.
#[utoipa::path(delete, path = "/api/v1/session", security(("session" = [])), tag = "identity", responses((status = 204), (status = 401, body = Problem)))]
async fn sign_out(State(st): State<Web>, caller: Caller) -> ApiResult<Response> {
    if let Some(s) = &caller.session {
        st.identity.sign_out(s).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, csrf::clear_session_cookie())]),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SwitchRole {
    pub role_id: RoleAssignmentId,
}

/// Act in another of one's roles (a teacher who is also a parent).
#[utoipa::path(put, path = "/api/v1/session/role", security(("session" = [])), tag = "identity", request_body = SwitchRole,
    responses((status = 204), (status = 422, body = Problem)))]
async fn switch_role(
    State(st): State<Web>,
    caller: Caller,
    ApiJson(req): ApiJson<SwitchRole>,
) -> ApiResult<StatusCode> {
    let session = caller.session.as_ref().ok_or_else(Problem::forbidden)?;
    st.identity.switch_role(session, req.role_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in person and their roles.
#[utoipa::path(get, path = "/api/v1/me", security(("session" = []), ("token" = [])), tag = "identity", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(me_view(&caller))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

/// Change one's password; every session is revoked and a new one opened.
#[utoipa::path(post, path = "/api/v1/me/password", security(("session" = [])), tag = "identity", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = Problem)))]
async fn change_password(
    State(st): State<Web>,
    caller: Caller,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<Response> {
    let session = caller.session.as_ref().ok_or_else(Problem::forbidden)?;
    let ip = caller.origin.ip.clone().unwrap_or_default();
    let signed = st
        .identity
        .change_password(session, &req.old_password, &req.new_password, &ip)
        .await?;
    let cookie = csrf::session_cookie(&signed.session_token, st.secure_cookies);
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, cookie)]),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    /// The role the token acts in.
    pub role_id: RoleAssignmentId,
    /// Scopes: `registry:read`, `registry:write`, `reference:write`, `schedule:read`,
    /// `schedule:write`, `journal:read`, `journal:write`, `notifications:read`,
    /// `notifications:write`.
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: String,
    /// Shown once; only a hash is stored.
    pub token: String,
}

/// API tokens for integrations.
#[utoipa::path(get, path = "/api/v1/tokens", security(("session" = [])), tag = "identity", responses((status = 200, body = [crate::store::ApiTokenRow]), (status = 403, body = Problem)))]
async fn tokens(
    State(st): State<Web>,
    caller: Caller,
) -> ApiResult<Json<Vec<crate::store::ApiTokenRow>>> {
    Ok(Json(st.identity.tokens(&caller.principal).await?))
}

/// Issue an API token (platform admin).
#[utoipa::path(post, path = "/api/v1/tokens", security(("session" = [])), tag = "identity", request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn issue_token(
    State(st): State<Web>,
    caller: Caller,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let (id, token) = st
        .identity
        .issue_token(&caller.principal, &req.name, req.role_id, &req.scopes)
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { id, token })))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", security(("session" = [])), tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(
    State(st): State<Web>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    st.identity.revoke_token(&caller.principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- OAuth 2.0 ----

/// The token request (RFC 6749 §4.4.2), as a form.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `client_credentials`.
    #[serde(default)]
    pub grant_type: String,
    /// Space-separated: OneRoster 1.2 scope URIs or the platform's scope names.
    pub scope: Option<String>,
    /// When not sent in `Authorization: Basic`.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// `client_id:client_secret` of `Authorization: Basic` (RFC 6749 §2.3.1: each
/// form-urlencoded before base64).
fn basic(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let b64 = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let decode = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={s}"))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, v)| v)
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

/// OAuth 2.0 token endpoint, client credentials grant: an API token's id and secret
/// (`Authorization: Basic` or the form) give an access token for an hour, with the
/// OneRoster 1.2 scopes asked for (`…/scope/roster.readonly`, `…/gradebook.readonly`,
/// `…/gradebook.createput`, …) or the platform's, each within the token's own.
#[utoipa::path(post, path = "/api/v1/oauth/token", security(()), tag = "identity",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = crate::oauth::Grant), (status = 400, body = crate::oauth::OAuthError), (status = 401, body = crate::oauth::OAuthError)))]
async fn oauth_token(
    State(st): State<Web>,
    parts: axum::http::request::Parts,
    body: axum::body::Bytes,
) -> Response {
    let headers = &parts.headers;
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let Some(req) = serde_urlencoded::from_bytes::<TokenRequest>(&body)
        .ok()
        .filter(|_| form)
    else {
        let e = crate::oauth::OAuthError {
            error: "invalid_request",
            error_description:
                "The token request is an application/x-www-form-urlencoded form (RFC 6749, 4.4.2)."
                    .into(),
            retry_after: None,
        };
        return (StatusCode::BAD_REQUEST, Json(e)).into_response();
    };
    let (id, secret) = basic(headers).unwrap_or_else(|| {
        (
            req.client_id.clone().unwrap_or_default(),
            req.client_secret.clone().unwrap_or_default(),
        )
    });
    let ip = auth::client_ip(&parts, &st.door);
    let answer = st
        .identity
        .oauth_token(&req.grant_type, &id, &secret, req.scope.as_deref(), &ip)
        .await;
    let no_store = [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ];
    match answer {
        Ok(grant) => (no_store, Json(grant)).into_response(),
        Err(e) => {
            let status = match e.error {
                "invalid_client" => StatusCode::UNAUTHORIZED,
                "slow_down" => StatusCode::TOO_MANY_REQUESTS,
                "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            let mut res = (status, no_store, Json(&e)).into_response();
            if status == StatusCode::UNAUTHORIZED {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Basic realm=\"parta\""),
                );
            }
            if let Some(wait) = e.retry_after {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(wait));
            }
            res
        }
    }
}
