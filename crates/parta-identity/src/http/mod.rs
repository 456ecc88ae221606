//! HTTP of sign-in: `/api/v1/session`, `/me`, tokens; the sign-in and password pages.

pub mod api;
pub mod pages;
pub mod strings;

use crate::Identity;
use parta_http::Door;

/// What this domain's handlers need.
pub struct Deps {
    pub identity: Identity,
    /// Cookies carry `Secure` (the platform is served over https).
    pub secure_cookies: bool,
    /// The platform's public address, for the OpenID Connect redirect.
    pub public_url: Option<String>,
    /// The demo region is served: its passwords are public, the sign-in page says so.
    pub demo: bool,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}

impl Deps {
    /// Where the provider sends the browser back: the public URL, else this request's host.
    pub fn oidc_redirect_url(&self, host: Option<&str>) -> String {
        let base = match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", host.unwrap_or("127.0.0.1")),
        };
        format!("{base}/auth/oidc/callback")
    }
}

/// The cookies a successful sign-in sets: the session and the browser's device id.
pub fn sign_in_cookies(signed: &crate::SignedIn, secure: bool) -> Vec<axum::http::HeaderValue> {
    use parta_http::csrf::{device_cookie, session_cookie};
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
