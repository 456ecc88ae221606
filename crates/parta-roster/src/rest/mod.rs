//! OneRoster 1.2 REST, the Rostering service: the registry as other systems read it
//! (`/ims/oneroster/rostering/v1p2/…`), with the query parameters and error payloads of
//! the specification. The objects are made from the same rows as the CSV export.

pub mod cache;
pub mod objects;
/// The query parameters, shared with the Gradebook service.
pub use parta_http::imsx::query;
pub mod service;
