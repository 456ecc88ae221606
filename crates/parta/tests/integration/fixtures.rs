//! Named fixtures of the demo region: who and what a test starts from, found once here
//! rather than by a query written in each test. Things the demo lacks are made through
//! the API where one exists; the few rows no API makes yet (a pending correction request
//! about another school's student, another person's notification, a file's row without
//! its content) are made here, in one place.

use crate::harness::TestApp;

/// Another school than `school`.
pub async fn other_school(app: &TestApp, school: &str) -> String {
    app.scalar(&format!(
        "SELECT id FROM organisations WHERE id <> '{school}' ORDER BY id LIMIT 1"
    ))
    .await
}

/// A class of a school by its name ("5А").
pub async fn class_named(app: &TestApp, school: &str, name: &str) -> String {
    app.scalar(&format!(
        "SELECT id FROM classes WHERE organisation_id = '{school}' AND name = '{name}'"
    ))
    .await
}

/// The first current student of a class.
pub async fn student_of(app: &TestApp, class: &str) -> String {
    app.scalar(&format!(
        "SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL ORDER BY person_id LIMIT 1"
    ))
    .await
}

/// A current student of a class who has a parent in the registry.
pub async fn student_with_parent(app: &TestApp, class: &str) -> String {
    app.scalar(&format!(
        "SELECT e.person_id FROM enrolments e WHERE e.class_id = '{class}' AND e.ended_on IS NULL \
         AND EXISTS (SELECT 1 FROM guardianships g WHERE g.child_id = e.person_id) ORDER BY e.person_id LIMIT 1"
    ))
    .await
}

/// A parent of a child.
pub async fn parent_of(app: &TestApp, child: &str) -> String {
    app.scalar(&format!(
        "SELECT parent_id FROM guardianships WHERE child_id = '{child}' ORDER BY parent_id LIMIT 1"
    ))
    .await
}

/// The sign-in login of a person.
pub async fn login_of(app: &TestApp, person: &str) -> String {
    app.scalar(&format!(
        "SELECT login FROM accounts WHERE person_id = '{person}'"
    ))
    .await
}

/// The first study period of a school.
pub async fn first_period(app: &TestApp, school: &str) -> String {
    app.scalar(&format!(
        "SELECT id FROM study_periods WHERE organisation_id = '{school}' ORDER BY starts_on LIMIT 1"
    ))
    .await
}

/// The first holiday, vacation or moved day of a school's calendar.
pub async fn first_calendar_day(app: &TestApp, school: &str) -> String {
    app.scalar(&format!(
        "SELECT id FROM calendar_days WHERE organisation_id = '{school}' ORDER BY starts_on LIMIT 1"
    ))
    .await
}

/// The period of a class's school that covers a day.
pub async fn period_covering(app: &TestApp, class: &str, day: &str) -> String {
    app.scalar(&format!(
        "SELECT p.id FROM study_periods p JOIN classes c ON c.organisation_id = p.organisation_id \
         WHERE c.id = '{class}' AND p.starts_on <= '{day}' AND p.ends_on >= '{day}'"
    ))
    .await
}

/// A teacher who teaches at a school.
pub async fn teacher_of_school(app: &TestApp, school: &str) -> String {
    app.scalar(&format!(
        "SELECT teacher_id FROM teaching_assignments a JOIN classes c ON c.id = a.class_id WHERE c.organisation_id = '{school}' ORDER BY teacher_id LIMIT 1"
    ))
    .await
}

/// The first lesson of a class.
pub async fn first_lesson(app: &TestApp, class: &str) -> String {
    app.scalar(&format!(
        "SELECT id FROM lessons WHERE class_id = '{class}' ORDER BY id LIMIT 1"
    ))
    .await
}

/// A mark on a lesson (the demo has none yet on the year's first day), as a row.
pub async fn mark_row(app: &TestApp, lesson: &str, student: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO marks (id, lesson_id, student_id, day, subject_code, value, score, work_type, weight, comment, created_by, created_at, updated_by, updated_at) \
         SELECT $1, l.id, $2, l.day, l.subject_code, '4', 4, 'test', 3, NULL, l.teacher_id, 0, l.teacher_id, 0 FROM lessons l WHERE l.id = $3",
    )
    .bind(id.clone())
    .bind(student.to_string())
    .bind(lesson.to_string())
    .execute(&app.db.pool)
    .await
    .unwrap();
    id
}

/// A pending correction request about a person (no API files one for another school's
/// student, which is the point of the refusal rows that use it).
pub async fn pending_change_request(app: &TestApp, person: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO change_requests (id, person_id, requested_by, field, new_value, status, created_at) VALUES ($1, $2, $2, 'last_name', 'Другая', 'pending', 0)")
        .bind(id.clone())
        .bind(person.to_string())
        .execute(&app.db.pool)
        .await
        .unwrap();
    id
}

/// A notification of a person.
pub async fn notification_of(app: &TestApp, person: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO notifications (id, person_id, kind, title, body, created_at) VALUES ($1, $2, 'mark', 'x', 'y', 0)")
        .bind(id.clone())
        .bind(person.to_string())
        .execute(&app.db.pool)
        .await
        .unwrap();
    id
}

/// A browser of `person` subscribed to push, at `https://fcm.googleapis.com/fcm/send/<its
/// id>` (for the refusal table).
pub async fn push_subscription_of(app: &TestApp, person: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let endpoint = format!("https://fcm.googleapis.com/fcm/send/{id}");
    sqlx::query("INSERT INTO push_subscriptions (id, person_id, endpoint, p256dh, auth, device, created_at) VALUES ($1, $2, $3, 'k', 'a', 'Chrome', 0)")
        .bind(id.clone())
        .bind(person.to_string())
        .bind(endpoint)
        .execute(&app.db.pool)
        .await
        .unwrap();
    id
}

/// A homework file's row on a lesson (its content is never reached by the tests that
/// use it: they are refused first).
pub async fn attachment_row(app: &TestApp, lesson: &str, uploaded_by: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO attachments (id, lesson_id, uploaded_by, file_name, content_type, size, sha256, created_at) VALUES ($1, $2, $3, 'a.pdf', 'application/pdf', 1, 'x', 0)")
        .bind(id.clone())
        .bind(lesson.to_string())
        .bind(uploaded_by.to_string())
        .execute(&app.db.pool)
        .await
        .unwrap();
    id
}
