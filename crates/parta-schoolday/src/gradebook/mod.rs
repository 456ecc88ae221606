//! Итоговые отметки and the OneRoster 1.2 gradebook view.

pub mod model;
pub mod service;
pub mod store;
