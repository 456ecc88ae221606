//! Types of homework: Домашние задания: hand-ins and files. (no I/O)

use parta_core::ids::{LessonId, PersonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::*;

/// Homework hand-in by a student.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HomeworkAnswer {
    pub answer: Option<String>,
    /// false takes the "done" mark back.
    #[serde(default = "yes")]
    pub done: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Submission {
    pub student_id: PersonId,
    pub student_name: String,
    pub done_at: Option<i64>,
    pub answer: Option<String>,
    /// `submitted` (сдано), `accepted` (принято) or `returned` (на доработку).
    pub status: Option<String>,
    /// The teacher's comment on the hand-in.
    pub teacher_comment: Option<String>,
}

/// The teacher's answer to a hand-in: accepted (with a journal mark, if given) or
/// returned for rework; the comment is shown to the student and their parents.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
pub struct HandInReview {
    /// `accept` or `return`.
    pub decision: String,
    /// A mark of the lesson's scale, put in the journal as homework.
    pub mark: Option<String>,
    pub comment: Option<String>,
}

/// Who handed in the homework of a lesson.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HomeworkStatus {
    pub lesson: Lesson,
    pub submissions: Vec<Submission>,
}

/// A file of a lesson's homework (`student_id` empty) or a student's answer to it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Attachment {
    pub id: parta_core::ids::AttachmentId,
    pub lesson_id: LessonId,
    pub student_id: Option<PersonId>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
}
