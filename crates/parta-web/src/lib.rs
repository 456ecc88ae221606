//! HTTP: composes the domains' API handlers and pages, static assets, the OpenAPI
//! document, operations endpoints and the middleware (auth, CSRF, metrics, headers).

pub mod api;
pub mod auth;
/// The interface strings live in `parta-http` (the layout and the pages share them).
pub mod i18n {
    pub use parta_http::i18n::*;
}
pub mod ops;
pub mod pages;
pub mod router;
pub mod school_day_api;
pub mod school_day_pages;
pub mod state;

pub use router::app;
pub use state::AppState;
