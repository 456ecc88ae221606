//! SQL of diary. One text for both backends (`$n` placeholders).

use crate::model::*;
use parta_core::ids::{ClassId, GroupId, LessonId, PersonId};
use parta_db::Db;

type R<T> = Result<T, sqlx::Error>;

use crate::store::*;

/// A student's marks in a date range, with the work type's name.
pub async fn student_marks(
    db: &Db,
    student: PersonId,
    from: &str,
    to: &str,
) -> R<Vec<(Mark, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        mark: Mark,
        work_type_name: String,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {MARK_COLS}, w.name AS work_type_name FROM marks m JOIN ref_work_types w ON w.code = m.work_type \
         WHERE m.student_id = $1 AND m.day >= $2 AND m.day <= $3 ORDER BY m.day, m.id"
    ))
    .bind(student)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.mark, r.work_type_name))
        .collect())
}

/// Everything about one student in a week besides the class's lessons, in one query and
/// one row of JSON (the diary is the busiest page): marks (`m`), absences (`a`), homework
/// handed in (`h`), homework files (`f`: the name in `value`, the size in `weight`, the
/// answering student in `comment`), the student's class (`c`: its id in `id`, its name in
/// `value`, the student's name in `comment`) and study groups (`g`: the id in `id`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct WeekFact {
    pub kind: String,
    pub id: Option<String>,
    pub lesson_id: Option<LessonId>,
    pub value: Option<String>,
    pub work_type: Option<String>,
    pub work_type_name: Option<String>,
    pub weight: Option<i64>,
    pub comment: Option<String>,
}

/// A student's week without the lessons: see [`WeekFact`].
#[derive(Debug, Clone, Default)]
pub struct StudentWeek {
    /// Current classes (one, or more for a student enrolled in two schools).
    pub classes: Vec<(ClassId, String)>,
    pub student_name: String,
    pub groups: Vec<GroupId>,
    /// Marks, absences, hand-ins and files, marks in the order they were given.
    pub facts: Vec<WeekFact>,
}

pub async fn student_week(db: &Db, student: PersonId, from: &str, to: &str) -> R<StudentWeek> {
    let sql = db.json_rows_sql(
        "SELECT 'm' AS kind, m.id, m.lesson_id, m.value, m.work_type, w.name AS work_type_name, m.weight, m.comment \
         FROM marks m JOIN ref_work_types w ON w.code = m.work_type WHERE m.student_id = $1 AND m.day >= $2 AND m.day <= $3 \
         UNION ALL SELECT 'a', NULL, a.lesson_id, a.status, NULL, NULL, NULL, a.reason FROM attendance a \
         WHERE a.student_id = $1 AND a.day >= $2 AND a.day <= $3 \
         UNION ALL SELECT 'h', NULL, h.lesson_id, h.status, NULL, h.teacher_comment, NULL, h.answer FROM homework_submissions h \
         JOIN lessons l ON l.id = h.lesson_id WHERE h.student_id = $1 AND l.day >= $2 AND l.day <= $3 \
         UNION ALL SELECT 'f', t.id, t.lesson_id, t.file_name, NULL, NULL, t.size, t.student_id FROM attachments t \
         JOIN lessons l ON l.id = t.lesson_id WHERE l.day >= $2 AND l.day <= $3 AND (t.student_id IS NULL OR t.student_id = $1) \
         AND l.class_id IN (SELECT e.class_id FROM enrolments e WHERE e.person_id = $1 AND e.ended_on IS NULL) \
         UNION ALL SELECT 'c', e.class_id, NULL, c.name, NULL, NULL, NULL, p.last_name || ' ' || p.first_name FROM persons p \
         LEFT JOIN enrolments e ON e.person_id = p.id AND e.ended_on IS NULL \
         LEFT JOIN classes c ON c.id = e.class_id WHERE p.id = $1 \
         UNION ALL SELECT 'g', gm.group_id, NULL, NULL, NULL, NULL, NULL, NULL FROM group_members gm WHERE gm.person_id = $1",
        &["kind", "id", "lesson_id", "value", "work_type", "work_type_name", "weight", "comment"],
        "t.kind, t.id",
    );
    let text: String = sqlx::query_scalar(&sql)
        .bind(student)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(&db.pool)
        .await?;
    let mut week = StudentWeek::default();
    for f in parta_db::json_rows::<Vec<WeekFact>>(&text)? {
        let id = || f.id.as_deref().and_then(|s| s.parse::<uuid::Uuid>().ok());
        match f.kind.as_str() {
            "c" => {
                if let Some(class) = id().map(ClassId) {
                    week.classes.push((class, f.value.unwrap_or_default()));
                }
                week.student_name = f.comment.unwrap_or_default();
            }
            "g" => week.groups.extend(id().map(GroupId)),
            _ => week.facts.push(f),
        }
    }
    Ok(week)
}
