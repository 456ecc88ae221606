//! HTTP of the registry and of personal data: `/api/v1` and the pages of schools,
//! classes, people, access logs, my data and correction requests.

pub mod api;
pub mod pages;

use crate::Registry;
use parta_http::Door;
use std::sync::Arc;

/// What this domain's handlers need.
pub struct Deps {
    pub registry: Registry,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
#[derive(Clone)]
pub struct Web(pub Arc<Deps>);

impl std::ops::Deref for Web {
    type Target = Deps;
    fn deref(&self) -> &Deps {
        &self.0
    }
}

impl axum::extract::FromRef<Web> for Door {
    fn from_ref(w: &Web) -> Door {
        w.door.clone()
    }
}
