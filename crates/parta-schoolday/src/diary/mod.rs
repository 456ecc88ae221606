//! Электронный дневник: a student's week and marks.

pub mod model;
pub mod service;
pub mod store;
