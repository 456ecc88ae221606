//! Types of the school day and their invariants (no I/O), one file per concept;
//! this module gathers them for the crate's users.

pub use crate::calendar::model::*;
pub use crate::diary::model::*;
pub use crate::gradebook::model::*;
pub use crate::homework::model::*;
pub use crate::journal::model::*;
pub use crate::report::model::*;
pub use crate::timetable::model::*;
