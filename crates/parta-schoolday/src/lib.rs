//! Школьный день (REG-3, REG-4, REG-5): the academic calendar, the timetable and the
//! lessons it yields, the электронный журнал (marks, attendance, topics, homework,
//! period grades), the электронный дневник, homework hand-in, and the OneRoster
//! gradebook view. Changes that students and parents should hear about go to the outbox
//! in the same transaction as facts of this domain ([`events`]).

pub mod calendar;
pub mod diary;
pub mod error;
pub mod events;
pub mod gradebook;
pub mod homework;
pub mod http;
pub mod journal;
pub mod model;
pub mod registry_reads;
pub mod report;
pub mod service;
pub mod store;
pub mod timetable;
pub mod today;

pub use error::JournalError;
pub use service::Journal;
