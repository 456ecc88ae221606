//! SQL of the start pages. One text for both backends (`$n` placeholders).

use super::model::*;
use crate::timetable::model::Lesson;
use crate::timetable::store::LESSON_SELECT;
use parta_core::ids::{OrganisationId, PersonId};
use parta_db::Db;
use std::collections::HashMap;

type R<T> = Result<T, sqlx::Error>;

/// A teacher's given lessons in `[from, to]` that lack a topic or the attendance.
pub async fn unfilled(
    db: &Db,
    teacher: PersonId,
    from: &str,
    to: &str,
    limit: i64,
) -> R<Vec<Lesson>> {
    sqlx::query_as(&format!(
        "{LESSON_SELECT} WHERE l.teacher_id = $1 AND l.day >= $2 AND l.day <= $3 AND l.status <> 'cancelled' \
         AND (l.topic IS NULL OR l.attendance_taken_at IS NULL) ORDER BY l.day DESC, l.lesson_no LIMIT $4"
    ))
    .bind(teacher)
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Lessons of a teacher with hand-ins not yet reviewed.
pub async fn handins_waiting(db: &Db, teacher: PersonId) -> R<Vec<HandInsWaiting>> {
    sqlx::query_as(
        "SELECT l.id AS lesson_id, l.day, c.name AS class_name, s.name AS subject_name, COUNT(*) AS waiting \
         FROM homework_submissions h JOIN lessons l ON l.id = h.lesson_id JOIN classes c ON c.id = l.class_id \
         JOIN ref_subjects s ON s.code = l.subject_code \
         WHERE l.teacher_id = $1 AND l.handin = 1 AND h.status = 'submitted' \
         GROUP BY l.id, l.day, c.name, s.name ORDER BY l.day, c.name LIMIT 50",
    )
    .bind(teacher)
    .fetch_all(&db.pool)
    .await
}

/// Marks of a student put or changed after `since` (newest first, at most 20).
pub async fn marks_since(db: &Db, student: PersonId, since: i64) -> R<Vec<NewMark>> {
    sqlx::query_as(
        "SELECT m.day, s.name AS subject_name, m.value, w.name AS work_type_name FROM marks m \
         JOIN ref_subjects s ON s.code = m.subject_code JOIN ref_work_types w ON w.code = m.work_type \
         WHERE m.student_id = $1 AND m.updated_at > $2 ORDER BY m.updated_at DESC LIMIT 20",
    )
    .bind(student)
    .bind(since)
    .fetch_all(&db.pool)
    .await
}

/// Pages opened less than this apart are one visit.
const VISIT_GAP_MS: i64 = 30 * 60_000;

/// Since when marks are new for `viewer` looking at `student` now: the end of their
/// previous visit (a week back on the first one).
pub async fn visit(db: &Db, viewer: PersonId, student: PersonId, now: i64) -> R<i64> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT seen_at, since FROM diary_visits WHERE viewer_id = $1 AND student_id = $2",
    )
    .bind(viewer)
    .bind(student)
    .fetch_optional(&db.pool)
    .await?;
    let since = match row {
        None => now - 7 * 86_400_000,
        Some((seen, since)) if now - seen < VISIT_GAP_MS => since,
        Some((seen, _)) => seen,
    };
    sqlx::query(
        "INSERT INTO diary_visits (viewer_id, student_id, seen_at, since) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (viewer_id, student_id) DO UPDATE SET seen_at = excluded.seen_at, since = excluded.since",
    )
    .bind(viewer)
    .bind(student)
    .bind(now)
    .bind(since)
    .execute(&db.pool)
    .await?;
    Ok(since)
}

/// Homework of a student's classes (their groups' only) due on `day`: set with that due
/// date, or — without one — given at the subject's last lesson before a day on which the
/// subject is taught again.
pub async fn due_on(db: &Db, student: PersonId, day: &str) -> R<Vec<DueHomework>> {
    sqlx::query_as(
        "SELECT l.id AS lesson_id, s.name AS subject_name, l.homework, l.handin FROM lessons l \
         JOIN enrolments e ON e.class_id = l.class_id AND e.person_id = $1 AND e.ended_on IS NULL \
         JOIN ref_subjects s ON s.code = l.subject_code \
         WHERE l.homework IS NOT NULL AND l.status <> 'cancelled' AND l.day < $2 AND l.day >= $3 \
         AND (l.group_id IS NULL OR l.group_id IN (SELECT group_id FROM group_members WHERE person_id = $1)) \
         AND (l.homework_due = $2 OR (l.homework_due IS NULL \
              AND EXISTS (SELECT 1 FROM lessons n WHERE n.class_id = l.class_id AND n.subject_code = l.subject_code \
                          AND n.day = $2 AND n.status <> 'cancelled') \
              AND l.day = (SELECT MAX(k.day) FROM lessons k WHERE k.class_id = l.class_id AND k.subject_code = l.subject_code \
                           AND k.day < $2 AND k.status <> 'cancelled'))) \
         ORDER BY s.name",
    )
    .bind(student)
    .bind(day.to_string())
    // Homework is looked for in the three weeks before the day (a bounded read).
    .bind(
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(|d| (d - chrono::Duration::days(21)).to_string())
            .unwrap_or_default(),
    )
    .fetch_all(&db.pool)
    .await
}

