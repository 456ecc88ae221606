//! Types of diary: Электронный дневник: a student's week and marks. (no I/O)

use parta_core::ids::PersonId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::*;

/// A day of the diary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryDay {
    pub day: String,
    pub weekday: String,
    pub lessons: Vec<DiaryLesson>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryLesson {
    pub lesson: Lesson,
    pub marks: Vec<DiaryMark>,
    pub attendance: Option<String>,
    pub homework_done: bool,
    /// The hand-in's state: `submitted`, `accepted` or `returned`.
    pub handin_status: Option<String>,
    /// The teacher's comment on the hand-in.
    pub teacher_comment: Option<String>,
    /// Homework files from the teacher and the student's own answers.
    pub files: Vec<DiaryFile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryFile {
    pub id: String,
    pub file_name: String,
    pub size: i64,
    /// true for the student's own answer.
    pub answer: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryMark {
    pub value: String,
    pub work_type: String,
    pub work_type_name: String,
    pub weight: i64,
    pub comment: Option<String>,
}

/// Электронный дневник: one student's week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryWeek {
    pub student_id: PersonId,
    pub student_name: String,
    pub class_name: Option<String>,
    pub monday: String,
    pub days: Vec<DiaryDay>,
}

/// The marks page of a diary: per subject, in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectMarks {
    pub subject_code: String,
    pub subject_name: String,
    pub marks: Vec<DiaryMark>,
    pub average: Option<f64>,
    pub grade: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentMarks {
    pub student_id: PersonId,
    pub student_name: String,
    pub period: Option<Period>,
    pub periods: Vec<Period>,
    pub subjects: Vec<SubjectMarks>,
}
