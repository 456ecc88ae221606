//! Registry API: validation, all-or-nothing writes, enrolment history, pagination,
//! OpenAPI and operations endpoints.

use crate::harness::{problem, spawn};
use serde_json::{json, Value};

#[tokio::test]
async fn bad_input_names_the_field_in_russian_and_writes_nothing() {
    let app = spawn().await;
    let admin = app.login("admin").await;
    let mun = app
        .scalar("SELECT id FROM municipalities ORDER BY id LIMIT 1")
        .await;
    let before = app.count("SELECT COUNT(*) FROM organisations").await;
    let p = problem(
        admin
            .post("/api/v1/organisations", &json!({"municipality_id": mun, "kind": "school", "full_name": "Школа", "short_name": "Ш", "inn": "1234567890", "ogrn": "1", "address": "ул. Школьная, 1"}))
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
    assert_eq!(fields, ["inn", "ogrn"]);
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("ИНН"));
    // Missing field, wrong type, broken JSON: all named.
    let p = problem(
        admin
            .post("/api/v1/organisations", &json!({"municipality_id": mun}))
            .await,
        422,
    )
    .await;
    assert_eq!(p["code"], "validation");
    assert!(p["field"].as_str().is_some());
    let p = problem(
        admin
            .post("/api/v1/organisations", &json!({"municipality_id": 5}))
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "municipality_id");
    let res = admin
        .post_raw("/api/v1/organisations", "application/json", "{not json")
        .await;
    assert_eq!(problem(res, 422).await["field"], "body");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM organisations").await,
        before
    );
}

