//! Сегодня: what each role needs from the school day when they open the platform — a
//! teacher's lessons and what is left to fill in, a family's day and tomorrow, the
//! administration's control of journal filling, absences and changes, and a territory's
//! aggregates per school.

pub mod model;
pub mod service;
pub mod store;
