//! Personal data (DATA-1…4): audit of reads and changes, export, corrections.

use crate::harness::{problem, spawn};
use serde_json::{json, Value};
use std::io::Read;

#[tokio::test]
async fn reading_a_child_card_is_audited_and_visible_to_the_family() {
    let app = spawn().await;
    let parent = app.login("parent").await;
    let child = app.person_of("student").await;
    let parent_id = app.person_of("parent").await;
    assert_eq!(
        parent
            .get(&format!("/api/v1/persons/{child}"))
            .await
            .status(),
        200
    );
    let n = app
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE subject_person_id = '{child}' AND actor_person_id = '{parent_id}' AND action = 'read'"))
        .await;
    assert_eq!(n, 1, "the read is committed before the answer");
    // The student sees who looked at their data.
    let student = app.login("student").await;
    let log: Value = student
        .get(&format!("/api/v1/persons/{child}/audit"))
        .await
        .json()
        .await
        .unwrap();
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["actor_person_id"] == parent_id.as_str())
        .unwrap();
    assert_eq!(entry["actor_role"], "parent");
    assert!(entry["ip"].as_str().unwrap().starts_with("127.0.0.1"));
    // Reading one's own card is not someone else's access.
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    student.get(&format!("/api/v1/persons/{child}")).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, before);
}

#[tokio::test]
async fn concurrent_reads_are_all_audited() {
    let app = spawn().await;
    let director = app.login("director").await;
    let org = app.director_school().await;
    let students: Vec<(String,)> = sqlx::query_as(&format!("SELECT person_id FROM enrolments WHERE organisation_id = '{org}' AND ended_on IS NULL ORDER BY person_id LIMIT 64"))
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let before = app
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'read'")
        .await;
    let mut tasks = tokio::task::JoinSet::new();
    for (id,) in &students {
        let http = director.http.clone();
        let url = format!("{}/api/v1/persons/{id}", director.base);
        tasks.spawn(async move { http.get(url).send().await.unwrap().status().as_u16() });
    }
    let statuses = tasks.join_all().await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'read'")
            .await
            - before,
        students.len() as i64
    );
}

