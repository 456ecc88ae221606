//! Реестр (REG-11): territories, organisations, academic years, classes, groups,
//! people, guardianships, staff positions and enrolment history.

pub mod admin;
pub mod bulk;
pub mod error;
pub mod http;
pub mod model;
pub mod operators;
pub mod service;
pub mod store;

pub use error::RegistryError;
pub use service::Registry;
