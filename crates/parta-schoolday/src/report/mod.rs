//! Отчёт классного руководителя.

pub mod model;
pub mod store;