#[tokio::test]
async fn a_parent_downloads_everything_about_the_family() {
    let app = spawn().await;
    let parent = app.login("parent").await;
    let me = app.person_of("parent").await;
    let child = app.person_of("student").await;
    let res = parent.get(&format!("/api/v1/persons/{me}/export")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    assert!(names.contains(&"me/person.json".to_string()), "{names:?}");
    assert!(
        names.contains(&format!("children/{child}/person.json")),
        "{names:?}"
    );
    let mut s = String::new();
    zip.by_name(&format!("children/{child}/person.json"))
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    let card: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(card["id"], child.as_str());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND subject_person_id = '{me}'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn contacts_are_corrected_by_the_person_and_official_data_by_request() {
    let app = spawn().await;
    let parent = app.login("parent").await;
    let me = app.person_of("parent").await;
    let path = format!("/api/v1/persons/{me}/contacts");
    let p = problem(
        parent
            .send(
                "PATCH",
                &path,
                Some(&json!({"email": "not-an-email", "phone": "12"})),
            )
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
    assert_eq!(fields, ["email", "phone"]);
    let before = app
        .scalar(&format!(
            "SELECT COALESCE(email, '') FROM persons WHERE id = '{me}'"
        ))
        .await;
    assert_ne!(before, "not-an-email");
    let card: Value = parent
        .send(
            "PATCH",
            &path,
            Some(&json!({"email": "Mama@Mail.ru", "phone": "8 (912) 345-67-89"})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["email"], "mama@mail.ru");
    assert_eq!(card["phone"], "+79123456789");
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'update' AND subject_person_id = '{me}'"
        ))
        .await;
    assert_eq!(
        audited, 1,
        "the change and its audit record commit together; the refused attempt left none"
    );
    // A parent corrects the child's contacts too.
    let child = app.person_of("student").await;
    assert_eq!(
        parent
            .send(
                "PATCH",
                &format!("/api/v1/persons/{child}/contacts"),
                Some(&json!({"phone": "+7 900 111-22-33"}))
            )
            .await
            .status(),
        200
    );
    // Official data go to the school as a request.
    let p = problem(
        parent
            .post(
                &format!("/api/v1/persons/{me}/change-requests"),
                &json!({"field": "snils", "new_value": "123"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "new_value");
    let res = parent
        .post(
            &format!("/api/v1/persons/{me}/change-requests"),
            &json!({"field": "last_name", "new_value": "Петрова", "comment": "Сменила фамилию"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM change_requests WHERE person_id = '{me}' AND status = 'pending'"
        ))
        .await,
        1
    );
    let last = app
        .scalar(&format!("SELECT last_name FROM persons WHERE id = '{me}'"))
        .await;
    assert_ne!(last, "Петрова", "official data are not changed directly");
}

#[tokio::test]
async fn the_school_decides_on_correction_requests() {
    let app = spawn().await;
    let parent = app.login("parent").await;
    let child = app.person_of("student").await;
    let org = app.director_school().await;
    for (field, value) in [
        ("last_name", "Абрамова-Петрова"),
        ("birth_date", "2015-01-02"),
    ] {
        let res = parent
            .post(
                &format!("/api/v1/persons/{child}/change-requests"),
                &json!({"field": field, "new_value": value}),
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let director = app.login("director").await;
    let list: Value = director
        .get(&format!("/api/v1/organisations/{org}/change-requests"))
        .await
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let rename = list.iter().find(|r| r["field"] == "last_name").unwrap();
    assert_eq!(rename["new_value"], "Абрамова-Петрова");
    assert!(rename["current_value"].as_str().is_some());
    let id = rename["id"].as_str().unwrap();
    let done: Value = director
        .post(
            &format!("/api/v1/change-requests/{id}/decision"),
            &json!({"approve": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "approved");
    assert_eq!(
        app.scalar(&format!(
            "SELECT last_name FROM persons WHERE id = '{child}'"
        ))
        .await,
        "Абрамова-Петрова"
    );
    let p = problem(
        director
            .post(
                &format!("/api/v1/change-requests/{id}/decision"),
                &json!({"approve": false}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "status");
    let other = list.iter().find(|r| r["field"] == "birth_date").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done: Value = director
        .post(
            &format!("/api/v1/change-requests/{other}/decision"),
            &json!({"approve": false, "comment": "Нужна копия свидетельства"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "rejected");
    assert_ne!(
        app.scalar(&format!(
            "SELECT birth_date FROM persons WHERE id = '{child}'"
        ))
        .await,
        "2015-01-02"
    );
    // A teacher of the school may not decide.
    let teacher = app.login("teacher").await;
    problem(
        teacher
            .get(&format!("/api/v1/organisations/{org}/change-requests"))
            .await,
        403,
    )
    .await;
}

/// Found by the security test: a teacher read colleagues', taught students' and their
/// parents' full cards with СНИЛС, birth date, phone and e-mail. Each role now sees what it
/// needs, field by field, as the policy decides (152-FZ art. 5).
#[tokio::test]
async fn each_role_sees_only_the_fields_it_needs() {
    let app = spawn().await;
    let org = app.director_school().await;
    let student = app.person_of("student").await;
    let parent = app.person_of("parent").await;
    let colleague = app
        .scalar(&format!(
            "SELECT s.person_id FROM staff_positions s JOIN accounts a ON a.person_id <> s.person_id AND a.login = 'teacher' \
             WHERE s.organisation_id = '{org}' AND s.ended_on IS NULL ORDER BY s.person_id LIMIT 1"
        ))
        .await;
    // The demo's data is complete: every field is there to be hidden.
    sqlx::query("UPDATE persons SET email = 'x@example.org', phone = '+79120000000' WHERE id IN ($1, $2, $3)")
        .bind(&student)
        .bind(&parent)
        .bind(&colleague)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE persons SET snils = '112-233-445 95' WHERE id = $1")
        .bind(&student)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let card = |c: crate::harness::Client, id: String| async move {
        let res = c.get(&format!("/api/v1/persons/{id}")).await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    let private = ["snils", "birth_date", "sex", "email", "phone"];
    let teacher = app.login("teacher").await;
    // A taught student: name, class, parents' names; nothing private.
    let s = card(app.login("teacher").await, student.clone()).await;
    for f in private {
        assert!(s[f].is_null(), "{f} of a student shown to a teacher: {s}");
    }
    assert!(s["hidden"].as_array().unwrap().iter().any(|h| h == "snils"));
    let enrolments = s["enrolments"].as_array().unwrap();
    assert!(
        !enrolments.is_empty()
            && enrolments
                .iter()
                .all(|e| e["ended_on"].is_null() && e["organisation_id"] == org.as_str())
    );
    assert!(!s["parents"].as_array().unwrap().is_empty());
    // A colleague: the staff directory, name and positions.
    let c = card(app.login("teacher").await, colleague.clone()).await;
    for f in private {
        assert!(c[f].is_null(), "{f} of a colleague shown: {c}");
    }
    assert!(!c["positions"].as_array().unwrap().is_empty());
    // The parent of a student: contacts only where the school allows (the demo school
    // does); never СНИЛС or the birth date.
    let p = card(app.login("teacher").await, parent.clone()).await;
    assert_eq!(p["phone"], "+79120000000");
    assert!(p["snils"].is_null() && p["birth_date"].is_null());
    let director = app.login("director").await;
    let res = director
        .send(
            "PUT",
            &format!("/api/v1/organisations/{org}/privacy"),
            Some(&json!({"parent_contacts_to_teachers": false})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE object_type = 'privacy' AND organisation_id = '{org}'")).await,
        1
    );
    let p = card(teacher, parent.clone()).await;
    assert!(p["phone"].is_null() && p["email"].is_null(), "{p}");
    // The school, the parent and the person see the whole card.
    for (who, id) in [
        ("director", &student),
        ("parent", &student),
        ("student", &student),
    ] {
        let full = card(app.login(who).await, id.clone()).await;
        assert_eq!(full["snils"], "112-233-445 95", "{who}");
        assert_eq!(full["phone"], "+79120000000", "{who}");
        assert!(full["hidden"].as_array().unwrap().is_empty(), "{who}");
    }
    // A student sees how to reach their parent, not the parent's documents.
    let p = card(app.login("student").await, parent).await;
    assert_eq!(p["phone"], "+79120000000");
    assert!(p["snils"].is_null() && p["birth_date"].is_null());
    // The person page says that the rest is hidden, and shows no СНИЛС.
    let page = app
        .login("teacher")
        .await
        .get(&format!("/persons/{student}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("152-ФЗ") && !page.contains("112-233-445 95"),
        "{page}"
    );
}

/// Found by the security test: no audit row for a student's timetable read by staff, the
/// staff list, reading someone's access log, or refused attempts on personal data.
#[tokio::test]
async fn reads_by_staff_and_refused_attempts_leave_a_trace() {
    let app = spawn().await;
    let org = app.director_school().await;
    let student = app.person_of("student").await;
    let director_id = app.person_of("director").await;
    let count = |sql: String| {
        let app = &app;
        async move { app.count(&sql).await }
    };
    let by = |actor: &str, action: &str, object: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_log WHERE actor_person_id = '{actor}' AND action = '{action}' AND object_type = '{object}'"
        )
    };
    // A student's timetable: audited when staff read it, not when the family does.
    let director = app.login("director").await;
    let path = format!("/api/v1/timetable?student={student}");
    assert_eq!(director.get(&path).await.status(), 200);
    assert_eq!(
        count(format!(
            "{} AND subject_person_id = '{student}'",
            by(&director_id, "read", "timetable")
        ))
        .await,
        1
    );
    let parent = app.login("parent").await;
    let parent_id = app.person_of("parent").await;
    assert_eq!(parent.get(&path).await.status(), 200);
    assert_eq!(count(by(&parent_id, "read", "timetable")).await, 0);
    // The staff list.
    assert_eq!(
        director
            .get(&format!("/api/v1/organisations/{org}/staff"))
            .await
            .status(),
        200
    );
    assert_eq!(count(by(&director_id, "read", "staff")).await, 1);
    // Someone's access log (a parent reading the child's; the school reading its own).
    assert_eq!(
        parent
            .get(&format!("/api/v1/persons/{student}/audit"))
            .await
            .status(),
        200
    );
    assert_eq!(
        count(format!(
            "{} AND subject_person_id = '{student}'",
            by(&parent_id, "read", "audit_log")
        ))
        .await,
        1
    );
    assert_eq!(
        director
            .get(&format!("/api/v1/organisations/{org}/audit"))
            .await
            .status(),
        200
    );
    assert_eq!(count(by(&director_id, "read", "audit_log")).await, 1);
    // Refused attempts: a teacher probing a child of another school (404), a parent
    // asking for the school's access log (403). The probed child sees the attempt.
    let other = app
        .scalar(&format!("SELECT person_id FROM enrolments WHERE organisation_id <> '{org}' AND ended_on IS NULL ORDER BY person_id LIMIT 1"))
        .await;
    let teacher = app.login("teacher").await;
    let teacher_id = app.person_of("teacher").await;
    assert_eq!(
        teacher
            .get(&format!("/api/v1/persons/{other}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        count(format!(
            "{} AND subject_person_id = '{other}' AND details = 'GET /api/v1/persons/{{id}} → 404 (ReadPerson)'",
            by(&teacher_id, "refused", "request")
        ))
        .await,
        1
    );
    assert_eq!(
        parent
            .get(&format!("/api/v1/organisations/{org}/audit"))
            .await
            .status(),
        403
    );
    assert_eq!(count(by(&parent_id, "refused", "request")).await, 1);
    // Pages too.
    assert_eq!(
        teacher.get(&format!("/persons/{other}")).await.status(),
        404
    );
    assert_eq!(count(by(&teacher_id, "refused", "request")).await, 2);
}
