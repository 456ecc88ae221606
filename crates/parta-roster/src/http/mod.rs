//! HTTP of the school's lists: OneRoster import and export, the template, the import
//! wizard, and the administration's pages (people, classes, accounts and sign-in letters,
//! the end of the year).

pub mod admin;
pub mod api;
pub mod pages;
pub mod rest;
pub mod strings;

use crate::Roster;
use parta_http::Door;

/// What this domain's handlers need.
pub struct Deps {
    pub roster: Roster,
    pub registry: parta_registry::Registry,
    /// Accounts and sign-in letters.
    pub identity: parta_identity::Identity,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}
