//! HTTP of the registry and of personal data: `/api/v1` and the pages of schools,
//! classes, people, access logs, my data and correction requests.

pub mod admin;
pub mod api;
pub mod pages;
pub mod strings;

use crate::Registry;
use parta_http::Door;

/// What this domain's handlers need.
pub struct Deps {
    pub registry: Registry,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}
