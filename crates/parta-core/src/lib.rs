//! Shared kernel of Parta: typed ids, errors as RFC 9457 problems, configuration,
//! the authenticated [`Principal`](principal::Principal) and the one access policy.

pub mod config;
pub mod error;
pub mod ids;
pub mod outbound;
pub mod policy;
pub mod principal;
pub mod snils;
pub mod text;
pub mod time;

pub use error::{ErrorCode, FieldError, Problem};
