//! HTTP of the notifications: `/api/v1/notifications` and the notifications page.

pub mod api;
pub mod pages;
pub mod strings;

use crate::Notifications;
use parta_http::Door;
use std::sync::Arc;

/// What the notifications' handlers need.
pub struct Deps {
    pub notifications: Notifications,
    pub door: Door,
}

/// The state of the notifications' routers: one reference count to clone.
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
