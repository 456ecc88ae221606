//! Authentication and CSRF come from `parta-http` (shared by every domain's HTTP); what
//! is left here is the sign-in's cookies, which know the identity domain.

pub use parta_http::caller::*;
pub use parta_http::csrf::*;

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
