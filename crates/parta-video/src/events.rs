//! Facts the video lessons publish on the event stream (written in the transaction of
//! the change; the words are the consumers').

use parta_core::ids::{LessonId, PersonId};
use serde::{Deserialize, Serialize};

/// A video lesson was scheduled: its students are told where and when to enter.
pub const VIDEO_SCHEDULED: &str = "video.scheduled.v1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VideoScheduled {
    pub lesson_id: LessonId,
    pub day: String,
    pub lesson_no: i64,
    pub subject_name: String,
    pub students: Vec<StudentRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StudentRef {
    pub id: PersonId,
    pub first_name: String,
}
