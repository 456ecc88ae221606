//! A domain's router state: one reference count to clone per request, whatever its
//! handlers need (its services, the [`Door`]).

use crate::door::Door;
use std::sync::Arc;

/// What a domain's handlers need, shared by its routers.
pub struct Web<D>(Arc<D>);

impl<D> Web<D> {
    pub fn new(deps: D) -> Self {
        Web(Arc::new(deps))
    }
}

impl<D> Clone for Web<D> {
    fn clone(&self) -> Self {
        Web(self.0.clone())
    }
}

impl<D> std::ops::Deref for Web<D> {
    type Target = D;
    fn deref(&self) -> &D {
        &self.0
    }
}

/// A domain's dependencies hold the door its extractors ask.
pub trait HasDoor {
    fn door(&self) -> &Door;
}

impl<D: HasDoor> axum::extract::FromRef<Web<D>> for Door {
    fn from_ref(w: &Web<D>) -> Door {
        w.door().clone()
    }
}
