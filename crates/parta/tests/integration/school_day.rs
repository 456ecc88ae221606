//! The school day end to end: journal entry, diary, notifications, bad input,
//! closed periods, timetable conflicts and changes, grades, reports, homework and the
//! OneRoster gradebook — through the HTTP API against a real server and database.

use crate::fixtures::{self, login_of, parent_of};
use crate::harness::{problem, spawn, Client, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// A journal the demo teacher keeps, a past lesson in it and one of its students.
pub(crate) struct Spot {
    pub class: String,
    pub subject: String,
    pub lesson: String,
    pub day: String,
    pub student: String,
}

/// The latest lesson already given in any of the demo teacher's journals (on the first
/// day of the year, today's). If its period is closed — a date in the vacation after a
/// quarter, or in the summer — the director reopens it first, as a school would to
/// correct marks, so the tests run on any date.
pub(crate) async fn spot(app: &TestApp, teacher: &Client) -> Spot {
    let journals: Value = teacher.get("/api/v1/journals").await.json().await.unwrap();
    let today = parta_core::time::today().to_string();
    let mut best: Option<(String, String, String, String)> = None;
    for j in journals.as_array().unwrap() {
        let (class, subject) = (
            j["class_id"].as_str().unwrap(),
            j["subject_code"].as_str().unwrap(),
        );
        let lesson: Option<(String, String)> = sqlx::query_as(
            "SELECT id, day FROM lessons WHERE class_id = $1 AND subject_code = $2 AND day <= $3 \
             AND status = 'planned' AND group_id IS NULL ORDER BY day DESC, lesson_no LIMIT 1",
        )
        .bind(class)
        .bind(subject)
        .bind(&today)
        .fetch_optional(&app.db.pool)
        .await
        .unwrap();
        if let Some((id, day)) = lesson {
            if best.as_ref().is_none_or(|b| day > b.3) {
                best = Some((class.into(), subject.into(), id, day));
            }
        }
    }
    let (class, subject, lesson, day) =
        best.expect("a lesson given in the demo teacher's journals");
    let student = fixtures::student_with_parent(app, &class).await;
    open_period_of(app, &class, &day).await;
    Spot {
        class,
        subject,
        lesson,
        day,
        student,
    }
}

/// The lesson's teacher asks for the homework to be handed in (files and answers).
async fn ask_for_handin(app: &TestApp, lesson: &str) {
    sqlx::query("UPDATE lessons SET handin = 1 WHERE id = $1")
        .bind(lesson)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

/// Reopens, as the director, a closed period of the class's school covering `day`.
pub(crate) async fn open_period_of(app: &TestApp, class: &str, day: &str) {
    let closed: Vec<(String,)> = sqlx::query_as(
        "SELECT p.id FROM study_periods p JOIN classes c ON c.organisation_id = p.organisation_id \
         WHERE c.id = $1 AND p.starts_on <= $2 AND p.ends_on >= $2 AND p.closed_at IS NOT NULL",
    )
    .bind(class)
    .bind(day)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    if closed.is_empty() {
        return;
    }
    let director = app.login("director").await;
    for (id,) in closed {
        let res = director
            .post(
                &format!("/api/v1/periods/{id}/close"),
                &json!({"closed": false}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
}

/// The first day from `from` on with lessons matching `cond` (SQL on lessons `l`) — or,
/// when the year's lessons are all before `from` (a date in June or the summer), the last
/// such day. Tests about the coming days then run on the year's last days.
async fn lesson_day(app: &TestApp, cond: &str, from: &str) -> String {
    let next: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT l.day FROM lessons l WHERE {cond} AND l.day >= '{from}' ORDER BY l.day LIMIT 1"
    ))
    .fetch_optional(&app.db.pool)
    .await
    .unwrap();
    if let Some((day,)) = next {
        return day;
    }
    let (last,): (String,) = sqlx::query_as(&format!(
        "SELECT l.day FROM lessons l WHERE {cond} ORDER BY l.day DESC LIMIT 1"
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    last
}

/// `days` from today, or — past the year's last lessons of the school — the Monday of
/// the year's last week of lessons: a timetable version from a date the year has.
async fn ahead(app: &TestApp, school: &str, days: i64) -> String {
    let want = (parta_core::time::today() + chrono::Duration::days(days)).to_string();
    let day = lesson_day(app, &format!("l.organisation_id = '{school}'"), &want).await;
    if day >= want {
        return want;
    }
    let d: chrono::NaiveDate = day.parse().unwrap();
    (d - chrono::Duration::days(i64::from(
        chrono::Datelike::weekday(&d).num_days_from_monday(),
    )))
    .to_string()
}

/// Waits for the relay to deliver a notification whose title contains `text`.
async fn wait_notification(c: &Client, text: &str) -> Value {
    for _ in 0..100 {
        let list: Value = c.get("/api/v1/notifications").await.json().await.unwrap();
        if let Some(n) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["title"].as_str().unwrap_or("").contains(text))
        {
            return n.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no notification containing {text:?}");
}

#[tokio::test]
async fn teacher_enters_marks_and_parent_sees_them_at_once() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent_login = login_of(&app, &parent_of(&app, &s.student).await).await;
    let before = app.count("SELECT COUNT(*) FROM marks").await;

    let path = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let res = teacher
        .post(
            &path,
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5", "work_type": "test", "comment": "Отлично"}],
                    "lessons": [{"lesson_id": s.lesson, "topic": "Сложные предложения", "homework": "Упр. 101"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["marks_written"], 1);
    let mark_id = saved["created"][0].as_str().unwrap().to_string();
    assert_eq!(app.count("SELECT COUNT(*) FROM marks").await, before + 1);

    // The parent sees it in the diary of that week, with the work type and its weight.
    let parent = app.login(&parent_login).await;
    let diary: Value = parent
        .get(&format!(
            "/api/v1/students/{}/diary?week={}",
            s.student, s.day
        ))
        .await
        .json()
        .await
        .unwrap();
    let lesson = diary["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["lessons"].as_array().unwrap().clone())
        .find(|l| l["lesson"]["id"] == s.lesson)
        .expect("lesson in the diary");
    let mark = lesson["marks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["comment"] == "Отлично")
        .expect("the new mark");
    assert_eq!(mark["value"], "5");
    assert_eq!(mark["work_type_name"], "Контрольная работа");
    assert_eq!(mark["weight"], 3);
    assert_eq!(lesson["lesson"]["topic"], "Сложные предложения");
    assert_eq!(lesson["lesson"]["homework"], "Упр. 101");
    // …and is told about it.
    let n = wait_notification(&parent, "Новая отметка: 5").await;
    assert_eq!(n["about_person_id"], s.student);
    let unread: Value = parent
        .get("/api/v1/notifications/unread")
        .await
        .json()
        .await
        .unwrap();
    assert!(unread["unread"].as_i64().unwrap() >= 1);
    let id = n["id"].as_str().unwrap();
    assert_eq!(
        parent
            .post(&format!("/api/v1/notifications/{id}/read"), &json!({}))
            .await
            .status(),
        200
    );

    // A change keeps who, when and the previous value; the diary shows the current one.
    let res = teacher
        .post(&path, &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "mark_id": mark_id, "value": "4"}]}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let sheet: Value = teacher
        .get(&format!("/api/v1/lessons/{}", s.lesson))
        .await
        .json()
        .await
        .unwrap();
    let h = &sheet["history"].as_array().unwrap()[0];
    assert_eq!(h["old_value"], "5");
    assert_eq!(h["new_value"], "4");
    assert_eq!(h["changed_role"], "teacher");
    let marks: Value = parent
        .get(&format!("/api/v1/students/{}/marks", s.student))
        .await
        .json()
        .await
        .unwrap();
    let subject = marks["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["subject_code"] == s.subject.as_str())
        .unwrap();
    assert!(subject["marks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["value"] == "4" && m["comment"] == "Отлично"));
    assert!(!subject["marks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["value"] == "5" && m["comment"] == "Отлично"));

    // Removing is a change too.
    let res = teacher
        .post(&path, &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "mark_id": mark_id, "value": ""}]}))
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["marks_removed"], 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM mark_history WHERE mark_id = '{mark_id}'"
        ))
        .await,
        2
    );

    // Sending only the topic keeps the homework.
    let res = teacher
        .post(
            &path,
            &json!({"lessons": [{"lesson_id": s.lesson, "topic": "Повторение"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.scalar(&format!(
            "SELECT homework FROM lessons WHERE id = '{}'",
            s.lesson
        ))
        .await,
        "Упр. 101"
    );

    // Absence: recorded, told, then taken back.
    let res = teacher
        .post(&path, &json!({"attendance": [{"lesson_id": s.lesson, "student_id": s.student, "status": "ill", "reason": "справка"}]}))
        .await;
    assert_eq!(res.status(), 200);
    wait_notification(&parent, "Отсутствие").await;
    let res = teacher
        .post(&path, &json!({"attendance": [{"lesson_id": s.lesson, "student_id": s.student, "status": null}]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM attendance WHERE lesson_id = '{}' AND student_id = '{}'",
            s.lesson, s.student
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn bad_journal_input_is_named_and_nothing_is_written() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let path = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let other_subject_lesson = app
        .scalar(&format!(
            "SELECT id FROM lessons WHERE class_id = '{}' AND subject_code <> '{}' LIMIT 1",
            s.class, s.subject
        ))
        .await;
    let marks_before = app.count("SELECT COUNT(*) FROM marks").await;
    let att_before = app.count("SELECT COUNT(*) FROM attendance").await;
    // The stable code of a field error reaches problem+json (and the API document lists it).
    let p = problem(
        teacher
            .post(
                &path,
                &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "6"}]}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "journal.mark_not_on_scale", "{p}");
    let doc: Value = teacher
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["info"]["description"]
        .as_str()
        .unwrap()
        .contains("`journal.mark_not_on_scale`"));
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "4"}, {"lesson_id": s.lesson, "student_id": s.student, "value": "6"}]}),
            "marks[1].value",
            "нет на шкале",
        ),
        (
            json!({"marks": [{"lesson_id": s.lesson, "student_id": uuid::Uuid::new_v4(), "value": "4"}]}),
            "marks[0].student_id",
            "не числится",
        ),
        (
            json!({"marks": [{"lesson_id": other_subject_lesson, "student_id": s.student, "value": "4"}]}),
            "marks[0].lesson_id",
            "не найден",
        ),
        (
            json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "4", "work_type": "party"}]}),
            "marks[0].work_type",
            "вид работы",
        ),
        (
            json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "4"}], "attendance": [{"lesson_id": s.lesson, "student_id": s.student, "status": "gone"}]}),
            "attendance[0].status",
            "посещаемости",
        ),
        (json!({"marks": "five"}), "marks", ""),
    ];
    for (body, field, words) in cases {
        let p = problem(teacher.post(&path, &body).await, 422).await;
        assert_eq!(p["field"], field, "{p}");
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM marks").await, marks_before);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM attendance").await,
        att_before
    );
}

