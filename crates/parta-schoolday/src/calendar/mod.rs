//! Учебный календарь: settings, study periods, holidays and moved days, bells.

pub mod days;
pub mod model;
pub mod service;
pub mod store;
pub use days::*;
