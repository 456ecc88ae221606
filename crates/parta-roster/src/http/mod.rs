//! HTTP of roster exchange: OneRoster import and export, the template, the import wizard.

pub mod api;
pub mod pages;

use crate::Roster;
use parta_http::Door;
use std::sync::Arc;

/// What this domain's handlers need.
pub struct Deps {
    pub roster: Roster,
    pub registry: parta_registry::Registry,
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
