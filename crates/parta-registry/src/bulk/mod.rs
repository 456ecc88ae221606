//! The registry's bulk entry point: a roster (people, years, classes, groups, parents,
//! enrolments and teaching) written into one organisation inside the caller's
//! transaction. Roster import (`parta-roster`) decodes packages into [`model::Package`]
//! and calls [`apply::apply_in`]; sign-in accounts are the identity domain's
//! (`parta_identity::bulk`), asked for with [`apply::WantedLogin`].

pub mod apply;
pub mod model;
pub mod subjects;
