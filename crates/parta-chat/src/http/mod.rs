//! HTTP of the chats: `/api/v1/chats` (with the live stream) and the chat pages.

pub mod api;
pub mod pages;
pub mod socket;
pub mod strings;

use crate::Chats;
use parta_http::Door;

/// What the chats' handlers need.
pub struct Deps {
    pub chats: Chats,
    pub door: Door,
}

/// The state of this domain's routers: one reference count to clone.
pub type Web = parta_http::Web<Deps>;

impl parta_http::HasDoor for Deps {
    fn door(&self) -> &Door {
        &self.door
    }
}
