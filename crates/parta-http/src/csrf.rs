//! CSRF protection and the cookies of a session.

use crate::caller::{cookie, resolve, CSRF_FIELD, CSRF_HEADER, DEVICE_COOKIE, SESSION_COOKIE};
use crate::door::Door;
use crate::json::ProblemResponse as _;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use parta_core::Problem;

/// Largest form body the CSRF check reads to find the token: the largest upload (a
/// roster package, 20 MB) with its fields.
pub const MAX_FORM_BODY: usize = 20 * 1024 * 1024 + 64 * 1024;

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
pub async fn csrf(State(door): State<Door>, req: Request, next: Next) -> Response {
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
    let caller = match resolve(&parts, &door).await {
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
pub fn same_origin(headers: &HeaderMap) -> bool {
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

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}
