//! HTTP of the school day: `/api/v1` of the calendar, timetable, journal, diary, homework
//! and the OneRoster gradebook view, and their pages.

pub mod api;
pub mod pages;
pub mod strings;
pub mod today;

use crate::Journal;
use parta_http::Door;
use parta_registry::Registry;

/// What the school day's handlers need.
pub struct Deps {
    pub journal: Journal,
    /// Published reads of the registry (a class's school, the staff of a school).
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
