//! HTTP of roster exchange: OneRoster import and export, the template, the import wizard.

pub mod api;
pub mod pages;

use crate::Roster;
use parta_http::Door;

/// What this domain's handlers need.
pub struct Deps {
    pub roster: Roster,
    pub registry: parta_registry::Registry,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}