#[tokio::test]
async fn a_closed_period_refuses_teachers_but_not_the_administration() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let director = app.login("director").await;
    let s = spot(&app, &teacher).await;
    let period = fixtures::period_covering(&app, &s.class, &s.day).await;
    let res = director
        .post(
            &format!("/api/v1/periods/{period}/close"),
            &json!({"closed": true}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let path = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let body = json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "3"}]});
    let refused = teacher.post(&path, &body).await;
    // The policy's `EditClosedPeriod` refused it (the refusal table counts this test).
    assert_eq!(
        refused
            .headers()
            .get("x-parta-refused-by")
            .and_then(|v| v.to_str().ok()),
        Some("EditClosedPeriod")
    );
    let p = problem(refused, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("закрыт"), "{p}");
    assert_eq!(p["errors"][0]["code"], "journal.period_closed", "{p}");
    let res = director.post(&path, &body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE object_type = 'journal' AND details LIKE '%closed period%'").await,
        1
    );
    let res = director
        .post(
            &format!("/api/v1/periods/{period}/close"),
            &json!({"closed": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(teacher.post(&path, &body).await.status(), 200);
}

#[tokio::test]
async fn timetable_conflicts_name_both_lessons_and_write_nothing() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{school}' AND name = '5А'"
        ))
        .await;
    // A teacher busy in another class at some weekday and lesson.
    let (teacher, weekday, lesson_no, other): (String, i64, i64, String) = sqlx::query_as(
        "SELECT t.teacher_id, t.weekday, t.lesson_no, c.name FROM timetable_slots t JOIN classes c ON c.id = t.class_id \
         WHERE t.organisation_id = $1 AND t.class_id <> $2 ORDER BY t.id LIMIT 1",
    )
    .bind(&school)
    .bind(&class)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let slots_before = app.count("SELECT COUNT(*) FROM timetable_slots").await;
    // Beyond the days the demo already gave homework for.
    let from = ahead(&app, &school, 14).await;
    let path = format!("/api/v1/classes/{class}/timetable-template");
    let p = problem(
        director
            .send("PUT", &path, Some(&json!({"valid_from": from, "slots": [
                {"weekday": weekday, "lesson_no": lesson_no, "subject_code": "math", "teacher_id": teacher, "room": "999"}]})))
            .await,
        409,
    )
    .await;
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("5А") && detail.contains(&other), "{detail}");
    // Two lessons of one class at once.
    let p = problem(
        director
            .send(
                "PUT",
                &path,
                Some(&json!({"valid_from": from, "slots": [
                {"weekday": 1, "lesson_no": 1, "subject_code": "math", "teacher_id": teacher},
                {"weekday": 1, "lesson_no": 1, "subject_code": "rus", "teacher_id": teacher}]})),
            )
            .await,
        409,
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("«Математика»"),
        "{p}"
    );
    // Not on the bells, unknown subject, a teacher from elsewhere.
    let stranger = app.person_of("parent").await;
    let p = problem(
        director
            .send("PUT", &path, Some(&json!({"valid_from": from, "slots": [
                {"weekday": 1, "lesson_no": 11, "subject_code": "alchemy", "teacher_id": stranger}]})))
            .await,
        422,
    )
    .await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "slots[0].lesson_no",
            "slots[0].subject_code",
            "slots[0].teacher_id"
        ]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM timetable_slots").await,
        slots_before
    );

    // A valid version replaces the future lessons; past ones stay.
    let free_teacher = app
        .scalar(&format!(
            "SELECT class_teacher_id FROM classes WHERE id = '{class}'"
        ))
        .await;
    let past_before = app
        .count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE class_id = '{class}' AND day < '{from}'"
        ))
        .await;
    let res = director
        .send("PUT", &path, Some(&json!({"valid_from": from, "slots": [
            {"weekday": 1, "lesson_no": 8, "subject_code": "project", "teacher_id": free_teacher, "room": "1"}]})))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE class_id = '{class}' AND day < '{from}'"
        ))
        .await,
        past_before
    );
    // Lessons from then on that hold nothing come from the new version (in the summer the
    // year's last week is past and its lessons, holding topics and marks, stay).
    let future: Vec<(String, i64)> = sqlx::query_as(
        "SELECT DISTINCT subject_code, lesson_no FROM lessons l WHERE class_id = $1 AND day >= $2 AND slot_id IS NOT NULL \
         AND topic IS NULL AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.lesson_id = l.id) \
         AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = l.id)",
    )
    .bind(&class)
    .bind(&from)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(future, [("project".to_string(), 8)]);
    let week: Value = director
        .get(&format!(
            "/api/v1/timetable?class={class}&from={from}&days=7"
        ))
        .await
        .json()
        .await
        .unwrap();
    let week: Vec<&Value> = week
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["topic"].is_null())
        .collect();
    assert_eq!(week.len(), 1, "{week:?}");
    assert_eq!(week[0]["subject_code"], "project");
    assert_eq!(week[0]["starts_at"], "14:40");
}