#[tokio::test]
async fn operator_registers_a_school_and_duplicates_conflict() {
    let app = spawn().await;
    let op = app.login("municipality").await;
    let mun = app
        .scalar("SELECT municipality_id FROM role_assignments WHERE role = 'municipal_operator'")
        .await;
    let body = json!({"municipality_id": mun, "kind": "school", "full_name": "МБОУ «Основная школа с. Липки»", "short_name": "МБОУ ОШ с. Липки", "inn": "7707083893", "ogrn": "1027700132195", "address": "с. Липки, ул. Садовая, 3"});
    let res = op.post("/api/v1/organisations", &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let p = problem(op.post("/api/v1/organisations", &body).await, 409).await;
    assert_eq!(p["field"], "inn");
    let unknown = json!({"municipality_id": uuid::Uuid::new_v4(), "kind": "school", "full_name": "x", "short_name": "x", "inn": "7707083893", "ogrn": "1027700132195", "address": "xxxxxx"});
    assert_eq!(
        problem(op.post("/api/v1/organisations", &unknown).await, 422).await["field"],
        "municipality_id"
    );
}

#[tokio::test]
async fn director_opens_a_class_and_validation_is_complete() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let year = app
        .scalar(&format!(
            "SELECT id FROM academic_years WHERE organisation_id = '{org}'"
        ))
        .await;
    let res = d
        .post(
            &format!("/api/v1/organisations/{org}/classes"),
            &json!({"academic_year_id": year, "grade_level": "5", "letter": "б"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["name"], "5Б");
    let p = problem(
        d.post(
            &format!("/api/v1/organisations/{org}/classes"),
            &json!({"academic_year_id": year, "grade_level": "5", "letter": "Б"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p["field"], "letter");
    let p = problem(
        d.post(
            &format!("/api/v1/organisations/{org}/classes"),
            &json!({"academic_year_id": uuid::Uuid::new_v4(), "grade_level": "12", "letter": ""}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_transfer_keeps_the_whole_history() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{org}' AND name = '6А'"
        ))
        .await;
    let newcomer = app
        .scalar(&format!("SELECT e.person_id FROM enrolments e JOIN classes c ON c.id = e.class_id WHERE c.organisation_id <> '{org}' AND c.name = '6А' AND e.ended_on IS NULL ORDER BY e.person_id LIMIT 1"))
        .await;
    // Transferred today and expelled again today (the platform's date: tests run on any date).
    let today = parta_core::time::today().to_string();
    // Without the student's СНИЛС a student of another school is not the school's to see.
    problem(
        d.post(
            "/api/v1/enrolments",
            &json!({"person_id": newcomer, "class_id": class, "date": today}),
        )
        .await,
        404,
    )
    .await;
    let snils = app
        .scalar(&format!(
            "SELECT snils FROM persons WHERE id = '{newcomer}'"
        ))
        .await;
    let res = d.post("/api/v1/enrolments", &json!({"person_id": newcomer, "class_id": class, "date": today, "order_ref": "Приказ № 12-у", "snils": snils})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let history: Value = res.json().await.unwrap();
    assert_eq!(history[0]["start_reason"], "transferred_in");
    assert_eq!(history[0]["ended_on"], Value::Null);
    assert_eq!(history[1]["end_reason"], "transferred");
    assert_eq!(history[1]["ended_on"], today.as_str());
    // The director now sees the newcomer, with the record from the old school.
    let card: Value = d
        .get(&format!("/api/v1/persons/{newcomer}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(card["enrolments"].as_array().unwrap().len(), 2);
    // Expel them again; a bad date is refused first.
    let p = problem(
        d.post(
            &format!("/api/v1/organisations/{org}/enrolment-ends"),
            &json!({"person_id": newcomer, "date": "20.11.2026", "reason": "expelled"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "date");
    let p = problem(
        d.post(
            &format!("/api/v1/organisations/{org}/enrolment-ends"),
            &json!({"person_id": newcomer, "date": today, "reason": "vanished"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "reason");
    let res = d
        .post(
            &format!("/api/v1/organisations/{org}/enrolment-ends"),
            &json!({"person_id": newcomer, "date": today, "reason": "expelled"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let open = app
        .count(&format!(
            "SELECT COUNT(*) FROM enrolments WHERE person_id = '{newcomer}' AND ended_on IS NULL"
        ))
        .await;
    assert_eq!(open, 0);
}

#[tokio::test]
async fn organisations_page_by_cursor_without_gaps_or_repeats() {
    let app = spawn().await;
    let c = app.login("region").await;
    let first: Value = c
        .get("/api/v1/organisations?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = c
        .get(&format!("/api/v1/organisations?limit=2&cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert!(second["next_cursor"].is_null());
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    assert_ne!(first["items"][1]["id"], second["items"][0]["id"]);
    assert!(first["items"][0]["student_count"].as_i64().unwrap() > 100);
    assert_eq!(
        problem(c.get("/api/v1/organisations?cursor=garbage").await, 422).await["field"],
        "cursor"
    );
    let regions: Value = c.get("/api/v1/regions").await.json().await.unwrap();
    assert!(regions
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "77" && r["name"] == "Москва"));
    let muns: Value = c
        .get("/api/v1/municipalities?region=52")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(muns.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn openapi_document_and_operations_endpoints() {
    let app = spawn().await;
    let c = app.anonymous();
    let doc: Value = c.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/persons/{id}"]["get"].is_object());
    let docs = c.get("/api/docs").await.text().await.unwrap();
    assert!(docs.contains("/api/v1/persons/{id}"));
    assert_eq!(c.get("/healthz").await.text().await.unwrap(), "ok");
    assert_eq!(c.get("/readyz").await.status(), 200);
    let _ = app.login("parent").await;
    let metrics = c.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/session\""));
    problem(c.get("/api/v1/no-such-thing").await, 404).await;
}

#[tokio::test]
async fn a_regional_operator_adds_local_reference_entries() {
    let app = spawn().await;
    let op = app.login("region").await;
    let res = op.post("/api/v1/reference/subjects", &json!({"code": "local_history", "name": "История Нижегородского края", "grade_from": 5, "grade_to": 9})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let list: Value = op
        .get("/api/v1/reference/subjects")
        .await
        .json()
        .await
        .unwrap();
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "local_history")
        .unwrap();
    assert_eq!(entry["source"], "local");
    assert_eq!(
        problem(
            op.post(
                "/api/v1/reference/subjects",
                &json!({"code": "math", "name": "Дубль"})
            )
            .await,
            409
        )
        .await["field"],
        "code"
    );
    let p = problem(
        op.post(
            "/api/v1/reference/subjects",
            &json!({"code": "Bad Code", "name": "", "grade_from": 9, "grade_to": 5}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 3);
    assert_eq!(
        problem(
            op.post(
                "/api/v1/reference/regions",
                &json!({"code": "99", "name": "Выдуманный"})
            )
            .await,
            422
        )
        .await["field"],
        "book"
    );
    problem(op.get("/api/v1/reference/nothing").await, 404).await;
    // A federal refresh leaves the local entry alone.
    app.db.migrate().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ref_subjects WHERE code = 'local_history'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_school_opens_a_year_and_registers_a_first_grader() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let path = format!("/api/v1/organisations/{org}/academic-years");
    assert_eq!(
        d.post(
            &path,
            &json!({"name": "2030/2031", "starts_on": "2030-09-01", "ends_on": "2031-05-31"})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        problem(
            d.post(
                &path,
                &json!({"name": "2030/2031", "starts_on": "2030-09-01", "ends_on": "2031-05-31"})
            )
            .await,
            409
        )
        .await["field"],
        "name"
    );
    let p = problem(
        d.post(
            &path,
            &json!({"name": "2030", "starts_on": "01.09.2030", "ends_on": "2029-13-01"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"].as_array().unwrap().len(), 3);
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{org}' AND name = '1А'"
        ))
        .await;
    let persons = format!("/api/v1/organisations/{org}/persons");
    let res = d.post(&persons, &json!({"last_name": "Новикова", "first_name": "Ева", "birth_date": "2019-04-01", "sex": "female", "snils": "112-233-445 95", "role": "student", "class_id": class})).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let card: Value = res.json().await.unwrap();
    assert_eq!(card["enrolments"][0]["class_name"], "1А");
    // The same СНИЛС again is someone who already has a record.
    let p = problem(d.post(&persons, &json!({"last_name": "Новикова", "first_name": "Ева", "snils": "11223344595", "role": "student"})).await, 409).await;
    assert_eq!(p["field"], "snils");
    let p = problem(
        d.post(
            &persons,
            &json!({"last_name": "", "first_name": "Ева", "role": "janitor", "phone": "1"}),
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
    assert_eq!(fields, ["last_name", "phone", "role"]);
    // The director now sees the newcomer's card.
    assert_eq!(
        d.get(&format!("/api/v1/persons/{}", card["id"].as_str().unwrap()))
            .await
            .status(),
        200
    );
}

/// Overload: beyond its places and a short wait, the server answers 503 with Retry-After
/// at once instead of queueing without bound; health and readiness are always answered.
#[tokio::test]
async fn an_overloaded_server_sheds_load_with_retry_after() {
    let mut config = parta_core::config::Config::default();
    config.admission.max_writes = 1;
    config.admission.max_wait_ms = 0;
    let app = crate::harness::spawn_with(config).await;
    // Sign-ins are writes that hold their place for an argon2 hash each.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let c = app.anonymous();
        tasks.spawn(async move {
            let res = c
                .post(
                    "/api/v1/session",
                    &json!({"login": "parent", "password": crate::harness::PASSWORD}),
                )
                .await;
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let status = res.status().as_u16();
            let code = res.json::<Value>().await.ok().map(|v| v["code"].clone());
            (status, retry, code)
        });
    }
    let mut statuses = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (status, retry, code) = r.unwrap();
        if status == 503 {
            assert_eq!(retry.as_deref(), Some("1"));
            assert_eq!(code, Some(json!("overloaded")));
        }
        statuses.push(status);
    }
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(app.anonymous().get("/healthz").await.status(), 200);
}
