//! Authentication extractors and CSRF protection. A request is authenticated by the
//! session cookie or by `Authorization: Bearer <api token>`; the policy decides the rest.

use crate::state::AppState;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use parta_core::principal::Principal;
use parta_core::Problem;
use parta_identity::service::SessionInfo;
use parta_registry::service::Origin;

pub const SESSION_COOKIE: &str = "parta_session";
/// The browser's device id (a random secret kept a year): sign-in throttling does not hold
/// back a browser that signed into the account before.
pub const DEVICE_COOKIE: &str = "parta_device";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";

/// The authenticated caller.
#[derive(Clone)]
pub struct Caller {
    pub principal: Principal,
    /// Present for cookie sessions (not for API tokens).
    pub session: Option<SessionInfo>,
    pub origin: Origin,
}

impl Caller {
    pub fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or_default()
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Client address: the socket peer — or, when the peer is a configured reverse proxy
/// (`trusted_proxies`), the last address in `X-Forwarded-For` that is not one of them.
pub fn client_ip(parts: &Parts, state: &AppState) -> String {
    client_addr(parts, state)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn client_addr(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())?;
    let trusted = |ip: &std::net::IpAddr| state.trusted_proxies.iter().any(|n| n.contains(ip));
    if !trusted(&peer) {
        return Some(peer);
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .unwrap_or(peer),
    )
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Caller>, Problem> {
    let origin = Origin {
        ip: Some(client_ip(parts, state)),
    };
    if let Some(auth) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(secret) = auth.strip_prefix("Bearer ") else {
            return Err(Problem::unauthorized());
        };
        let principal = state
            .identity
            .token_principal(secret.trim())
            .await
            .map_err(Problem::from)?;
        let caller = Caller {
            principal,
            session: None,
            origin,
        };
        // Known before the scope check, so that a refused token is audited as its holder.
        remember(parts, &caller);
        token_may(parts, state, &caller.principal)?;
        return Ok(Some(caller));
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match state.identity.session(&token).await {
        Ok(info) => Ok(Some(Caller {
            principal: info.principal.clone(),
            session: Some(info),
            origin,
        })),
        Err(parta_identity::IdentityError::Unauthenticated) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Every API operation declares in its OpenAPI `security` which token scope it needs (or
/// that it is for sessions only); a token without that scope is refused here, whatever the
/// operation does with it afterwards. Pages are never reached with a token.
fn token_may(
    parts: &Parts,
    state: &AppState,
    p: &parta_core::principal::Principal,
) -> Result<(), Problem> {
    let parta_core::principal::Via::ApiToken { scopes } = &p.via else {
        return Ok(());
    };
    let key = format!(
        "{} {}",
        parts.method,
        parts
            .extensions
            .get::<axum::extract::MatchedPath>()
            .map(|m| m.as_str())
            .unwrap_or_default()
    );
    match state.token_access.get(&key) {
        Some(Some(needed)) if needed.is_empty() || needed.iter().any(|n| scopes.contains(n)) => {
            Ok(())
        }
        Some(Some(needed)) => Err(Problem::forbidden().with_detail(format!(
            "У API-токена нет области {} — она нужна для этой операции.",
            needed.join(" или ")
        ))),
        _ => Err(Problem::forbidden().with_detail(
            "Эта операция выполняется только в сеансе пользователя, не по API-токену.",
        )),
    }
}

/// Who asked, as the refusal audit records them: person, active role, address.
#[derive(Clone)]
pub struct Asker {
    pub person: parta_core::ids::PersonId,
    pub role: parta_core::principal::Role,
    pub ip: Option<String>,
}

/// Where the caller extractor leaves who asked, so that the refusal audit
/// ([`crate::ops::audit_refusals`]) knows it once the answer is made.
#[derive(Clone, Default)]
pub struct CallerSlot(pub std::sync::Arc<std::sync::Mutex<Option<Asker>>>);

/// Leaves the caller in the request's [`CallerSlot`], for the refusal audit.
fn remember(parts: &Parts, caller: &Caller) {
    if let Some(slot) = parts.extensions.get::<CallerSlot>() {
        if let Ok(mut s) = slot.0.lock() {
            *s = Some(Asker {
                person: caller.principal.person_id,
                role: caller.principal.role(),
                ip: caller.origin.ip.clone(),
            });
        }
    }
}

/// API extractor: 401 problem+json when not signed in.
impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The CSRF check of a change may have resolved the caller already.
        if let Some(c) = parts.extensions.get::<Caller>().cloned() {
            remember(parts, &c);
            return Ok(c);
        }
        let caller = resolve(parts, state)
            .await?
            .ok_or_else(Problem::unauthorized)?;
        parts.extensions.insert(caller.clone());
        remember(parts, &caller);
        Ok(caller)
    }
}

/// Page extractor: redirects to the sign-in page when not signed in.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await {
            Ok(c) => Ok(PageCaller(c)),
            Err(p) if p.status == 401 => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", urlencode(back));
                Err(Redirect::to(&to).into_response())
            }
            Err(p) => Err(crate::pages::error_page(&p, parts)),
        }
    }
}