#[tokio::test]
async fn a_substitute_writes_that_lesson_only_and_students_are_told() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    let me = app.person_of("teacher").await;
    let today = parta_core::time::today().to_string();
    // From today on — or, in the summer, the year's last day of lessons.
    let from = lesson_day(&app, &format!("l.organisation_id = '{school}'"), &today).await;
    // A lesson of another teacher at a time the demo teacher is free.
    let (lesson, class, subject): (String, String, String) = sqlx::query_as(
        "SELECT l.id, l.class_id, l.subject_code FROM lessons l WHERE l.organisation_id = $1 AND l.teacher_id <> $2 AND l.day >= $3 \
         AND NOT EXISTS (SELECT 1 FROM lessons o WHERE o.teacher_id = $2 AND o.day = l.day AND o.lesson_no = l.lesson_no) \
         AND NOT EXISTS (SELECT 1 FROM teaching_assignments a WHERE a.teacher_id = $2 AND a.class_id = l.class_id AND a.subject_code = l.subject_code) \
         ORDER BY l.day, l.id LIMIT 1",
    )
    .bind(&school)
    .bind(&me)
    .bind(&from)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    open_period_of(&app, &class, &from).await;
    let res = director
        .post(
            &format!("/api/v1/lessons/{lesson}/change"),
            &json!({"kind": "substitution", "teacher_id": me, "note": "Болезнь учителя"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["change_kind"], "substitution");
    let student = app
        .scalar(&format!("SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL ORDER BY person_id LIMIT 1"))
        .await;
    let pupil = app.login(&login_of(&app, &student).await).await;
    wait_notification(&pupil, "Замена").await;

    let teacher = app.login("teacher").await;
    let path = format!("/api/v1/classes/{class}/journal/{subject}");
    let res = teacher
        .post(
            &path,
            &json!({"lessons": [{"lesson_id": lesson, "topic": "Повторение"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        teacher
            .get(&format!("/api/v1/lessons/{lesson}"))
            .await
            .status(),
        200
    );
    let other = app
        .scalar(&format!(
            "SELECT id FROM lessons WHERE class_id = '{class}' AND subject_code = '{subject}' AND id <> '{lesson}' AND teacher_id <> '{me}' LIMIT 1"
        ))
        .await;
    let res = teacher
        .post(
            &path,
            &json!({"lessons": [{"lesson_id": other, "topic": "Чужой урок"}]}),
        )
        .await;
    assert!(
        matches!(res.status().as_u16(), 403 | 404),
        "{}",
        res.status()
    );

    // A moved lesson takes its marks along (the diary finds them on the new date): a
    // lesson given, with a mark put on it now (on the year's first day none has one yet).
    let given = spot(&app, &teacher).await;
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", given.class, given.subject),
            &json!({"marks": [{"lesson_id": given.lesson, "student_id": given.student, "value": "4"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (past, past_class, past_day) =
        (given.lesson.clone(), given.class.clone(), given.day.clone());
    let new_day = (chrono::NaiveDate::parse_from_str(&past_day, "%Y-%m-%d").unwrap()
        + chrono::Duration::days(1))
    .to_string();
    let res = director
        .post(
            &format!("/api/v1/lessons/{past}/change"),
            &json!({"kind": "move", "day": new_day, "lesson_no": 9}),
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{} {past_class}",
        res.text().await.unwrap()
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM marks WHERE lesson_id = '{past}' AND day <> '{new_day}'"
        ))
        .await,
        0
    );

    // Cancelling tells the class too; marks on a cancelled lesson are refused.
    let res = director
        .post(
            &format!("/api/v1/lessons/{lesson}/change"),
            &json!({"kind": "cancellation", "note": "Карантин"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    wait_notification(&pupil, "Отмена").await;
    let p = problem(
        director
            .post(
                &format!("/api/v1/lessons/{lesson}/change"),
                &json!({"kind": "substitution", "teacher_id": me}),
            )
            .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("отменён"), "{p}");
    let p = problem(
        teacher
            .post(
                &path,
                &json!({"marks": [{"lesson_id": lesson, "student_id": student, "value": "5"}]}),
            )
            .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("отменён"), "{p}");
}

#[tokio::test]
async fn class_teacher_reads_every_subject_of_the_class_but_writes_none() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let me = app.person_of("teacher").await;
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE class_teacher_id = '{me}'"
        ))
        .await;
    let subject = app
        .scalar(&format!(
            "SELECT subject_code FROM teaching_assignments WHERE class_id = '{class}' AND teacher_id <> '{me}' ORDER BY subject_code LIMIT 1"
        ))
        .await;
    let res = teacher
        .get(&format!("/api/v1/classes/{class}/journal/{subject}"))
        .await;
    assert_eq!(res.status(), 200);
    let grid: Value = res.json().await.unwrap();
    assert_eq!(grid["may_write"], false);
    assert!(!grid["lessons"].as_array().unwrap().is_empty());
    let lesson = grid["lessons"][0]["id"].as_str().unwrap();
    let student = grid["students"][0]["id"].as_str().unwrap();
    let res = teacher
        .post(
            &format!("/api/v1/classes/{class}/journal/{subject}"),
            &json!({"marks": [{"lesson_id": lesson, "student_id": student, "value": "5"}]}),
        )
        .await;
    problem(res, 403).await;
    // A name that a spreadsheet would run as a formula (found by the security test).
    sqlx::query("UPDATE persons SET last_name = '=1+1' WHERE id = $1")
        .bind(student)
        .execute(&app.db.pool)
        .await
        .unwrap();
    // The class report is theirs; CSV opens in Excel (BOM, `;`).
    let res = teacher
        .get(&format!("/api/v1/classes/{class}/report?format=csv"))
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("Ученик;") && text.contains("Пропуски"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("'=1+1"))
            && !text.lines().any(|l| l.starts_with("=1+1")),
        "{text}"
    );
}

#[tokio::test]
async fn period_grades_suggested_and_set() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    // Marks to average (on the year's first day there are none yet).
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5", "work_type": "test"},
                              {"lesson_id": s.lesson, "student_id": s.student, "value": "4"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let grid: Value = teacher
        .get(&format!(
            "/api/v1/classes/{}/journal/{}",
            s.class, s.subject
        ))
        .await
        .json()
        .await
        .unwrap();
    let period = grid["period"]["id"].as_str().unwrap().to_string();
    let summary = grid["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["average"].is_number())
        .expect("a student with marks")
        .clone();
    let avg = summary["average"].as_f64().unwrap();
    let suggested: i64 = summary["suggested"].as_str().unwrap().parse().unwrap();
    let expect = if avg.fract() >= 0.595 {
        avg.floor() as i64 + 1
    } else {
        avg.floor() as i64
    };
    assert_eq!(suggested, expect.clamp(1, 5), "{summary}");
    let body = json!({"class_id": s.class, "subject_code": s.subject, "period": period,
                      "grades": [{"student_id": summary["student_id"], "value": summary["suggested"]}]});
    let res = teacher.send("PUT", "/api/v1/grades", Some(&body)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let grid: Value = teacher
        .get(&format!(
            "/api/v1/classes/{}/journal/{}",
            s.class, s.subject
        ))
        .await
        .json()
        .await
        .unwrap();
    assert!(grid["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["grade"] == summary["suggested"]));
    let bad = json!({"class_id": s.class, "subject_code": s.subject, "period": period,
                     "grades": [{"student_id": summary["student_id"], "value": "7"}]});
    let p = problem(teacher.send("PUT", "/api/v1/grades", Some(&bad)).await, 422).await;
    assert_eq!(p["field"], "grades[0].value");
    // The school's suggested grades at once, for the administration.
    let director = app.login("director").await;
    let school = app.director_school().await;
    let res = director
        .get(&format!(
            "/api/v1/organisations/{school}/grades?from={}&to={}",
            grid["period"]["starts_on"].as_str().unwrap(),
            grid["period"]["ends_on"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), 200);
    let all: Value = res.json().await.unwrap();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|g| g["student_id"] == s.student.as_str()
                && g["subject_code"] == s.subject.as_str()),
        "{all}"
    );
}

#[tokio::test]
async fn homework_is_handed_in_reviewed_returned_and_accepted_with_a_mark() {
    let app = spawn().await;
    let student = app.login("student").await;
    let me = app.person_of("student").await;
    let class = app
        .scalar(&format!(
            "SELECT class_id FROM enrolments WHERE person_id = '{me}' AND ended_on IS NULL"
        ))
        .await;
    let (lesson, teacher, subject, day): (String, String, String, String) = sqlx::query_as(
        "SELECT id, teacher_id, subject_code, day FROM lessons WHERE class_id = $1 AND homework IS NOT NULL AND group_id IS NULL \
         AND day <= $2 AND status = 'planned' ORDER BY day DESC LIMIT 1",
    )
    .bind(&class)
    .bind(parta_core::time::today().to_string())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    open_period_of(&app, &class, &day).await;
    // Without the teacher asking for a hand-in, homework is only ticked as done.
    let p = problem(
        student
            .post(
                &format!("/api/v1/lessons/{lesson}/homework"),
                &json!({"answer": "Сделал упражнения 1–3"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "answer");
    let t = app.login(&login_of(&app, &teacher).await).await;
    let res = t
        .post(
            &format!("/api/v1/classes/{class}/journal/{subject}"),
            &json!({"lessons": [{"lesson_id": lesson, "handin": true}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = student
        .post(
            &format!("/api/v1/lessons/{lesson}/homework"),
            &json!({"answer": "Сделал упражнения 1–3"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let status: Value = t
        .get(&format!("/api/v1/lessons/{lesson}/homework"))
        .await
        .json()
        .await
        .unwrap();
    let mine = status["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["student_id"] == me.as_str())
        .unwrap();
    assert_eq!(mine["answer"], "Сделал упражнения 1–3");
    assert_eq!(mine["status"], "submitted");
    assert!(mine["done_at"].is_number());
    // Returned for rework: a comment is required, and the student sees it.
    let review = format!("/api/v1/lessons/{lesson}/handins/{me}");
    let p = problem(t.post(&review, &json!({"decision": "return"})).await, 422).await;
    assert_eq!(p["field"], "comment");
    // An English caller reads the same problem in English (codes and fields unchanged).
    let res = t
        .http
        .post(format!("{}{review}", t.base))
        .header("accept-language", "en-GB,en;q=0.9,ru;q=0.8")
        .header("x-csrf-token", t.csrf.clone().unwrap())
        .json(&json!({"decision": "return"}))
        .send()
        .await
        .unwrap();
    let en = problem(res, 422).await;
    assert_eq!(en["code"], "validation");
    assert_eq!(en["title"], "Invalid data");
    assert_eq!(
        en["errors"][0]["message"], "Write what to redo: the student will see the comment.",
        "{en}"
    );
    assert_eq!(
        en["detail"],
        "comment: Write what to redo: the student will see the comment."
    );
    // The form-token refusal too.
    let res = t
        .http
        .post(format!("{}{review}", t.base))
        .header("accept-language", "en")
        .json(&json!({"decision": "return"}))
        .send()
        .await
        .unwrap();
    let en = problem(res, 403).await;
    assert_eq!(
        (en["code"].as_str(), en["title"].as_str()),
        (Some("csrf"), Some("Invalid form token"))
    );
    let res = t
        .post(
            &review,
            &json!({"decision": "return", "comment": "Нет упражнения 3"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let diary: Value = student
        .get(&format!("/api/v1/students/{me}/diary?week={day}"))
        .await
        .json()
        .await
        .unwrap();
    let seen = diary["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["lessons"].as_array().unwrap().clone())
        .find(|l| l["lesson"]["id"] == lesson.as_str())
        .unwrap();
    assert_eq!(seen["handin_status"], "returned");
    assert_eq!(seen["teacher_comment"], "Нет упражнения 3");
    // The student and the family are told what to redo.
    let told = wait_notification(&student, "возвращена на доработку").await;
    assert_eq!(told["body"], "Нет упражнения 3", "{told}");
    // Handed in again, then accepted with a mark that lands in the journal as homework.
    student
        .post(
            &format!("/api/v1/lessons/{lesson}/homework"),
            &json!({"answer": "Сделал упражнения 1–3, исправил третье"}),
        )
        .await;
    let p = problem(
        t.post(&review, &json!({"decision": "accept", "mark": "7"}))
            .await,
        422,
    )
    .await;
    assert_eq!(
        p["field"], "mark",
        "a mark off the scale is named as the mark"
    );
    let res = t
        .post(
            &review,
            &json!({"decision": "accept", "mark": "5", "comment": "Молодец"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.scalar(&format!(
            "SELECT value FROM marks WHERE lesson_id = '{lesson}' AND student_id = '{me}' AND work_type = 'homework'"
        ))
        .await,
        "5"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT status FROM homework_submissions WHERE lesson_id = '{lesson}' AND student_id = '{me}'"
        ))
        .await,
        "accepted"
    );
    // Someone who handed nothing in cannot be reviewed.
    let other = app
        .scalar(&format!(
            "SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL AND person_id <> '{me}' LIMIT 1"
        ))
        .await;
    let p = problem(
        t.post(
            &format!("/api/v1/lessons/{lesson}/handins/{other}"),
            &json!({"decision": "accept"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "student_id");
    let no_hw = app
        .scalar(&format!(
            "SELECT id FROM lessons WHERE class_id = '{class}' AND homework IS NULL LIMIT 1"
        ))
        .await;
    let p = problem(
        student
            .post(&format!("/api/v1/lessons/{no_hw}/homework"), &json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "lesson_id");
}

#[tokio::test]
async fn notification_preferences_are_honoured() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent_id = parent_of(&app, &s.student).await;
    let parent = app.login(&login_of(&app, &parent_id).await).await;
    let res = parent
        .send(
            "PUT",
            "/api/v1/notifications/preferences",
            Some(&json!([{"kind": "mark", "enabled": false}])),
        )
        .await;
    assert_eq!(res.status(), 200);
    let p = problem(
        parent
            .send(
                "PUT",
                "/api/v1/notifications/preferences",
                Some(&json!([{"kind": "gossip", "enabled": true}])),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "[0].kind");
    let pupil = app.login(&login_of(&app, &s.student).await).await;
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "2", "comment": "Нет тетради"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    wait_notification(&pupil, "Новая отметка: 2").await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notifications WHERE person_id = '{parent_id}' AND kind = 'mark'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn calendar_changes_move_lessons() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    // A Monday with lessons becomes a holiday; the Saturday after works as a Monday. The
    // Monday is the first with lessons a week or more ahead — or, after the year's last
    // lessons (a summer date), the last one of the year.
    let ahead = (parta_core::time::today() + chrono::Duration::days(7)).to_string();
    let mondays = |order: &str, cond: &str| {
        format!(
            "SELECT day FROM lessons WHERE organisation_id = '{school}' AND {cond} \
             GROUP BY day ORDER BY day {order}"
        )
    };
    let days: Vec<(String,)> = sqlx::query_as(&mondays("ASC", &format!("day >= '{ahead}'")))
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let all_days: Vec<(String,)> = sqlx::query_as(&mondays("DESC", "1 = 1"))
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let is_monday = |d: &String| {
        chrono::Datelike::weekday(&d.parse::<chrono::NaiveDate>().unwrap()) == chrono::Weekday::Mon
    };
    let monday = days
        .iter()
        .map(|d| &d.0)
        .find(|d| is_monday(d))
        .or_else(|| all_days.iter().map(|d| &d.0).find(|d| is_monday(d)))
        .expect("a Monday with lessons in the demo year")
        .clone();
    let day: chrono::NaiveDate = monday.parse().unwrap();
    let saturday = (day + chrono::Duration::days(5)).to_string();
    let count = |d: String| {
        let school = school.clone();
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT COUNT(*) FROM lessons WHERE organisation_id = '{school}' AND day = '{d}'"
            ))
            .await
        }
    };
    // Lessons that hold something (a topic, homework set ahead, marks, attendance, a
    // hand-in, a change) stay on a new holiday; the others go.
    let holding = app
        .count(&format!(
            "SELECT COUNT(*) FROM lessons l WHERE l.organisation_id = '{school}' AND l.day = '{monday}' \
             AND (l.topic IS NOT NULL OR l.homework IS NOT NULL OR l.change_kind IS NOT NULL OR l.slot_id IS NULL \
             OR EXISTS (SELECT 1 FROM marks m WHERE m.lesson_id = l.id) \
             OR EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = l.id) \
             OR EXISTS (SELECT 1 FROM homework_submissions h WHERE h.lesson_id = l.id))"
        ))
        .await;
    let on_monday = count(monday.clone()).await;
    assert!(on_monday > 0);
    if monday >= ahead {
        // Ahead of today most lessons are still blank, so the holiday has work to do.
        assert!(holding < on_monday, "{holding} of {on_monday} hold content");
    }
    let res = director
        .post(
            &format!("/api/v1/organisations/{school}/calendar-days"),
            &json!({"starts_on": monday, "kind": "holiday", "name": "Региональный праздник"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(count(monday.clone()).await, holding);
    let before_saturday = count(saturday.clone()).await;
    assert_eq!(before_saturday, 0, "the demo school works five days a week");
    let res = director
        .post(&format!("/api/v1/organisations/{school}/calendar-days"), &json!({"starts_on": saturday, "kind": "working", "follows_weekday": 1, "name": "Перенос рабочего дня"}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The Saturday gets the Monday's timetable: as many lessons as the Monday had.
    assert_eq!(count(saturday.clone()).await, on_monday);
    let p = problem(
        director
            .post(
                &format!("/api/v1/organisations/{school}/calendar-days"),
                &json!({"starts_on": saturday, "kind": "party", "name": "x"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "kind");
    let cal: Value = director
        .get(&format!("/api/v1/organisations/{school}/calendar"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cal["settings"]["week_days"], 5);
    assert!(cal["periods"].as_array().unwrap().len() == 4);
}

#[tokio::test]
async fn timetable_imports_from_csv_with_row_errors() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{school}' AND name = '11А'"
        ))
        .await;
    let teacher = app
        .scalar(&format!("SELECT p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '') FROM classes c JOIN persons p ON p.id = c.class_teacher_id WHERE c.id = '{class}'"))
        .await;
    let from = ahead(&app, &school, 14).await;
    let bad = "день;урок;предмет;учитель;кабинет\nпонедельник;1;Алхимия;Никто Никтоевич;5\nсреда;x;Физика;Никто;6\n";
    let res = director
        .post_raw(
            &format!("/api/v1/classes/{class}/timetable-template/import?valid_from={from}"),
            "text/csv",
            bad,
        )
        .await;
    let p = problem(res, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"строка 2, столбец 3") && fields.contains(&"строка 3, столбец 2"),
        "{fields:?}"
    );
    let good = format!(
        "день;урок;предмет;учитель;кабинет\nпонедельник;8;Индивидуальный проект;{teacher};21\n"
    );
    let res = director
        .post_raw(
            &format!("/api/v1/classes/{class}/timetable-template/import?valid_from={from}"),
            "text/csv",
            good,
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn oneroster_gradebook_reads_marks_without_re_entry() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    // At least one mark in the school (on the year's first day the demo has none yet).
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5", "work_type": "test"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let cats: Value = director
        .get("/ims/oneroster/gradebook/v1p2/categories")
        .await
        .json()
        .await
        .unwrap();
    assert!(cats["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["sourcedId"] == "test" && c["weight"] == 3.0));
    let periods: Value = director
        .get(&format!(
            "/ims/oneroster/gradebook/v1p2/schools/{school}/gradingPeriods"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(periods["academicSessions"].as_array().unwrap().len(), 4);
    let results: Value = director
        .get(&format!(
            "/ims/oneroster/gradebook/v1p2/schools/{school}/results?limit=50"
        ))
        .await
        .json()
        .await
        .unwrap();
    let r = &results["results"][0];
    assert_eq!(r["scoreStatus"], "fully graded");
    assert!(r["score"].is_number());
    let mark = app
        .count(&format!(
            "SELECT COUNT(*) FROM marks WHERE id = '{}'",
            r["sourcedId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(mark, 1);
    let items: Value = director
        .get(&format!(
            "/ims/oneroster/gradebook/v1p2/schools/{school}/lineItems?limit=10"
        ))
        .await
        .json()
        .await
        .unwrap();
    let n = items["lineItems"].as_array().unwrap().len();
    assert!((1..=10).contains(&n), "{n}");
}

/// The journal page is a form that works without JavaScript: change two cells, post the
/// whole form, and exactly those changes are written.
#[tokio::test]
async fn the_journal_page_saves_as_a_plain_form() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let page = teacher
        .get(&format!("/journal/{}/{}", s.class, s.subject))
        .await
        .text()
        .await
        .unwrap();
    // Every input's name and value, as a browser would send them.
    let mut fields: Vec<(String, String)> = Vec::new();
    for chunk in page.split("<input").skip(1) {
        let tag = chunk.split('>').next().unwrap();
        let attr = |a: &str| {
            tag.split(&format!(" {a}=\""))
                .nth(1)
                .map(|r| r.split('"').next().unwrap().to_string())
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            fields.push((n, v.replace("&#x20;", " ")));
        }
    }
    let key = format!("{}.{}", s.lesson, s.student);
    let cell = fields
        .iter_mut()
        .find(|(n, _)| *n == format!("m.{key}"))
        .expect("the cell");
    let before_marks = app.count("SELECT COUNT(*) FROM marks").await;
    cell.1 = format!("{} 5 н", cell.1).trim().to_string();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(n, _)| n != "_csrf")
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain([("work_type", "test")])
        .collect();
    // Grades are their own step on the page (`?grades=1`), but one form may still carry
    // both: a bad grade then writes nothing at all, marks included.
    let grades_page = teacher
        .get(&format!("/journal/{}/{}?grades=1", s.class, s.subject))
        .await
        .text()
        .await
        .unwrap();
    assert!(grades_page.contains(&format!("name=\"g.{}\"", s.student)));
    assert!(
        !grades_page.contains(&format!("name=\"m.{key}\"")),
        "marks are read-only then"
    );
    let grade_field = format!("g.{}", s.student);
    let orig_grade = format!("og.{}", s.student);
    let with_grade = |g: &'static str| {
        let mut f = fields.clone();
        f.push((grade_field.as_str(), g));
        f.push((orig_grade.as_str(), ""));
        f
    };
    let res = teacher
        .form(
            &format!("/journal/{}/{}", s.class, s.subject),
            &with_grade("7"),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.count("SELECT COUNT(*) FROM marks").await, before_marks);
    // A good one is written with the marks.
    let res = teacher
        .form(
            &format!("/journal/{}/{}", s.class, s.subject),
            &with_grade("5"),
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let period = fields
        .iter()
        .find(|(n, _)| *n == "period")
        .map(|(_, v)| *v)
        .unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM period_grades WHERE student_id = '{}' AND subject_code = '{}' AND value = '5' AND period_key = '{period}'",
            &grade_field[2..],
            s.subject
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM marks").await,
        before_marks + 1
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM marks WHERE lesson_id = '{}' AND student_id = '{}' AND value = '5' AND work_type = 'test'", s.lesson, s.student)).await,
        1
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM attendance WHERE lesson_id = '{}' AND student_id = '{}' AND status = 'absent'", s.lesson, s.student)).await,
        1
    );
    // A mark off the scale comes back as a page naming the problem; nothing written.
    let page = teacher
        .get(&format!("/journal/{}/{}", s.class, s.subject))
        .await
        .text()
        .await
        .unwrap();
    let orig = page
        .split(&format!("name=\"o.{key}\" value=\""))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let res = teacher
        .form(
            &format!("/journal/{}/{}", s.class, s.subject),
            &[
                (&format!("o.{key}"), orig.as_str()),
                (&format!("m.{key}"), "9"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("нет на шкале"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM marks").await,
        before_marks + 1
    );
}

pub(crate) async fn upload(
    c: &Client,
    lesson: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    c.post_raw(
        &format!("/api/v1/lessons/{lesson}/attachments?file_name={name}"),
        "application/octet-stream",
        bytes,
    )
    .await
}

#[tokio::test]
async fn homework_files_are_checked_and_reach_only_the_class() {
    let app = spawn().await;
    let me = app.person_of("student").await;
    let class = app
        .scalar(&format!(
            "SELECT class_id FROM enrolments WHERE person_id = '{me}' AND ended_on IS NULL"
        ))
        .await;
    let (lesson, teacher, day): (String, String, String) = sqlx::query_as(
        "SELECT id, teacher_id, day FROM lessons WHERE class_id = $1 AND homework IS NOT NULL ORDER BY day DESC LIMIT 1",
    )
    .bind(&class)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    ask_for_handin(&app, &lesson).await;
    let t = app.login(&login_of(&app, &teacher).await).await;
    let pdf = b"%PDF-1.4\n% homework\n".to_vec();
    let res = upload(
        &t,
        &lesson,
        "%D0%B7%D0%B0%D0%B4%D0%B0%D0%BD%D0%B8%D0%B5.pdf",
        pdf.clone(),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let a: Value = res.json().await.unwrap();
    assert_eq!(a["file_name"], "задание.pdf");
    assert_eq!(a["content_type"], "application/pdf");
    // A program renamed to .pdf, a format not on the list, an empty file: refused, nothing stored.
    let before = app.count("SELECT COUNT(*) FROM attachments").await;
    for (name, bytes) in [
        ("virus.pdf", b"MZ\x90\x00\x03".to_vec()),
        ("run.exe", b"MZ\x90".to_vec()),
        ("empty.txt", Vec::new()),
    ] {
        let p = problem(upload(&t, &lesson, name, bytes).await, 422).await;
        assert_eq!(p["field"], "file", "{name}: {p}");
    }
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let res = upload(&t, &lesson, "big.txt", big).await;
    assert_eq!(res.status(), 413);
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, before);

    // The student sees it in the diary and downloads it; answers with a file of their own.
    let student = app.login("student").await;
    let diary: Value = student
        .get(&format!("/api/v1/students/{me}/diary?week={day}"))
        .await
        .json()
        .await
        .unwrap();
    let files: Vec<Value> = diary["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["lessons"].as_array().unwrap().clone())
        .filter(|l| l["lesson"]["id"] == lesson.as_str())
        .flat_map(|l| l["files"].as_array().unwrap().clone())
        .collect();
    assert_eq!(files.len(), 1);
    let res = student
        .get(&format!(
            "/api/v1/attachments/{}",
            files[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
    let res = upload(
        &student,
        &lesson,
        "answer.txt",
        "Ответ: 42".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["student_id"], me.as_str());
    // The teacher sees the answer; a classmate and another school do not.
    let sheet: Value = t
        .get(&format!("/api/v1/lessons/{lesson}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sheet["attachments"].as_array().unwrap().len(), 2);
    let classmate = app
        .scalar(&format!("SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL AND person_id <> '{me}' ORDER BY person_id LIMIT 1"))
        .await;
    let mate = app.login(&login_of(&app, &classmate).await).await;
    let answer_path = format!("/api/v1/attachments/{}", answer["id"].as_str().unwrap());
    assert_eq!(mate.get(&answer_path).await.status(), 404);
    assert_eq!(
        mate.get(&format!(
            "/api/v1/attachments/{}",
            a["id"].as_str().unwrap()
        ))
        .await
        .status(),
        200
    );
    assert_eq!(
        app.login("parent").await.get(&answer_path).await.status(),
        200
    );
    // The teacher opening the student's answer is a read of the student's work: audited
    // (the parent's and the student's own reads are not). The classmate's try is a
    // refused attempt, audited too.
    let reads = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'read' AND object_type = 'attachment' AND subject_person_id = '{me}'"
    );
    assert_eq!(app.count(&reads).await, 0);
    assert_eq!(t.get(&answer_path).await.status(), 200);
    assert_eq!(app.count(&reads).await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'refused' AND actor_person_id = '{classmate}' AND details LIKE 'GET /api/v1/attachments/{{id}}%404%'"
        ))
        .await,
        1
    );
}

/// Found by the security test: one student could store ~19 GB. Uploads count against the
/// person's quota and the school's; the administration sees who uses what.
#[tokio::test]
async fn uploads_are_held_to_quotas_the_school_can_see() {
    let mut config = parta_core::config::Config::default();
    config.storage.student_quota_mb = 1;
    config.storage.staff_quota_mb = 1;
    config.storage.school_quota_mb = 1;
    let app = crate::harness::spawn_with(config).await;
    let me = app.person_of("student").await;
    let class = app
        .scalar(&format!(
            "SELECT class_id FROM enrolments WHERE person_id = '{me}' AND ended_on IS NULL"
        ))
        .await;
    let (lesson, teacher): (String, String) = sqlx::query_as(
        "SELECT id, teacher_id FROM lessons WHERE class_id = $1 AND homework IS NOT NULL ORDER BY day DESC LIMIT 1",
    )
    .bind(&class)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    ask_for_handin(&app, &lesson).await;
    let student = app.login("student").await;
    let text = |kb: usize| "ответ ".repeat(kb * 1024 / 11).into_bytes();
    let res = upload(&student, &lesson, "answer1.txt", text(700)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let stored = app.count("SELECT COUNT(*) FROM attachments").await;
    // The student's own megabyte is nearly used: the next file does not fit.
    let p = problem(
        upload(&student, &lesson, "answer2.txt", text(400)).await,
        422,
    )
    .await;
    assert_eq!(p["code"], "quota");
    assert_eq!(p["field"], "file");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Место для ваших файлов"),
        "{p}"
    );
    // The school's megabyte too: the teacher's material does not fit either.
    let t = app.login(&login_of(&app, &teacher).await).await;
    let p = problem(upload(&t, &lesson, "task.txt", text(400)).await, 422).await;
    assert!(
        p["detail"].as_str().unwrap().contains("файлов школы"),
        "{p}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments").await, stored);
    // The administration sees it, on the API and on its page.
    let director = app.login("director").await;
    let org = app.director_school().await;
    let usage: Value = director
        .get(&format!("/api/v1/organisations/{org}/storage"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(usage["quota_bytes"], 1_048_576);
    assert!(usage["used_bytes"].as_i64().unwrap() > 600_000);
    assert_eq!(usage["people"][0]["person_id"], me.as_str());
    let page = director
        .get(&format!("/schools/{org}/storage"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Хранилище файлов") && page.contains("Кто занимает"),
        "{page}"
    );
}

/// The school administration changes a lesson from its page, without the API.
#[tokio::test]
async fn the_director_substitutes_and_cancels_from_the_lesson_page() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    let tomorrow = (parta_core::time::today() + chrono::Duration::days(1)).to_string();
    let day = lesson_day(&app, &format!("l.organisation_id = '{school}'"), &tomorrow).await;
    let (lesson, teacher, class): (String, String, String) = sqlx::query_as(
        "SELECT id, teacher_id, class_id FROM lessons WHERE organisation_id = $1 AND day >= $2 ORDER BY day, id LIMIT 1",
    )
    .bind(&school)
    .bind(&day)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    open_period_of(&app, &class, &day).await;
    let page = director
        .get(&format!("/lessons/{lesson}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("/change"),
        "the director is offered the change forms"
    );
    // Not without the confirmation box.
    let res = director
        .form(
            &format!("/lessons/{lesson}/change"),
            &[("kind", "cancellation"), ("note", "Карантин")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Да, отменить урок"));
    assert!(
        page.contains("id=\"change\" open") && page.contains("value=\"Карантин\""),
        "the lesson page again, its change form open with the note kept"
    );
    // A move to a date nobody can read names the date, and keeps the number typed.
    let res = director
        .form(
            &format!("/lessons/{lesson}/change"),
            &[("kind", "move"), ("day", "31.02.2026"), ("lesson_no", "3")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"day-error\""), "the error at the date");
    assert!(page.contains("value=\"31.02.2026\"") && page.contains("value=\"3\""));
    let res = director
        .form(
            &format!("/lessons/{lesson}/change"),
            &[("kind", "move"), ("day", "05.12.2026"), ("lesson_no", "40")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"lesson_no-error\""));
    assert_eq!(
        app.scalar(&format!("SELECT status FROM lessons WHERE id = '{lesson}'"))
            .await,
        "planned"
    );
    let res = director
        .form(
            &format!("/lessons/{lesson}/change"),
            &[
                ("kind", "cancellation"),
                ("note", "Карантин"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.scalar(&format!("SELECT status FROM lessons WHERE id = '{lesson}'"))
            .await,
        "cancelled"
    );
    // The teacher of the lesson is not offered the forms.
    let t = app
        .login(
            &app.scalar(&format!(
                "SELECT login FROM accounts WHERE person_id = '{teacher}'"
            ))
            .await,
        )
        .await;
    let page = t
        .get(&format!("/lessons/{lesson}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/change\""), "a teacher sees no change form");
}

/// The diary keeps class weeks in memory: a change of a lesson must show at once to a
/// parent who opened the week just before it.
#[tokio::test]
async fn a_diary_opened_before_a_lesson_change_shows_the_change() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent = app
        .login(&login_of(&app, &parent_of(&app, &s.student).await).await)
        .await;
    let diary_path = format!("/api/v1/students/{}/diary?week={}", s.student, s.day);
    let topic_of = |diary: &Value| {
        diary["days"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["lessons"].as_array().unwrap().clone())
            .find(|l| l["lesson"]["id"] == s.lesson)
            .map(|l| l["lesson"]["topic"].clone())
            .expect("lesson in the diary")
    };
    let before: Value = parent.get(&diary_path).await.json().await.unwrap();
    assert_ne!(topic_of(&before), "Причастный оборот");
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"lessons": [{"lesson_id": s.lesson, "topic": "Причастный оборот"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after: Value = parent.get(&diary_path).await.json().await.unwrap();
    assert_eq!(topic_of(&after), "Причастный оборот");
    // A cancellation by the administration, too.
    let director = app.login("director").await;
    let res = director
        .post(
            &format!("/api/v1/lessons/{}/change", s.lesson),
            &json!({"kind": "cancellation", "note": "Карантин"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after: Value = parent.get(&diary_path).await.json().await.unwrap();
    let lesson = after["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["lessons"].as_array().unwrap().clone())
        .find(|l| l["lesson"]["id"] == s.lesson)
        .unwrap();
    assert_eq!(lesson["lesson"]["status"], "cancelled");
}

/// A subject taught in groups (a foreign language in halves): each teacher sets the
/// period grades of their own group only, and a refused list writes nothing.
#[tokio::test]
async fn a_group_teacher_grades_only_their_group() {
    let app = spawn().await;
    let teacher_id = app.person_of("teacher").await;
    let first = app.login("teacher").await;
    let s = spot(&app, &first).await;
    drop(first);
    let students: Vec<(String,)> = sqlx::query_as(
        "SELECT person_id FROM enrolments WHERE class_id = $1 AND ended_on IS NULL ORDER BY person_id",
    )
    .bind(&s.class)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(students.len() >= 4);
    let (org, year): (String, String) =
        sqlx::query_as("SELECT organisation_id, academic_year_id FROM classes WHERE id = $1")
            .bind(&s.class)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let group = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO study_groups (id, organisation_id, academic_year_id, class_id, name, subject_code) \
         VALUES ($1, $2, $3, $4, 'Группа 1', $5)",
    )
    .bind(&group)
    .bind(&org)
    .bind(&year)
    .bind(&s.class)
    .bind(&s.subject)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (inside, outside) = (&students[0].0, &students[1].0);
    sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
        .bind(&group)
        .bind(inside)
        .execute(&app.db.pool)
        .await
        .unwrap();
    // The teacher now teaches this subject to the group only.
    let moved = sqlx::query(
        "UPDATE teaching_assignments SET class_id = NULL, group_id = $1 \
         WHERE teacher_id = $2 AND class_id = $3 AND subject_code = $4",
    )
    .bind(&group)
    .bind(&teacher_id)
    .bind(&s.class)
    .bind(&s.subject)
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert!(moved.rows_affected() >= 1);
    let teacher = app.login("teacher").await;
    let before = app.count("SELECT COUNT(*) FROM period_grades").await;
    let body = json!({"class_id": s.class, "subject_code": s.subject, "period": "year",
                      "grades": [{"student_id": inside, "value": "5"}, {"student_id": outside, "value": "4"}]});
    let refused = teacher.send("PUT", "/api/v1/grades", Some(&body)).await;
    // The policy's `GradeStudent` refused it (the refusal table counts this test).
    assert_eq!(
        refused
            .headers()
            .get("x-parta-refused-by")
            .and_then(|v| v.to_str().ok()),
        Some("GradeStudent")
    );
    let p = problem(refused, 422).await;
    assert_eq!(p["field"], "grades[1].student_id");
    assert!(p["detail"].as_str().unwrap().contains("группы"), "{p}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM period_grades").await,
        before
    );
    let body = json!({"class_id": s.class, "subject_code": s.subject, "period": "year",
                      "grades": [{"student_id": inside, "value": "5"}]});
    let res = teacher.send("PUT", "/api/v1/grades", Some(&body)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM period_grades").await,
        before + 1
    );
}

fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The school administration runs the calendar and the timetable from pages: settings,
/// a holiday (its lessons go), bells, and the class template edited as text and saved
/// back; bad input names the problem and changes nothing.
#[tokio::test]
async fn the_director_edits_the_calendar_and_the_timetable_on_pages() {
    use chrono::{Datelike, Duration};
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    let page = director
        .get(&format!("/schools/{school}/calendar"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("/calendar/bells") && page.contains("/calendar/days"));

    let res = director
        .form(
            &format!("/schools/{school}/calendar/settings"),
            &[("week_days", "5"), ("rounding_threshold", "50")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT rounding_threshold FROM school_settings WHERE organisation_id = '{school}'"
        ))
        .await,
        50
    );

    // A holiday on a school day a week or more from now (in the summer: the year's last):
    // that day's lessons are gone, but for those holding something already.
    let from = (parta_core::time::today() + Duration::days(8)).to_string();
    let day: chrono::NaiveDate =
        lesson_day(&app, &format!("l.organisation_id = '{school}'"), &from)
            .await
            .parse()
            .unwrap();
    let lessons_that_day = format!(
        "SELECT COUNT(*) FROM lessons l WHERE organisation_id = '{school}' AND day = '{day}' AND status = 'planned' \
         AND topic IS NULL AND homework IS NULL AND change_kind IS NULL AND slot_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.lesson_id = l.id) \
         AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = l.id) \
         AND NOT EXISTS (SELECT 1 FROM homework_submissions h WHERE h.lesson_id = l.id)"
    );
    let all_that_day = format!(
        "SELECT COUNT(*) FROM lessons WHERE organisation_id = '{school}' AND day = '{day}'"
    );
    let (blank, all) = (
        app.count(&lessons_that_day).await,
        app.count(&all_that_day).await,
    );
    assert!(all > 0);
    if day.to_string() >= from {
        assert!(blank > 0, "lessons ahead are mostly blank");
    }
    let res = director
        .form(
            &format!("/schools/{school}/calendar/days"),
            &[
                ("kind", "holiday"),
                ("starts_on", &day.format("%d.%m.%Y").to_string()),
                ("name", "День школы"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.count(&lessons_that_day).await, 0);
    assert_eq!(app.count(&all_that_day).await, all - blank);

    // Bells: a line that is not two times is refused, nothing changes.
    let bells = format!("SELECT COUNT(*) FROM bell_times WHERE organisation_id = '{school}'");
    let before = app.count(&bells).await;
    let res = director
        .form(
            &format!("/schools/{school}/calendar/bells"),
            &[("shift", "1"), ("bells", "08:30-09:10\nвосемь")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("восемь"));
    assert!(
        html.contains("08:30-09:10\nвосемь</textarea>"),
        "the calendar comes back with the bells as typed"
    );
    assert_eq!(app.count(&bells).await, before);
    // A day off with an impossible date: the form keeps its name and the date typed.
    let res = director
        .form(
            &format!("/schools/{school}/calendar/days"),
            &[
                ("kind", "vacation"),
                ("starts_on", "31.02.2027"),
                ("name", "Весенние каникулы"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Весенние каникулы\"") && html.contains("value=\"31.02.2027\""));
    assert!(html.contains("<option value=\"vacation\" selected>"));

    // The template: read as text, saved back from next Monday.
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{school}' AND name = '5А'"
        ))
        .await;
    let tt = director
        .get(&format!("/timetable?class={class}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(tt.contains(&format!("/classes/{class}/template")));
    let page = director
        .get(&format!("/classes/{class}/template"))
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("<textarea name=\"csv\"").unwrap();
    let body_start = start + page[start..].find('>').unwrap() + 1;
    let body_end = body_start + page[body_start..].find("</textarea>").unwrap();
    let csv = unescape(&page[body_start..body_end]);
    let lines = csv.lines().filter(|l| !l.trim().is_empty()).count();
    assert!(lines > 10, "{csv}");
    let next: chrono::NaiveDate = ahead(&app, &school, 7).await.parse().unwrap();
    let monday = next - Duration::days(i64::from(next.weekday().num_days_from_monday()));
    let slots_from = format!(
        "SELECT COUNT(*) FROM timetable_slots WHERE class_id = '{class}' AND valid_from = '{monday}'"
    );
    let broken = csv.replacen("\n", "\nпонедельник;1;Физика;Нет Такого Учителя;101;\n", 1);
    let res = director
        .form(
            &format!("/classes/{class}/template"),
            &[("valid_from", &monday.to_string()), ("csv", &broken)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Нет Такого Учителя"));
    assert!(
        html.contains("понедельник;1;Физика;Нет Такого Учителя;101;"),
        "the text typed is kept"
    );
    assert_eq!(app.count(&slots_from).await, 0);
    let res = director
        .form(
            &format!("/classes/{class}/template"),
            &[("valid_from", &monday.to_string()), ("csv", &csv)],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    // The same timetable again: no lesson conflicts with it, nothing is listed as kept.
    assert!(!res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("kept_from"));
    assert_eq!(app.count(&slots_from).await, lines as i64 - 1);
    // A version without one of its lessons: that lesson, holding content, stays and is
    // listed. (In the summer no lesson lies ahead: nothing to check.)
    let ahead: Option<(String, i64)> = sqlx::query_as(&format!(
        "SELECT l.day, l.lesson_no FROM lessons l JOIN timetable_slots s ON s.id = l.slot_id \
         WHERE l.class_id = '{class}' AND l.day >= '{monday}' AND s.valid_from = '{monday}' AND l.group_id IS NULL \
         ORDER BY l.day, l.lesson_no LIMIT 1"
    ))
    .fetch_optional(&app.db.pool)
    .await
    .unwrap();
    let Some((day1, no1)) = ahead else {
        return;
    };
    sqlx::query("UPDATE lessons SET topic = 'Контрольная работа' WHERE class_id = $1 AND day = $2 AND lesson_no = $3")
        .bind(&class)
        .bind(&day1)
        .bind(no1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let weekday = [
        "понедельник",
        "вторник",
        "среда",
        "четверг",
        "пятница",
        "суббота",
        "воскресенье",
    ][day1
        .parse::<chrono::NaiveDate>()
        .unwrap()
        .weekday()
        .num_days_from_monday() as usize];
    let line = csv
        .lines()
        .find(|l| l.to_lowercase().starts_with(&format!("{weekday};{no1};")))
        .unwrap_or_else(|| panic!("{weekday};{no1}; in {csv}"))
        .to_string();
    let without = csv.replacen(&format!("{line}\n"), "", 1);
    let res = director
        .form(
            &format!("/classes/{class}/template"),
            &[("valid_from", &monday.to_string()), ("csv", &without)],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("kept_from"), "{to}");
    let page = director.get(&to).await.text().await.unwrap();
    assert!(page.contains("id=\"kept\""), "the kept lessons are listed");
}

/// A student enrolled in two schools at once (a general school and, say, a school of arts)
/// sees the lessons of both classes in one diary week.
#[tokio::test]
async fn a_student_of_two_schools_sees_both_timetables() {
    let app = spawn().await;
    let student = app.person_of("student").await;
    let school = app.director_school().await;
    let (other_org, other_class): (String, String) = sqlx::query_as(
        "SELECT c.organisation_id, c.id FROM classes c WHERE c.organisation_id <> $1 \
         AND EXISTS (SELECT 1 FROM lessons l WHERE l.class_id = c.id) ORDER BY c.id LIMIT 1",
    )
    .bind(&school)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, created_at) \
         VALUES ($1, $2, $3, $4, (SELECT MIN(starts_on) FROM academic_years), 'приказ', 0)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&student)
    .bind(&other_org)
    .bind(&other_class)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let c = app.login("student").await;
    // A week with lessons in both classes: this one, or the next school week (a date in a
    // vacation), or the year's last (the summer).
    let today = parta_core::time::today();
    let monday = (today
        - chrono::Duration::days(i64::from(
            chrono::Datelike::weekday(&today).num_days_from_monday(),
        )))
    .to_string();
    let week = lesson_day(
        &app,
        &format!("l.class_id = '{other_class}' AND EXISTS (SELECT 1 FROM lessons o JOIN enrolments e ON e.class_id = o.class_id \
                  WHERE e.person_id = '{student}' AND o.class_id <> '{other_class}' AND o.day = l.day)"),
        &monday,
    )
    .await;
    let diary: Value = c
        .get(&format!("/api/v1/students/{student}/diary?week={week}"))
        .await
        .json()
        .await
        .unwrap();
    let classes: std::collections::HashSet<String> = diary["days"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["lessons"].as_array().unwrap().clone())
        .map(|l| l["lesson"]["class_id"].as_str().unwrap().to_string())
        .collect();
    let own: i64 = app
        .count(&format!(
            "SELECT COUNT(*) FROM lessons l JOIN enrolments e ON e.class_id = l.class_id \
             WHERE e.person_id = '{student}' AND l.class_id <> '{other_class}' AND l.day >= '{}' AND l.day <= '{}'",
            diary["monday"].as_str().unwrap(),
            diary["days"].as_array().unwrap().last().unwrap()["day"].as_str().unwrap()
        ))
        .await;
    assert!(classes.contains(&other_class), "{classes:?}");
    assert_eq!(
        classes.len(),
        2,
        "{classes:?}; own lessons this week: {own}"
    );
    assert!(
        diary["class_name"].as_str().unwrap().contains(", "),
        "{}",
        diary["class_name"]
    );
}

/// A room's week (кабинет): for the school's staff, not for families.
#[tokio::test]
async fn a_rooms_timetable_for_staff_only() {
    let app = spawn().await;
    let school = app.director_school().await;
    let room = app
        .scalar(&format!(
            "SELECT room FROM lessons WHERE organisation_id = '{school}' AND room IS NOT NULL ORDER BY day DESC, room LIMIT 1"
        ))
        .await;
    let day = app
        .scalar(&format!(
            "SELECT day FROM lessons WHERE organisation_id = '{school}' AND room = '{room}' ORDER BY day DESC LIMIT 1"
        ))
        .await;
    let path = format!("/api/v1/timetable?school={school}&room={room}&from={day}&days=1");
    for who in ["director", "teacher"] {
        let lessons: Value = app.login(who).await.get(&path).await.json().await.unwrap();
        let lessons = lessons.as_array().unwrap();
        assert!(!lessons.is_empty(), "{who}");
        assert!(lessons
            .iter()
            .all(|l| l["room"] == room.as_str() && l["day"] == day.as_str()));
    }
    let res = app.login("parent").await.get(&path).await;
    assert_eq!(res.status(), 404);
    let page = app
        .login("director")
        .await
        .get(&format!(
            "/timetable?school={school}&room={room}&week={day}"
        ))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("каб. {room}")),
        "the page names the room"
    );
}

/// Found by the security test: one 2 MB save wrote 15,000 marks for one student on one
/// lesson and 15,003 notifications each for the student and both parents.
#[tokio::test]
async fn a_save_is_bounded_and_tells_each_family_once() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let path = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let marks_sql = format!(
        "SELECT COUNT(*) FROM marks WHERE lesson_id = '{}' AND student_id = '{}'",
        s.lesson, s.student
    );
    let before = app.count(&marks_sql).await;
    let flood: Vec<Value> = (0..15_000)
        .map(|_| json!({"lesson_id": s.lesson, "student_id": s.student, "value": "5"}))
        .collect();
    let p = problem(teacher.post(&path, &json!({"marks": flood})).await, 422).await;
    assert_eq!(p["field"], "marks", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("2000"), "{p}");
    assert_eq!(app.count(&marks_sql).await, before);

    // At most three marks a student for one lesson, counting those already there.
    assert!(before <= 1, "the demo gives at most one mark a lesson");
    let one = json!({"lesson_id": s.lesson, "student_id": s.student, "value": "4"});
    let over = vec![one.clone(); (4 - before) as usize];
    let p = problem(teacher.post(&path, &json!({"marks": over})).await, 422).await;
    assert_eq!(p["field"], format!("marks[{}].value", 3 - before), "{p}");
    assert_eq!(app.count(&marks_sql).await, before);
    // Replacing a mark in the same save is not a fourth one.
    let res = teacher
        .post(
            &path,
            &json!({"marks": vec![one.clone(); (3 - before) as usize]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (mid,): (String,) = sqlx::query_as(&format!(
        "SELECT id FROM marks WHERE lesson_id = '{}' AND student_id = '{}' ORDER BY id LIMIT 1",
        s.lesson, s.student
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let replace = json!({"marks": [
        {"lesson_id": s.lesson, "student_id": s.student, "mark_id": mid, "value": ""},
        one.clone()]});
    let res = teacher.post(&path, &replace).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.count(&marks_sql).await, 3);
    // Back to where the test started.
    let ids: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM marks WHERE lesson_id = '{}' AND student_id = '{}' ORDER BY created_at DESC, id LIMIT {}",
        s.lesson,
        s.student,
        3 - before
    ))
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let clear: Vec<Value> = ids
        .iter()
        .map(|(id,)| json!({"lesson_id": s.lesson, "student_id": s.student, "mark_id": id, "value": ""}))
        .collect();
    let res = teacher.post(&path, &json!({"marks": clear})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.count(&marks_sql).await, before);
    let dup = json!({"attendance": [
        {"lesson_id": s.lesson, "student_id": s.student, "status": "absent"},
        {"lesson_id": s.lesson, "student_id": s.student, "status": "late"}]});
    let p = problem(teacher.post(&path, &dup).await, 422).await;
    assert_eq!(p["field"], "attendance[1].student_id", "{p}");

    // Two marks and an absence in one save: one notification a kind for the student and
    // one for each parent, not one a mark.
    let parents = app
        .count(&format!(
            "SELECT COUNT(*) FROM guardianships WHERE child_id = '{}'",
            s.student
        ))
        .await;
    let notes = |kind: &str| {
        format!(
            "SELECT COUNT(*) FROM notifications WHERE about_person_id = '{}' AND kind = '{kind}'",
            s.student
        )
    };
    // The saves above are told first (the relay works after the commit).
    for _ in 0..100 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE seq IS NULL OR seq > COALESCE((SELECT position FROM event_cursors WHERE consumer = 'notifications'), 0)")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (marks_before, absences_before) = (
        app.count(&notes("mark")).await,
        app.count(&notes("absence")).await,
    );
    let res = teacher
        .post(
            &path,
            &json!({"marks": vec![one.clone(); (3 - before) as usize],
                    "attendance": [{"lesson_id": s.lesson, "student_id": s.student, "status": "late"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let pupil = app.login(&login_of(&app, &s.student).await).await;
    let n = wait_notification(&pupil, "Отметки по предмету").await;
    assert!(n["title"].as_str().unwrap().contains("4, 4"), "{n}");
    wait_notification(&pupil, "Опоздание").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count(&notes("mark")).await, marks_before + 1 + parents);
    assert_eq!(
        app.count(&notes("absence")).await,
        absences_before + 1 + parents
    );
}

/// A consumer that notes what it read; it can be told to fail.
struct Recorder {
    name: &'static str,
    fail: bool,
    seen: std::sync::Mutex<Vec<(String, Value)>>,
    db: parta_db::Db,
}

impl parta_db::outbox::Consumer for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }
    fn kinds(&self) -> &'static [&'static str] {
        &["schoolday."]
    }
    fn handle<'a>(
        &'a self,
        batch: parta_db::outbox::Batch,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), parta_db::outbox::BoxError>> + Send + 'a>,
    > {
        Box::pin(async move {
            if self.fail {
                return Err("this consumer is broken".into());
            }
            for e in &batch.events {
                self.seen
                    .lock()
                    .unwrap()
                    .push((e.kind.clone(), serde_json::from_str(&e.payload).unwrap()));
            }
            let tx = self.db.begin_write().await?;
            batch.commit(tx).await?;
            Ok(())
        })
    }
}

/// The school day's facts reach every consumer of the stream: a second reader (a search
/// index, say) gets the same marks, homework and lesson change as the notifications, at its
/// own pace; a consumer that keeps failing sets the event aside and holds back no one.
#[tokio::test]
async fn events_serve_every_consumer_at_its_own_pace() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let path = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let res = teacher
        .post(
            &path,
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5", "work_type": "test"}],
                    "lessons": [{"lesson_id": s.lesson, "homework": "Задача 7, стр. 40"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The notifications consumer has its word for it already.
    let pupil = app.login(&login_of(&app, &s.student).await).await;
    wait_notification(&pupil, "Новая отметка: 5").await;

    let reader = Recorder {
        name: "test-reader",
        fail: false,
        seen: Default::default(),
        db: app.db.clone(),
    };
    while parta_db::outbox::step(&app.db, &reader).await.unwrap() {}
    let seen = reader.seen.lock().unwrap().clone();
    let marks = seen
        .iter()
        .rev()
        .find(|(k, _)| k == "schoolday.marks_set.v1")
        .expect("the marks fact");
    // Ids and values, no rendered text.
    let m = &marks.1["marks"][0];
    assert_eq!(m["student_id"], s.student.as_str());
    assert_eq!(m["lesson_id"], s.lesson.as_str());
    assert_eq!(m["value"], "5");
    assert!(marks.1.get("title").is_none(), "{}", marks.1);
    let hw = seen
        .iter()
        .rev()
        .find(|(k, _)| k == "schoolday.homework_set.v1")
        .expect("the homework fact");
    assert_eq!(hw.1["homework"][0]["text"], "Задача 7, стр. 40");
    // Its cursor is where the stream ends; nothing is read twice.
    let end = app.count("SELECT COALESCE(MAX(seq), 0) FROM outbox").await;
    assert_eq!(
        app.count("SELECT position FROM event_cursors WHERE consumer = 'test-reader'")
            .await,
        end
    );
    assert!(!parta_db::outbox::step(&app.db, &reader).await.unwrap());

    // A broken consumer: each of its events is tried, then set aside; it moves on, and
    // the notifications go on meanwhile.
    let broken = Recorder {
        name: "test-broken",
        fail: true,
        seen: Default::default(),
        db: app.db.clone(),
    };
    // Each step tries the event again and fails (the consumer would back off), until
    // its tries are used up and it is set aside.
    let mut steps = 0;
    loop {
        match parta_db::outbox::step(&app.db, &broken).await {
            Ok(false) => break,
            Ok(true) | Err(_) => steps += 1,
        }
        assert!(
            steps < 10_000,
            "the broken consumer never got past its events"
        );
    }
    assert_eq!(
        app.count("SELECT position FROM event_cursors WHERE consumer = 'test-broken'")
            .await,
        end
    );
    let wanted = app
        .count("SELECT COUNT(*) FROM outbox WHERE kind LIKE 'schoolday.%'")
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM event_failures WHERE consumer = 'test-broken' AND attempts = {}",
            parta_db::outbox::ATTEMPTS
        ))
        .await,
        wanted
    );
    let res = teacher
        .post(
            &path,
            &json!({"attendance": [{"lesson_id": s.lesson, "student_id": s.student, "status": "late"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    wait_notification(&pupil, "Опоздание").await;
}

/// An event the previous release left waiting (its words made, kind `notify`, renamed by
/// the migration) is delivered once after the upgrade; one it had relayed is not again.
#[tokio::test]
async fn events_left_by_the_previous_release_are_delivered_once() {
    let app = spawn().await;
    let student = app.person_of("student").await;
    let item = |title: &str| {
        json!({"items": [{"student": student, "student_name": "Иван", "kind": "mark",
                          "title": title, "body": "", "link": null}]})
        .to_string()
    };
    for (kind, title) in [
        ("legacy.notify", "Старое событие, ещё не доставленное"),
        ("legacy.notify.relayed", "Старое событие, уже доставленное"),
    ] {
        sqlx::query("INSERT INTO outbox (id, at, kind, payload) VALUES ($1, 0, $2, $3)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(kind)
            .bind(item(title))
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    let pupil = app.login("student").await;
    wait_notification(&pupil, "ещё не доставленное").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let titles = |t: &str| {
        format!(
            "SELECT COUNT(*) FROM notifications WHERE person_id = '{student}' AND title = '{t}'"
        )
    };
    assert_eq!(
        app.count(&titles("Старое событие, ещё не доставленное"))
            .await,
        1
    );
    assert_eq!(
        app.count(&titles("Старое событие, уже доставленное")).await,
        0
    );
}

/// A holiday can be removed: the lessons of its day come back from the timetable.
#[tokio::test]
async fn a_holiday_over_lessons_with_content_lists_them_and_families_are_told() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    let class = fixtures::class_named(&app, &school, "5А").await;
    // The year's last day of lessons of 5А; one of its lessons already has a topic.
    let day = app
        .scalar(&format!(
            "SELECT MAX(day) FROM lessons WHERE class_id = '{class}' AND status = 'planned'"
        ))
        .await;
    let kept = app
        .scalar(&format!(
            "SELECT id FROM lessons WHERE class_id = '{class}' AND day = '{day}' ORDER BY lesson_no LIMIT 1"
        ))
        .await;
    // (In June or the summer that day is past and the demo filled it: it is emptied first.)
    for sql in [
        "DELETE FROM marks WHERE lesson_id IN (SELECT id FROM lessons WHERE class_id = $1 AND day = $2)",
        "DELETE FROM attendance WHERE lesson_id IN (SELECT id FROM lessons WHERE class_id = $1 AND day = $2)",
        "DELETE FROM homework_submissions WHERE lesson_id IN (SELECT id FROM lessons WHERE class_id = $1 AND day = $2)",
        "UPDATE lessons SET topic = NULL, homework = NULL WHERE class_id = $1 AND day = $2",
    ] {
        sqlx::query(sql)
            .bind(&class)
            .bind(&day)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE lessons SET topic = 'Повторение' WHERE id = $1")
        .bind(&kept)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = director
        .form(
            &format!("/schools/{school}/calendar/days"),
            &[
                ("kind", "holiday"),
                ("starts_on", &day),
                ("name", "День здоровья"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("kept_from="), "{to}");
    // The calendar says which lessons stayed and offers to cancel them.
    let page = director.get(&to).await.text().await.unwrap();
    let block = page
        .split("id=\"kept\"")
        .nth(1)
        .expect("the kept lessons")
        .split("</section>")
        .next()
        .unwrap();
    assert!(block.contains(&format!("/lessons/{kept}")));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE class_id = '{class}' AND day = '{day}' AND status = 'planned'"
        ))
        .await,
        1,
        "only the lesson with a topic is left"
    );
    // The families of 5А are told the day has no lessons.
    let student = fixtures::student_with_parent(&app, &class).await;
    let parent = app
        .login(&login_of(&app, &parent_of(&app, &student).await).await)
        .await;
    let n = wait_notification(&parent, "не будет").await;
    assert!(
        n["title"].as_str().unwrap().contains("День здоровья"),
        "{n}"
    );
    // Cancelling the kept ones needs the confirmation box.
    let cancel = format!("/schools/{school}/calendar/kept/cancel");
    let res = director
        .form(&cancel, &[("from", &day), ("to", &day)])
        .await;
    assert_eq!(res.status(), 422);
    let res = director
        .form(&cancel, &[("from", &day), ("to", &day), ("confirm", "1")])
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(
        app.scalar(&format!("SELECT status FROM lessons WHERE id = '{kept}'"))
            .await,
        "cancelled"
    );
}

#[tokio::test]
async fn a_holiday_is_removed_and_its_lessons_come_back() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    // A day of lessons that hold nothing yet (a holiday takes those away).
    let blank = "FROM lessons l WHERE l.organisation_id = '{school}' AND l.topic IS NULL AND l.homework IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.lesson_id = l.id) \
                 AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = l.id)"
        .replace("{school}", &school);
    // In the summer the demo has no such day: the holiday is then put on today, and only
    // its removal is checked.
    let day = app
        .scalar(&format!(
            "SELECT COALESCE(MAX(l.day), '{}') {blank}",
            parta_core::time::today()
        ))
        .await;
    let on_day = format!("SELECT COUNT(*) {blank} AND l.day = '{day}'");
    let before = app.count(&on_day).await;
    let res = director
        .post(
            &format!("/api/v1/organisations/{school}/calendar-days"),
            &json!({"starts_on": day, "kind": "holiday", "name": "Проверка"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let holiday: Value = res.json().await.unwrap();
    assert_eq!(app.count(&on_day).await, 0);
    // The calendar page offers to remove it.
    let page = director
        .get(&format!("/schools/{school}/calendar"))
        .await
        .text()
        .await
        .unwrap();
    let id = holiday["id"].as_str().unwrap();
    assert!(page.contains(&format!("/calendar/days/{id}/delete")));
    let res = director
        .send(
            "DELETE",
            &format!("/api/v1/organisations/{school}/calendar-days/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    assert_eq!(app.count(&on_day).await, before);
    // Twice: it is gone.
    let res = director
        .send(
            "DELETE",
            &format!("/api/v1/organisations/{school}/calendar-days/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 404);
}
