//! HTTP of the notifications: `/api/v1/notifications` and the notifications page.

pub mod api;
pub mod pages;
pub mod strings;

use crate::Notifications;
use parta_http::Door;

/// What the notifications' handlers need.
pub struct Deps {
    pub notifications: Notifications,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}
