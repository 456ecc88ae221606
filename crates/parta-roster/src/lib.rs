//! Обмен списками (INT-1): OneRoster 1.2 CSV bulk packages and a simple Russian CSV
//! template for a school. A package is decoded, parsed and validated whole — every bad
//! row reported with file, line, column and reason — and only then written, all or
//! nothing, in one transaction. Rows are matched by sourcedId (then by СНИЛС), so
//! re-importing the same package changes nothing and a student's record follows them.

pub mod accounts;
pub mod decode;
pub mod export;
pub mod http;
pub mod limits;
/// What a roster says: the registry's bulk model (`parta_registry::bulk::model`).
pub mod model {
    pub use parta_registry::bulk::model::*;
}
pub mod oneroster;
pub mod region;
pub mod rest;
pub mod service;
pub mod template;

pub use model::{ImportReport, Package, RowError};
pub use service::{Roster, RosterError};
