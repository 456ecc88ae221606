//! The composition: every domain's API and page routers (each domain owns its HTTP in
//! `src/http/` of its crate), the middleware (sessions, CSRF, refusal audit, security
//! headers, compression, load shedding), the OpenAPI document, operations endpoints,
//! static files and the home page.

pub mod api;
/// The interface strings live in `parta-http` (the layout and the pages share them).
pub mod i18n {
    pub use parta_http::i18n::*;
}
pub mod ops;
pub mod pages;
pub mod router;
pub mod state;
pub mod strings;

pub use router::{app, page_routes};
pub use state::AppState;
