//! HTTP of the video lessons: `/api/v1/lessons/{id}/video`, the engines' callbacks and the
//! pages.

pub mod api;
pub mod pages;
pub mod strings;

use crate::Videos;
use parta_http::Door;

/// What the video lessons' handlers need.
pub struct Deps {
    pub videos: Videos,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}
