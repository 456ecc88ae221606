//! Identity (INT-2): accounts, passwords (argon2id), sessions with CSRF tokens,
//! sign-in throttling, roles and their scopes, API tokens.

pub mod bulk;
pub mod error;
pub mod http;
pub mod letters;
pub mod oauth;
pub mod oidc;
pub mod password;
pub mod service;
pub mod store;
pub mod throttle;

pub use error::IdentityError;
pub use service::{Identity, SignedIn};
