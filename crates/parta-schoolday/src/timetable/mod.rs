//! Расписание: the weekly template, dated lessons and their changes.

pub mod model;
pub mod service;
pub mod store;
pub mod substitutions;
pub mod weeks;
