//! OneRoster 1.2 REST, the Rostering service, and the OAuth 2.0 client credentials that
//! integrations use to reach it.

use crate::harness::{spawn, TestApp};
use serde_json::{json, Value};

const BASE: &str = "/ims/oneroster/rostering/v1p2";

async fn get(c: &crate::harness::Client, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let res = c.get(&format!("{BASE}{path}")).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["sourcedId"].as_str().unwrap().to_string())
        .collect()
}

/// Fields the specification requires of each object (the 1.2 REST binding's models).
fn assert_conforms(kind: &str, o: &Value) {
    let required: &[&str] = match kind {
        "org" => &["sourcedId", "status", "dateLastModified", "name", "type"],
        "academicSession" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "startDate",
            "endDate",
            "type",
            "schoolYear",
        ],
        "course" => &["sourcedId", "status", "dateLastModified", "title", "org"],
        "class" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "course",
            "school",
            "terms",
        ],
        "user" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "givenName",
            "familyName",
            "roles",
        ],
        "enrollment" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "user",
            "class",
            "school",
            "role",
        ],
        "demographics" => &["sourcedId", "status", "dateLastModified"],
        _ => unreachable!(),
    };
    for f in required {
        assert!(o.get(*f).is_some(), "{kind} without {f}: {o}");
    }
    assert!(
        matches!(o["status"].as_str(), Some("active" | "tobedeleted")),
        "{o}"
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(o["dateLastModified"].as_str().unwrap()).is_ok(),
        "{o}"
    );
    // GUIDRefs: href, sourcedId, type.
    for (_, v) in o.as_object().unwrap() {
        let refs: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        for r in refs.into_iter().filter(|r| r.get("href").is_some()) {
            assert!(r["sourcedId"].is_string() && r["type"].is_string(), "{r}");
            assert!(r["href"]
                .as_str()
                .unwrap()
                .ends_with(r["sourcedId"].as_str().unwrap()));
        }
    }
    if kind == "user" {
        assert!(matches!(o["enabledUser"].as_str(), Some("true" | "false")));
        assert!(o.get("password").is_none());
        for r in o["roles"].as_array().unwrap() {
            assert!(
                matches!(r["roleType"].as_str(), Some("primary" | "secondary")),
                "{r}"
            );
            assert!(
                r["role"].is_string() && r["org"]["sourcedId"].is_string(),
                "{r}"
            );
        }
    }
    if kind == "enrollment" {
        assert!(matches!(o["primary"].as_str(), Some("true" | "false")));
    }
}

async fn school_people(app: &TestApp, org: &str) -> (i64, i64) {
    let students = app
        .count(&format!(
            "SELECT COUNT(DISTINCT person_id) FROM (SELECT person_id FROM enrolments WHERE organisation_id = '{org}' AND ended_on IS NULL \
             UNION SELECT m.person_id FROM group_members m JOIN study_groups g ON g.id = m.group_id WHERE g.organisation_id = '{org}') s"
        ))
        .await;
    let staff = app
        .count(&format!(
            "SELECT COUNT(DISTINCT person_id) FROM staff_positions WHERE organisation_id = '{org}' AND ended_on IS NULL AND position NOT IN ('head', 'deputy_head')"
        ))
        .await;
    (students, staff)
}

