//! Видеоуроки (COM-1, EDU-1): a timetable lesson held in a video engine the region or
//! school runs — BigBlueButton through its API (rooms, signed join addresses, the end,
//! recordings, the attendance callback) or Jitsi Meet with JWT room links. Configured,
//! not embedded. Who may write the lesson's journal schedules and leads it; its students
//! enter it on the lesson's day through their own address; the engine's attendance comes
//! back as a suggestion the teacher takes into the journal or not.

pub mod bbb;
pub mod events;
pub mod http;
pub mod jitsi;
pub mod model;
pub mod reads;
pub mod service;
pub mod store;

pub use model::*;
pub use service::Videos;