/// Filling of a school's given lessons in `[from, to]`, per teacher (`by = "teacher"`)
/// or per class.
pub async fn filling(
    db: &Db,
    org: OrganisationId,
    from: &str,
    to: &str,
    by_teacher: bool,
) -> R<Vec<Filling>> {
    let (key, name, join) = if by_teacher {
        (
            "l.teacher_id",
            "p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '')",
            "JOIN persons p ON p.id = l.teacher_id",
        )
    } else {
        (
            "l.class_id",
            "c.name",
            "JOIN classes c ON c.id = l.class_id",
        )
    };
    sqlx::query_as(&format!(
        "SELECT {key} AS id, {name} AS name, COUNT(*) AS given, \
         SUM(CASE WHEN l.topic IS NULL THEN 0 ELSE 1 END) AS with_topic, \
         SUM(CASE WHEN l.attendance_taken_at IS NULL THEN 0 ELSE 1 END) AS with_attendance \
         FROM lessons l {join} WHERE l.organisation_id = $1 AND l.day >= $2 AND l.day <= $3 AND l.status <> 'cancelled' \
         GROUP BY {key}, {name}"
    ))
    .bind(org)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}

/// Who is absent on `day` in a school: (class, class name, student name).
pub async fn absences_on(
    db: &Db,
    org: OrganisationId,
    day: &str,
) -> R<Vec<(String, String, String)>> {
    sqlx::query_as(
        "SELECT DISTINCT l.class_id, c.name, p.last_name || ' ' || p.first_name FROM attendance a \
         JOIN lessons l ON l.id = a.lesson_id JOIN classes c ON c.id = l.class_id JOIN persons p ON p.id = a.student_id \
         WHERE l.organisation_id = $1 AND l.day = $2 AND a.day = $2 AND a.status <> 'late' ORDER BY c.name, 3",
    )
    .bind(org)
    .bind(day.to_string())
    .fetch_all(&db.pool)
    .await
}

/// The day's changed lessons in a school.
pub async fn changes_on(db: &Db, org: OrganisationId, day: &str) -> R<Vec<Lesson>> {
    sqlx::query_as(&format!(
        "{LESSON_SELECT} WHERE l.organisation_id = $1 AND l.day = $2 AND l.change_kind IS NOT NULL ORDER BY l.lesson_no, c.name"
    ))
    .bind(org)
    .bind(day.to_string())
    .fetch_all(&db.pool)
    .await
}

/// Per school: (given lessons, with topic and attendance) in `[from, to]`.
pub async fn filling_of_schools(
    db: &Db,
    orgs: &[OrganisationId],
    from: &str,
    to: &str,
) -> R<HashMap<OrganisationId, (i64, i64)>> {
    let mut out = HashMap::new();
    for chunk in orgs.chunks(500) {
        let list = parta_db::placeholders(3, chunk.len());
        let sql = format!(
            "SELECT l.organisation_id, COUNT(*), \
             SUM(CASE WHEN l.topic IS NOT NULL AND l.attendance_taken_at IS NOT NULL THEN 1 ELSE 0 END) \
             FROM lessons l WHERE l.day >= $1 AND l.day <= $2 AND l.status <> 'cancelled' AND l.organisation_id IN ({list}) \
             GROUP BY l.organisation_id"
        );
        let mut q = sqlx::query_as::<_, (OrganisationId, i64, i64)>(&sql)
            .bind(from.to_string())
            .bind(to.to_string());
        for o in chunk {
            q = q.bind(*o);
        }
        for (o, given, filled) in q.fetch_all(&db.pool).await? {
            out.insert(o, (given, filled));
        }
    }
    Ok(out)
}

/// Per school: (student-lessons, absences) in `[from, to]` — each given lesson counted
/// once per student of its class; absences found from the lessons (their index by school
/// and day), never by scanning attendance.
pub async fn attendance_of_schools(
    db: &Db,
    orgs: &[OrganisationId],
    from: &str,
    to: &str,
) -> R<HashMap<OrganisationId, (i64, i64)>> {
    let mut out: HashMap<OrganisationId, (i64, i64)> = HashMap::new();
    for chunk in orgs.chunks(500) {
        let list = parta_db::placeholders(3, chunk.len());
        // Class sizes once, then a sum over the lessons (not a row per student-lesson).
        let lessons = format!(
            "SELECT l.organisation_id, CAST(SUM(sz.n) AS BIGINT) \
             FROM lessons l JOIN (SELECT class_id, COUNT(*) AS n FROM enrolments WHERE ended_on IS NULL AND class_id IS NOT NULL \
                                  AND organisation_id IN ({list}) GROUP BY class_id) sz ON sz.class_id = l.class_id \
             WHERE l.day >= $1 AND l.day <= $2 AND l.status <> 'cancelled' AND l.group_id IS NULL AND l.organisation_id IN ({list}) \
             GROUP BY l.organisation_id"
        );
        let absences = format!(
            "SELECT l.organisation_id, COUNT(*) FROM lessons l JOIN attendance a ON a.lesson_id = l.id \
             WHERE l.day >= $1 AND l.day <= $2 AND l.status <> 'cancelled' AND l.group_id IS NULL AND a.status <> 'late' \
             AND l.organisation_id IN ({list}) GROUP BY l.organisation_id"
        );
        for (i, sql) in [lessons, absences].iter().enumerate() {
            let mut q = sqlx::query_as::<_, (OrganisationId, i64)>(sql)
                .bind(from.to_string())
                .bind(to.to_string());
            for o in chunk {
                q = q.bind(*o);
            }
            for (o, n) in q.fetch_all(&db.pool).await? {
                let e = out.entry(o).or_insert((0, 0));
                if i == 0 {
                    e.0 = n;
                } else {
                    e.1 = n;
                }
            }
        }
    }
    Ok(out)
}