/// Optional caller for pages that work either way (sign-in page).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeCaller(
            Caller::from_request_parts(parts, state).await.ok(),
        ))
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Only local paths are followed after sign-in (no open redirect). Browsers drop tabs
/// and newlines in a URL, so `/\t/evil` would become `//evil`: no control characters,
/// spaces or backslashes at all.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.bytes().any(|b| b <= 0x20 || b == 0x7F || b == b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Largest form body the CSRF check reads to find the token: an upload (a roster
/// package) with its fields.
const MAX_FORM_BODY: usize = parta_roster::service::MAX_UPLOAD + 64 * 1024;

/// The `_csrf` field of a multipart form (file uploads), read from the buffered body.
pub async fn multipart_token(content_type: &str, body: axum::body::Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// CSRF middleware. For state-changing requests carried by the session cookie, the
/// session's token must come back in `X-CSRF-Token` or in the `_csrf` field of the form
/// (URL-encoded or multipart) — never in the URL, where it would reach logs and the
/// `Referer`. Requests without a session (sign-in) must come from our own origin.
/// Bearer-token requests carry no cookie.
pub async fn csrf(state: axum::extract::State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if !same_origin(req.headers()) {
        return Problem::csrf().into_response();
    }
    // Sign-in opens a new session: same-origin is its protection, not the old token.
    let sign_in =
        req.method() == Method::POST && matches!(req.uri().path(), "/login" | "/api/v1/session");
    if sign_in
        || req.headers().contains_key(header::AUTHORIZATION)
        || cookie(req.headers(), SESSION_COOKIE).is_none()
    {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // Resolve the caller once; the handler's extractor finds it in the extensions.
    let caller = match resolve(&parts, &state).await {
        Ok(Some(c)) => c,
        // An expired session: let the handler answer 401 / redirect to sign-in.
        Ok(None) => return next.run(Request::from_parts(parts, body)).await,
        Err(p) => return p.into_response(),
    };
    let expected = caller.csrf().to_string();
    parts.extensions.insert(caller);
    let given = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(given) = given {
        return if constant_eq(&given, &expected) {
            next.run(Request::from_parts(parts, body)).await
        } else {
            Problem::csrf().into_response()
        };
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (limit, multipart) = if content_type.starts_with("application/x-www-form-urlencoded") {
        (1024 * 1024, false)
    } else if content_type.starts_with("multipart/form-data") {
        (MAX_FORM_BODY, true)
    } else {
        return Problem::csrf().into_response();
    };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Problem::payload_too_large(limit).into_response();
    };
    let given = if multipart {
        multipart_token(&content_type, bytes.clone()).await
    } else {
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| form_value(s, CSRF_FIELD))
    };
    if !given.is_some_and(|v| constant_eq(&v, &expected)) {
        return Problem::csrf().into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// `Origin` (or `Referer`) must name this host when a browser sends one.
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        None | Some("null") => headers.get(header::ORIGIN).is_none(),
        Some(src) => {
            let rest = src.split_once("://").map(|(_, r)| r).unwrap_or(src);
            rest.split('/').next() == Some(host)
        }
    }
}

fn form_value(s: &str, key: &str) -> Option<String> {
    s.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn device_cookie(token: &str, secure: bool) -> String {
    format!(
        "{DEVICE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The cookies a successful sign-in sets: the session and the browser's device id.
pub fn sign_in_cookies(
    signed: &parta_identity::SignedIn,
    secure: bool,
) -> Vec<axum::http::HeaderValue> {
    std::iter::once(session_cookie(&signed.session_token, secure))
        .chain(
            signed
                .device_token
                .as_deref()
                .map(|d| device_cookie(d, secure)),
        )
        .filter_map(|c| c.parse().ok())
        .collect()
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/schools?x=1")), "/schools?x=1");
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil",
            "https://evil.example",
            "/a b",
            "/\n/evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
    }
}
