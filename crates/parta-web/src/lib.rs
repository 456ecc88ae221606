//! HTTP: composes the domains' API handlers and pages, static assets, the OpenAPI
//! document, operations endpoints and the middleware (auth, CSRF, metrics, headers).

pub mod api;
pub mod auth;
pub mod i18n;
pub mod ops;
pub mod pages;
pub mod router;
pub mod school_day_api;
pub mod school_day_pages;
pub mod state;

pub use router::app;
pub use state::AppState;
