//! Published reads of the registry the school day needs (a class and its year, its
//! students and groups, staff, names, subjects): read-only, named as such, one place
//! to change when the registry changes its tables.

use crate::model::*;
use parta_core::ids::{AcademicYearId, ClassId, GroupId, OrganisationId, PersonId};
use parta_db::Db;

type R<T> = Result<T, sqlx::Error>;

/// A class with what the school day needs: organisation, year, grade number, shift, name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClassInfo {
    pub id: ClassId,
    pub organisation_id: OrganisationId,
    pub academic_year_id: AcademicYearId,
    pub grade_level: String,
    pub name: String,
    pub shift: i64,
    pub year_starts_on: String,
    pub year_ends_on: String,
}

impl ClassInfo {
    pub fn grade(&self) -> i64 {
        self.grade_level.trim().parse().unwrap_or(0)
    }
}

pub async fn class_info(db: &Db, id: ClassId) -> R<Option<ClassInfo>> {
    sqlx::query_as(
        "SELECT c.id, c.organisation_id, c.academic_year_id, c.grade_level, c.name, c.shift, \
         y.starts_on AS year_starts_on, y.ends_on AS year_ends_on \
         FROM classes c JOIN academic_years y ON y.id = c.academic_year_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn group_class(db: &Db, group: GroupId) -> R<Option<Option<ClassId>>> {
    let row: Option<(Option<ClassId>,)> =
        sqlx::query_as("SELECT class_id FROM study_groups WHERE id = $1")
            .bind(group)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Whether the person works at the organisation now.
pub async fn is_staff(db: &Db, org: OrganisationId, person: PersonId) -> R<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM staff_positions WHERE organisation_id = $1 AND person_id = $2 AND ended_on IS NULL LIMIT 1",
    )
    .bind(org)
    .bind(person)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

pub async fn subject_name(db: &Db, code: &str) -> R<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM ref_subjects WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn short_name(db: &Db, person: PersonId) -> R<String> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT last_name || ' ' || SUBSTR(first_name, 1, 1) || '.' || COALESCE(SUBSTR(middle_name, 1, 1) || '.', '') FROM persons WHERE id = $1",
    )
    .bind(person)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.0).unwrap_or_default())
}

/// The students of a class now (and of a group within it), by name.
pub async fn class_students(
    db: &Db,
    class: ClassId,
    group: Option<GroupId>,
) -> R<Vec<JournalStudent>> {
    sqlx::query_as(
        "SELECT p.id, p.last_name || ' ' || p.first_name AS name FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.class_id = $1 AND e.ended_on IS NULL \
         AND ($2 IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $2 AND gm.person_id = p.id)) \
         ORDER BY p.last_name, p.first_name, p.id",
    )
    .bind(class)
    .bind(group)
    .fetch_all(&db.pool)
    .await
}

/// The study groups of a class: id and name.
pub async fn class_groups(db: &Db, class: ClassId) -> R<Vec<(GroupId, String)>> {
    sqlx::query_as("SELECT id, name FROM study_groups WHERE class_id = $1 ORDER BY name")
        .bind(class)
        .fetch_all(&db.pool)
        .await
}

/// The study groups through which a teacher teaches a subject in a class; `None` when
/// they teach it to the whole class (or have no assignment for it).
pub async fn teacher_groups(
    db: &Db,
    teacher: PersonId,
    class: ClassId,
    subject: &str,
) -> R<Option<Vec<GroupId>>> {
    let rows: Vec<(Option<GroupId>,)> = sqlx::query_as(
        "SELECT a.group_id FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         WHERE a.teacher_id = $1 AND a.subject_code = $2 AND (a.class_id = $3 OR g.class_id = $3)",
    )
    .bind(teacher)
    .bind(subject.to_string())
    .bind(class)
    .fetch_all(&db.pool)
    .await?;
    if rows.is_empty() || rows.iter().any(|r| r.0.is_none()) {
        return Ok(None);
    }
    Ok(Some(rows.into_iter().filter_map(|r| r.0).collect()))
}

/// The student's current class, its name, and the student's full name.
pub async fn student_class(
    db: &Db,
    student: PersonId,
) -> R<Option<(Option<ClassId>, Option<String>, String)>> {
    sqlx::query_as(
        "SELECT e.class_id, c.name, p.last_name || ' ' || p.first_name FROM persons p \
         LEFT JOIN enrolments e ON e.person_id = p.id AND e.ended_on IS NULL \
         LEFT JOIN classes c ON c.id = e.class_id WHERE p.id = $1",
    )
    .bind(student)
    .fetch_optional(&db.pool)
    .await
}
