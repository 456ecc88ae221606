//! Замены на день: the administration marks a teacher absent for a day and is offered,
//! for each of their lessons, the teachers who are free at that hour — those who teach
//! the same subject first.

use crate::service::*;
use crate::timetable::store::LESSON_SELECT;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// A teacher free at a lesson's hour.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FreeTeacher {
    #[schema(value_type = String)]
    pub id: PersonId,
    pub name: String,
    /// Teaches the lesson's subject in the school.
    pub same_subject: bool,
}

/// A lesson of the absent teacher with who could take it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ToCover {
    pub lesson: Lesson,
    pub free: Vec<FreeTeacher>,
}

/// The substitutions page of a school's day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubstitutionDay {
    pub day: String,
    /// The school's teachers: (id, name).
    #[schema(value_type = Vec<(String, String)>)]
    pub teachers: Vec<(PersonId, String)>,
    #[schema(value_type = Option<String>)]
    pub absent: Option<PersonId>,
    /// The absent teacher's lessons of the day that are still theirs.
    pub to_cover: Vec<ToCover>,
    /// The day's changes in the school so far.
    pub changes: Vec<Lesson>,
}

impl Journal {
    /// A school's day for substitutions, with `absent`'s lessons and the free teachers.
    pub async fn substitution_day(
        &self,
        p: &Principal,
        org: OrganisationId,
        day: NaiveDate,
        absent: Option<PersonId>,
    ) -> Result<SubstitutionDay> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        let iso = day.to_string();
        let teachers: Vec<(PersonId, String)> = sqlx::query_as(
            "SELECT DISTINCT p.id, p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '') AS name \
             FROM staff_positions s JOIN persons p ON p.id = s.person_id \
             WHERE s.organisation_id = $1 AND s.ended_on IS NULL ORDER BY 2",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?;
        let changes: Vec<Lesson> = sqlx::query_as(&format!(
            "{LESSON_SELECT} WHERE l.organisation_id = $1 AND l.day = $2 AND l.change_kind IS NOT NULL ORDER BY l.lesson_no, c.name"
        ))
        .bind(org)
        .bind(iso.clone())
        .fetch_all(&self.db.pool)
        .await?;
        let Some(absent) = absent.filter(|a| teachers.iter().any(|t| t.0 == *a)) else {
            return Ok(SubstitutionDay {
                day: iso,
                teachers,
                absent: None,
                to_cover: Vec::new(),
                changes,
            });
        };
        let lessons: Vec<Lesson> = sqlx::query_as(&format!(
            "{LESSON_SELECT} WHERE l.organisation_id = $1 AND l.day = $2 AND l.teacher_id = $3 AND l.status <> 'cancelled' \
             ORDER BY l.lesson_no"
        ))
        .bind(org)
        .bind(iso.clone())
        .bind(absent)
        .fetch_all(&self.db.pool)
        .await?;
        // Who teaches at which hour that day (in any school), and who teaches what here.
        let busy: Vec<(PersonId, i64)> = sqlx::query_as(
            "SELECT teacher_id, lesson_no FROM lessons WHERE day = $2 AND status <> 'cancelled' \
             AND teacher_id IN (SELECT person_id FROM staff_positions WHERE organisation_id = $1 AND ended_on IS NULL)",
        )
        .bind(org)
        .bind(iso.clone())
        .fetch_all(&self.db.pool)
        .await?;
        let subjects: Vec<(PersonId, String)> = sqlx::query_as(
            "SELECT DISTINCT a.teacher_id, a.subject_code FROM teaching_assignments a \
             LEFT JOIN study_groups g ON g.id = a.group_id JOIN classes c ON c.id = COALESCE(a.class_id, g.class_id) \
             WHERE c.organisation_id = $1",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?;
        let to_cover = lessons
            .into_iter()
            .map(|lesson| {
                let mut free: Vec<FreeTeacher> = teachers
                    .iter()
                    .filter(|(id, _)| {
                        *id != absent
                            && !busy
                                .iter()
                                .any(|(t, no)| t == id && *no == lesson.lesson_no)
                    })
                    .map(|(id, name)| FreeTeacher {
                        id: *id,
                        name: name.clone(),
                        same_subject: subjects
                            .iter()
                            .any(|(t, s)| t == id && *s == lesson.subject_code),
                    })
                    .collect();
                free.sort_by(|a, b| (!a.same_subject, &a.name).cmp(&(!b.same_subject, &b.name)));
                ToCover { lesson, free }
            })
            .collect();
        Ok(SubstitutionDay {
            day: iso,
            teachers,
            absent: Some(absent),
            to_cover,
            changes,
        })
    }
}
