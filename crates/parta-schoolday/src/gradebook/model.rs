//! Types of gradebook: Итоговые отметки and the OneRoster 1.2 gradebook view. (no I/O)

use parta_core::ids::{ClassId, PersonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Period, annual or final grades for students of a class in a subject.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GradesInput {
    pub class_id: ClassId,
    pub subject_code: String,
    /// A period id, `year` or `final`.
    pub period: String,
    pub grades: Vec<GradeInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GradeInput {
    pub student_id: PersonId,
    /// Empty removes the grade.
    pub value: Option<String>,
}

/// A period grade as stored.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Grade {
    pub student_id: PersonId,
    pub subject_code: String,
    pub period_key: String,
    pub value: String,
}

/// A suggested grade of a student in a subject (school-wide view).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolGrade {
    pub class_id: ClassId,
    pub student_id: PersonId,
    pub subject_code: String,
    pub average: f64,
    pub suggested: i64,
}
