//! HTTP of the school day: `/api/v1` of the calendar, timetable, journal, diary, homework
//! and the OneRoster gradebook view, and their pages.

pub mod api;
pub mod pages;
pub mod strings;

use crate::Journal;
use parta_http::Door;
use parta_registry::Registry;
use std::sync::Arc;

/// What the school day's handlers need.
pub struct Deps {
    pub journal: Journal,
    /// Published reads of the registry (a class's school, the staff of a school).
    pub registry: Registry,
    pub door: Door,
}

/// The state of the school day's routers: one reference count to clone.
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
