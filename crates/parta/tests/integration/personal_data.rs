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
