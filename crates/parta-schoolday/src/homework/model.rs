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
