//! Электронный журнал: marks, attendance, topics and homework of lessons; the grid and its save.

pub mod model;
pub mod plan;
pub mod save;
pub mod service;
pub mod store;
