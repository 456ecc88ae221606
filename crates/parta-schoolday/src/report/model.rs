//! Types of report: Отчёт классного руководителя. (no I/O)

use parta_core::ids::{ClassId, PersonId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::*;

/// Class teacher's report (отчёт классного руководителя) for a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassReport {
    pub class_id: ClassId,
    pub class_name: String,
    pub period: Period,
    pub subjects: Vec<SubjectName>,
    pub rows: Vec<ReportRow>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct SubjectName {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportRow {
    pub student_id: PersonId,
    pub name: String,
    /// Per subject, in the order of `subjects`: average and grade.
    pub cells: Vec<ReportCell>,
    pub absent: i64,
    pub ill: i64,
    pub excused: i64,
    pub late: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportCell {
    pub average: Option<f64>,
    pub grade: Option<String>,
}
