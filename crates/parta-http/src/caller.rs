//! Authentication extractors. A request is authenticated by the session cookie or by
//! `Authorization: Bearer <api token>`; the policy decides the rest.

use crate::door::Door;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use parta_core::principal::{Origin, Principal, Session};
use parta_core::Problem;

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
    pub session: Option<Session>,
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
pub fn client_ip(parts: &Parts, door: &Door) -> String {
    client_addr(parts, door)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn client_addr(parts: &Parts, door: &Door) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())?;
    let trusted = |ip: &std::net::IpAddr| door.trusted_proxies.iter().any(|n| n.contains(ip));
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

pub async fn resolve(parts: &Parts, door: &Door) -> Result<Option<Caller>, Problem> {
    let origin = Origin {
        ip: Some(client_ip(parts, door)),
    };
    if let Some(auth) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(secret) = auth.strip_prefix("Bearer ") else {
            return Err(Problem::unauthorized());
        };
        let principal = door.auth.token(secret.trim()).await?;
        let caller = Caller {
            principal,
            session: None,
            origin,
        };
        // Known before the scope check, so that a refused token is audited as its holder.
        remember(parts, &caller);
        token_may(parts, door, &caller.principal)?;
        return Ok(Some(caller));
    }
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(info) = door.auth.session(&token).await? else {
        return Ok(None);
    };
    if info.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path()) {
        return Err(Problem::password_change_required());
    }
    Ok(Some(Caller {
        principal: info.principal.clone(),
        session: Some(info),
        origin,
    }))
}

/// What a session on a letter's one-time password may reach: the password change, the
/// sign-out, and who one is.
pub const PASSWORD_CHANGE_PATHS: &[&str] = &[
    "/password",
    "/logout",
    "/api/v1/me/password",
    "/api/v1/session",
    "/api/v1/me",
];

/// Every API operation declares in its OpenAPI `security` which token scope it needs (or
/// that it is for sessions only); a token without that scope is refused here, whatever the
/// operation does with it afterwards. Pages are never reached with a token.
fn token_may(
    parts: &Parts,
    door: &Door,
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
    match door.token_access.get(&key) {
        Some(Some(needed)) if needed.is_empty() || needed.iter().any(|n| scopes.contains(n)) => {
            Ok(())
        }
        Some(Some(needed)) => Err(Problem::forbidden().with_detail(format!(
            "У API-токена нет области {} — она нужна для этой операции.",
            // Scope codes, in either language.
            needed.join(" | ")
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
/// (the application's refusal audit) knows it once the answer is made.
#[derive(Clone, Default)]
pub struct CallerSlot(pub std::sync::Arc<std::sync::Mutex<Option<Asker>>>);

/// Leaves the caller in the request's [`CallerSlot`], for the refusal audit.
pub fn remember(parts: &Parts, caller: &Caller) {
    if let Some(slot) = parts.extensions.get::<crate::page::PageSlot>() {
        if let Ok(mut s) = slot.0.lock() {
            *s = Some(caller.clone());
        }
    }
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
impl<S> FromRequestParts<S> for Caller
where
    Door: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = crate::json::ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The CSRF check of a change may have resolved the caller already.
        if let Some(c) = parts.extensions.get::<Caller>().cloned() {
            remember(parts, &c);
            return Ok(c);
        }
        let caller = resolve(parts, &Door::from_ref(state))
            .await?
            .ok_or_else(Problem::unauthorized)?;
        parts.extensions.insert(caller.clone());
        remember(parts, &caller);
        Ok(caller)
    }
}

/// Page extractor: redirects to the sign-in page when not signed in.
pub struct PageCaller(pub Caller);

impl<S> FromRequestParts<S> for PageCaller
where
    Door: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, state).await {
            Ok(c) => Ok(PageCaller(c)),
            Err(p) if p.0.status == 401 => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", urlencode(back));
                Err(Redirect::to(&to).into_response())
            }
            Err(p) if p.0.code == "password_change_required" => {
                Err(Redirect::to("/password?first=1").into_response())
            }
            Err(p) => Err(crate::page::error_page(&p.0, parts)),
        }
    }
}

/// Optional caller for pages that work either way (sign-in page).
pub struct MaybeCaller(pub Option<Caller>);

impl<S> FromRequestParts<S> for MaybeCaller
where
    Door: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
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