#[tokio::test]
async fn the_rostering_service_answers_the_school_as_the_spec_binds_it() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;

    // Orgs: the school and its district.
    let (s, _, body) = get(&d, "/orgs").await;
    assert_eq!(s, 200, "{body}");
    let orgs = body["orgs"].as_array().unwrap();
    let school = orgs
        .iter()
        .find(|o| o["sourcedId"] == org.as_str())
        .unwrap();
    assert_eq!(school["type"], "school");
    let district = orgs.iter().find(|o| o["type"] == "district").unwrap();
    assert_eq!(school["parent"]["sourcedId"], district["sourcedId"]);
    assert!(ids(&district["children"]).contains(&org));
    for o in orgs {
        assert_conforms("org", o);
    }
    let (s, _, one) = get(&d, &format!("/schools/{org}")).await;
    assert_eq!((s, &one["org"]["sourcedId"]), (200, &json!(org)));

    // Users: everyone of the school, each once, with the X-Total-Count and Link headers.
    let (students, teachers) = school_people(&app, &org).await;
    let (s, h, body) = get(&d, "/students?limit=1000").await;
    assert_eq!(s, 200);
    assert_eq!(h["x-total-count"], students.to_string().as_str());
    assert_eq!(body["users"].as_array().unwrap().len() as i64, students);
    for u in body["users"].as_array().unwrap() {
        assert_conforms("user", u);
        assert!(
            !u["grades"].as_array().unwrap().is_empty(),
            "a student's grade: {u}"
        );
    }
    let (_, h, _) = get(&d, "/teachers").await;
    assert_eq!(h["x-total-count"], teachers.to_string().as_str());
    let (_, h, all) = get(&d, "/users?limit=3&offset=3").await;
    let total: usize = h["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(total as i64 > students + teachers, "parents too");
    assert_eq!(all["users"].as_array().unwrap().len(), 3);
    let link = h["link"].to_str().unwrap();
    assert!(link.contains("limit=3&offset=0>; rel=\"prev\""), "{link}");
    assert!(link.contains("limit=3&offset=6>; rel=\"next\""), "{link}");

    // filter, sort, orderBy and fields as the spec defines them.
    let (_, h, filtered) = get(&d, "/users?filter=roles.role='student'&sort=familyName&orderBy=desc&fields=sourcedId,familyName&limit=1000").await;
    assert_eq!(h["x-total-count"], students.to_string().as_str());
    let names: Vec<&str> = filtered["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["familyName"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(names, sorted);
    assert_eq!(
        filtered["users"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["familyName", "sourcedId"]
    );
    let first = names[0];
    let (_, h, _) = get(
        &d,
        &format!("/users?filter=familyName='{first}' AND roles.role='student'"),
    )
    .await;
    assert!(
        h["x-total-count"]
            .to_str()
            .unwrap()
            .parse::<usize>()
            .unwrap()
            >= 1
    );
    let (_, h, _) = get(
        &d,
        "/users?filter=roles.role='student' OR roles.role='teacher'",
    )
    .await;
    assert_eq!(
        h["x-total-count"],
        (students + teachers).to_string().as_str()
    );

    // A class: its students through the enrolments.
    let class = app
        .scalar(&format!("SELECT class_id FROM enrolments WHERE organisation_id = '{org}' AND ended_on IS NULL ORDER BY class_id LIMIT 1"))
        .await;
    let in_class = app
        .count(&format!(
            "SELECT COUNT(*) FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL"
        ))
        .await;
    let (s, _, body) = get(&d, &format!("/classes/{class}/students?limit=1000")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["users"].as_array().unwrap().len() as i64, in_class);
    let student = body["users"][0]["sourcedId"].as_str().unwrap().to_string();
    let (_, _, classes) = get(&d, &format!("/students/{student}/classes")).await;
    assert!(ids(&classes["classes"]).contains(&class));
    for c in classes["classes"].as_array().unwrap() {
        assert_conforms("class", c);
    }
    let (_, _, teachers_of) = get(&d, &format!("/classes/{class}/teachers")).await;
    assert!(
        !teachers_of["users"].as_array().unwrap().is_empty(),
        "the class teacher"
    );

    let (_, _, e) = get(&d, &format!("/schools/{org}/enrollments?filter=class.sourcedId='{class}' AND role='student'&limit=1000")).await;
    assert_eq!(e["enrollments"].as_array().unwrap().len() as i64, in_class);
    for x in e["enrollments"].as_array().unwrap() {
        assert_conforms("enrollment", x);
    }
    for (path, key, kind) in [
        ("/academicSessions", "academicSessions", "academicSession"),
        ("/courses", "courses", "course"),
        ("/demographics", "demographics", "demographics"),
    ] {
        let (s, _, body) = get(&d, path).await;
        assert_eq!(s, 200, "{path}");
        assert!(!body[key].as_array().unwrap().is_empty(), "{path}");
        for o in body[key].as_array().unwrap() {
            assert_conforms(kind, o);
        }
    }
    let (_, _, periods) = get(&d, "/gradingPeriods").await;
    for p in periods["academicSessions"].as_array().unwrap() {
        assert_eq!(p["type"], "gradingPeriod");
        assert!(p["parent"]["sourcedId"].is_string());
    }
    let (s, _, one) = get(&d, &format!("/demographics/{student}")).await;
    assert_eq!(s, 200);
    assert!(one["demographics"]["birthDate"].is_string());

    // Every read of people is on the record.
    assert!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'read' AND object_type = 'roster' AND organisation_id = '{org}'"))
            .await
            >= 5
    );
}

#[tokio::test]
async fn errors_are_the_spec_payload() {
    let app = spawn().await;
    let d = app.login("director").await;
    for (path, status, minor, field) in [
        (
            "/users?filter=password='x'",
            400,
            "invalid_filter_field",
            "filter",
        ),
        (
            "/users?filter=givenName=Анна",
            400,
            "invalid_filter_field",
            "filter",
        ),
        (
            "/users?fields=sourcedId,secret",
            400,
            "invalid_selection_field",
            "fields",
        ),
        ("/users?sort=shoeSize", 400, "invalid_sort_field", "sort"),
        ("/users?limit=5000", 400, "invaliddata", "limit"),
        (
            "/users/no-such-person",
            404,
            "unknownobject",
            "TargetEndSystem",
        ),
        (
            "/classes/no-such-class/students",
            404,
            "unknownobject",
            "TargetEndSystem",
        ),
    ] {
        let res = d.get(&format!("{BASE}{path}")).await;
        assert_eq!(res.status().as_u16(), status, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["imsx_codeMajor"], "failure", "{path}: {body}");
        assert_eq!(body["imsx_severity"], "error");
        let f = &body["imsx_CodeMinor"]["imsx_codeMinorField"][0];
        assert_eq!(f["imsx_codeMinorFieldValue"], minor, "{path}: {body}");
        assert_eq!(f["imsx_codeMinorFieldName"], field, "{path}: {body}");
        assert!(!body["imsx_description"].as_str().unwrap().is_empty());
    }
    // A teacher is not the school's roster keeper.
    let t = app.login("teacher").await;
    let res = t.get(&format!("{BASE}/users")).await;
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        "forbidden"
    );
    let res = app.anonymous().get(&format!("{BASE}/users")).await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        "unauthorisedrequest"
    );
}

