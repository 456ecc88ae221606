//! The door every request passes: who may come in (sessions and API tokens, resolved by
//! the identity domain behind [`Authenticator`]), which token scope each operation needs,
//! and which peers are reverse proxies. Domain routers take it from their state with
//! `FromRef`, so they need not know the application's state type.

use parta_core::principal::{Principal, Session};
use parta_core::Problem;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Resolves the credentials a request carries; implemented by the identity domain.
pub trait Authenticator: Send + Sync + 'static {
    /// The session of a session cookie; `Ok(None)` when it is unknown or expired.
    fn session<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Option<Session>, Problem>>;
    /// The principal an API token acts as, limited to its scopes.
    fn token<'a>(&'a self, secret: &'a str) -> BoxFuture<'a, Result<Principal, Problem>>;
}

#[derive(Clone)]
pub struct Door {
    pub auth: Arc<dyn Authenticator>,
    /// The token scopes each operation accepts, as `METHOD /path/{param}` (`Some(vec![])`:
    /// any token; `None`: sessions only), from the OpenAPI document's `security`.
    pub token_access: Arc<HashMap<String, Option<Vec<String>>>>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}