/// A territory's operator reads the rosters of its schools (a regional system's token acts
/// in that role), and no other.
#[tokio::test]
async fn an_operator_reads_the_schools_of_its_territory() {
    let app = spawn().await;
    let m = app.login("municipality").await;
    let org = app.director_school().await;
    let (s, _, body) = get(&m, "/schools").await;
    assert_eq!(s, 200);
    let schools = ids(&body["orgs"]);
    assert!(schools.contains(&org));
    let outside = app
        .count(&format!(
            "SELECT COUNT(*) FROM organisations WHERE municipality_id <> (SELECT municipality_id FROM organisations WHERE id = '{org}')"
        ))
        .await;
    let inside = app
        .count(&format!(
            "SELECT COUNT(*) FROM organisations WHERE municipality_id = (SELECT municipality_id FROM organisations WHERE id = '{org}')"
        ))
        .await;
    assert!(outside > 0, "the demo region has another municipality");
    assert_eq!(schools.len() as i64, inside, "{schools:?}");
}

async fn issue(app: &TestApp, scopes: &[&str]) -> (String, String) {
    let admin = app.login("admin").await;
    let role = app
        .scalar(&format!(
            "SELECT id FROM role_assignments WHERE person_id = '{}'",
            app.person_of("director").await
        ))
        .await;
    let res = admin
        .post(
            "/api/v1/tokens",
            &json!({"name": "Региональная система", "role_id": role, "scopes": scopes}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let t: Value = res.json().await.unwrap();
    (
        t["id"].as_str().unwrap().into(),
        t["token"].as_str().unwrap().into(),
    )
}

async fn token_request(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/oauth/token", app.base))
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap())
}

#[tokio::test]
async fn integrations_sign_in_with_oauth_client_credentials() {
    let app = spawn().await;
    let (id, secret) = issue(&app, &["registry:read", "journal:read"]).await;
    const ROSTER: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly";
    const GRADES: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly";
    const WRITE: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.createput";

    let (s, h, grant) = token_request(
        &app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", ROSTER)],
    )
    .await;
    assert_eq!(s, 200, "{grant}");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(
        (grant["token_type"].as_str(), grant["expires_in"].as_i64()),
        (Some("Bearer"), Some(3600))
    );
    assert_eq!(grant["scope"], ROSTER);
    let access = grant["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM oauth_access_tokens WHERE token_hash = '{access}'"
        ))
        .await,
        0,
        "only a hash is stored"
    );
    let http = reqwest::Client::new();
    let call = |path: &str| {
        http.get(format!("{}{path}", app.base))
            .bearer_auth(&access)
            .send()
    };
    assert_eq!(
        call(&format!("{BASE}/users?limit=1"))
            .await
            .unwrap()
            .status(),
        200
    );
    // The access token holds what was asked, not all the client may have.
    let res = call("/ims/oneroster/gradebook/v1p2/categories")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The client's credentials in the form work too; scopes beyond the client's are refused.
    let (s, _, both) = token_request(
        &app,
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", &format!("{ROSTER} {GRADES}")),
        ],
    )
    .await;
    assert_eq!(s, 200, "{both}");
    let (s, _, e) = token_request(
        &app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", WRITE)],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_scope")));
    let (s, h, e) = token_request(
        &app,
        Some((&id, "parta_wrong")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!((s, e["error"].as_str()), (401, Some("invalid_client")));
    assert!(h.contains_key("www-authenticate"));
    let (s, _, e) = token_request(&app, Some((&id, &secret)), &[("grant_type", "password")]).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    // Guessing is slowed down, the owner is not locked out for good.
    let mut slowed = false;
    for _ in 0..12 {
        let (s, h, _) = token_request(
            &app,
            Some((&id, "parta_guess")),
            &[("grant_type", "client_credentials")],
        )
        .await;
        if s == 429 {
            assert!(h.contains_key("retry-after"));
            slowed = true;
            break;
        }
    }
    assert!(slowed, "repeated wrong secrets are throttled");

    // Revoking the client ends its access tokens.
    let admin = app.login("admin").await;
    assert_eq!(
        admin
            .send("DELETE", &format!("/api/v1/tokens/{id}"), None)
            .await
            .status(),
        204
    );
    assert_eq!(
        call(&format!("{BASE}/users?limit=1"))
            .await
            .unwrap()
            .status(),
        401
    );
}

/// An access token expires: the platform's clock decides.
#[tokio::test]
async fn an_access_token_expires() {
    let app = spawn().await;
    let (id, secret) = issue(&app, &["registry:read"]).await;
    let (_, _, grant) = token_request(
        &app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(grant["scope"], "registry:read");
    let access = grant["access_token"].as_str().unwrap().to_string();
    sqlx::query("UPDATE oauth_access_tokens SET expires_at = created_at - 1")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}{BASE}/users", app.base))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

const GB: &str = "/ims/oneroster/gradebook/v1p2";

/// The Gradebook service: every collection answers, and a result written by another
/// system becomes a journal mark with its work type.
#[tokio::test]
async fn the_gradebook_service_reads_and_writes_marks() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    // A mark of the demo teacher's latest given lesson (the period reopened if closed):
    // the tests run on any date.
    let teacher = app.login("teacher").await;
    let s = crate::school_day::spot(&app, &teacher).await;
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5", "work_type": "test"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (lesson, work_type, student, class) = (
        s.lesson.clone(),
        "test".to_string(),
        s.student.clone(),
        s.class.clone(),
    );
    let mark = app
        .scalar(&format!("SELECT id FROM marks WHERE lesson_id = '{lesson}' AND student_id = '{student}' AND work_type = 'test'"))
        .await;
    let line_item = format!("{lesson}.{work_type}");
    let get = |path: String| {
        let d = &d;
        async move {
            let res = d.get(&format!("{GB}{path}")).await;
            let s = res.status().as_u16();
            let h = res.headers().clone();
            (s, h, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let marks_of_school = app
        .count(&format!("SELECT COUNT(*) FROM marks m JOIN lessons l ON l.id = m.lesson_id WHERE l.organisation_id = '{org}'"))
        .await;
    let (s, h, all) = get("/results?limit=10".into()).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(h["x-total-count"], marks_of_school.to_string().as_str());
    assert_eq!(
        all["results"].as_array().unwrap().len() as i64,
        marks_of_school.min(10)
    );
    let (s, h, items) = get("/lineItems?limit=5".into()).await;
    assert_eq!(s, 200);
    let line_items: i64 = h["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(line_items >= 1);
    assert_eq!(
        items["lineItems"].as_array().unwrap().len() as i64,
        line_items.min(5)
    );
    // In a class: filter and sort as the spec defines them.
    let (s, _, mine) = get(format!(
        "/classes/{class}/results?filter=student.sourcedId='{student}'&sort=scoreDate&limit=1000"
    ))
    .await;
    assert_eq!(s, 200, "{mine}");
    let mine = mine["results"].as_array().unwrap();
    assert!(!mine.is_empty());
    assert!(mine
        .iter()
        .all(|r| r["student"]["sourcedId"] == student.as_str()));
    let dates: Vec<&str> = mine
        .iter()
        .map(|r| r["scoreDate"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    let (s, _, by_item) = get(format!("/lineItems/{line_item}/results")).await;
    assert_eq!(s, 200);
    assert!(ids(&by_item["results"]).contains(&mark));
    let (s, _, one) = get(format!("/results/{mark}")).await;
    assert_eq!(
        (s, &one["result"]["lineItem"]["sourcedId"]),
        (200, &json!(line_item))
    );
    let (s, _, item) = get(format!("/lineItems/{line_item}")).await;
    assert_eq!(
        (s, &item["lineItem"]["category"]["sourcedId"]),
        (200, &json!(work_type))
    );
    let (s, _, scales) = get("/scoreScales".into()).await;
    assert_eq!(s, 200);
    assert_eq!(
        scales["scoreScales"][0]["scoreScaleValue"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let (s, _, cat) = get(format!("/categories/{work_type}")).await;
    assert_eq!((s, &cat["category"]["sourcedId"]), (200, &json!(work_type)));
    // School-wide lists are paged, not filtered: the answer says where to filter.
    let (s, _, e) = get("/results?filter=score='5'".into()).await;
    assert_eq!(s, 400);
    assert_eq!(
        e["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        "invalid_filter_field"
    );

    // Another system writes a result: a mark of the lesson with its work type.
    let other = app
        .scalar(&format!(
            "SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL AND person_id <> '{student}' ORDER BY person_id LIMIT 1"
        ))
        .await;
    let new_id = uuid::Uuid::new_v4().to_string();
    let put = |id: String, body: Value| {
        let d = &d;
        async move {
            let res = d
                .send("PUT", &format!("{GB}/results/{id}"), Some(&body))
                .await;
            let s = res.status().as_u16();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let result = |score: Value| json!({"result": {"lineItem": {"sourcedId": line_item}, "student": {"sourcedId": other}, "scoreStatus": "fully graded", "score": score, "comment": "из внешней системы"}});
    let (s, written) = put(new_id.clone(), result(json!(4))).await;
    assert_eq!(s, 200, "{written}");
    assert_eq!(written["result"]["textScore"], "4");
    let stored = app
        .scalar(&format!(
            "SELECT value || '|' || work_type || '|' || lesson_id FROM marks WHERE id = '{new_id}'"
        ))
        .await;
    assert_eq!(stored, format!("4|{work_type}|{lesson}"));
    // PUT again replaces (and the same PUT twice changes nothing).
    for _ in 0..2 {
        let (s, _) = put(new_id.clone(), result(json!(5))).await;
        assert_eq!(s, 200);
    }
    assert_eq!(
        app.scalar(&format!("SELECT value FROM marks WHERE id = '{new_id}'"))
            .await,
        "5"
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM marks WHERE id = '{new_id}'"))
            .await,
        1
    );
    // The journal's rules: the scale, a UUID for a sourcedId, the same student and lesson.
    let (s, e) = put(new_id.clone(), result(json!(7))).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(
        e["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"],
        "invaliddata"
    );
    let (s, _) = put("not-a-uuid".into(), result(json!(5))).await;
    assert_eq!(s, 422);
    let (s, _) = put(mark.clone(), result(json!(5))).await;
    assert_eq!(s, 409, "another student's mark keeps its id");
    // DELETE removes the mark.
    let res = d
        .send("DELETE", &format!("{GB}/results/{new_id}"), None)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM marks WHERE id = '{new_id}'"))
            .await,
        0
    );
    let (s, _, _) = get(format!("/results/{new_id}")).await;
    assert_eq!(s, 404);

    // POST several results of the line item: all or nothing, ids paired.
    let third = app
        .scalar(&format!(
            "SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL AND person_id NOT IN ('{student}', '{other}') ORDER BY person_id LIMIT 1"
        ))
        .await;
    let given = uuid::Uuid::new_v4().to_string();
    let post = |body: Value| {
        let d = &d;
        let line_item = line_item.clone();
        async move {
            let res = d
                .send(
                    "POST",
                    &format!("{GB}/lineItems/{line_item}/results"),
                    Some(&body),
                )
                .await;
            let s = res.status().as_u16();
            (s, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let marks_before = app.count("SELECT COUNT(*) FROM marks").await;
    // One bad score refuses the whole request.
    let (s, e) = post(json!({"results": [
        {"sourcedId": given, "student": {"sourcedId": other}, "scoreStatus": "fully graded", "score": 4},
        {"student": {"sourcedId": third}, "scoreStatus": "fully graded", "score": 9}
    ]}))
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM marks").await, marks_before);
    let (s, pairs) = post(json!({"results": [
        {"sourcedId": given, "student": {"sourcedId": other}, "scoreStatus": "fully graded", "score": 4},
        {"student": {"sourcedId": third}, "scoreStatus": "fully graded", "score": 3}
    ]}))
    .await;
    assert_eq!(s, 201, "{pairs}");
    let pairs = pairs["sourcedIdPairs"].as_array().unwrap();
    assert_eq!(pairs[0]["allocatedSourcedId"], json!(given));
    let allocated = pairs[1]["allocatedSourcedId"].as_str().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT value || '|' || work_type FROM marks WHERE id = '{allocated}'"
        ))
        .await,
        format!("3|{work_type}")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM marks").await,
        marks_before + 2
    );

    // A token that reads the gradebook does not write it.
    let (id, secret) = issue(&app, &["journal:read"]).await;
    let (_, _, grant) = token_request(
        &app,
        Some((&id, &secret)),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let res = reqwest::Client::new()
        .put(format!("{}{GB}/results/{}", app.base, uuid::Uuid::new_v4()))
        .bearer_auth(grant["access_token"].as_str().unwrap())
        .json(&result(json!(5)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
