//! The school's administration in the browser: a newcomer and their parent, sign-in
//! letters and the forced password change, forms that keep what was typed, the end of
//! the year, a member of staff leaving, and the accounts a school may not touch.

use crate::fixtures;
use crate::harness::{problem, spawn};
use serde_json::{json, Value};

/// The CSRF token of a page's forms.
fn csrf_in(html: &str) -> String {
    html.split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form with a CSRF token")
        .to_string()
}

/// (login, password) of each letter on a letters page, in order.
fn letters_in(html: &str) -> Vec<(String, String)> {
    let secrets: Vec<String> = html
        .split("<dd class=\"secret\">")
        .skip(1)
        .map(|s| s.split('<').next().unwrap_or_default().to_string())
        .collect();
    secrets
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_director_adds_a_pupil_and_a_parent_prints_their_letters_and_they_sign_in() {
    let app = spawn().await;
    let d = app.login("director").await;
    let school = app.director_school().await;
    let class = fixtures::class_named(&app, &school, "5А").await;
    // The pupil, with their class.
    let res = d
        .form(
            &format!("/schools/{school}/people/new"),
            &[
                ("role", "student"),
                ("last_name", "Щербакова"),
                ("first_name", "Алиса"),
                ("middle_name", "Игоревна"),
                ("birth_date", "12.03.2015"),
                ("sex", "female"),
                ("class_id", &class),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let to = location(&res);
    assert!(to.ends_with("/manage?n=created"), "{to}");
    let pupil = to.split('/').nth(2).unwrap().to_string();
    assert_eq!(
        app.scalar(&format!(
            "SELECT birth_date FROM persons WHERE id = '{pupil}'"
        ))
        .await,
        "2015-03-12"
    );
    // Her mother, from the pupil's record.
    let page = d
        .get(&format!(
            "/schools/{school}/people/new?role=parent&child={pupil}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Щербакова Алиса"), "the child is named");
    let res = d
        .form(
            &format!("/schools/{school}/people/new"),
            &[
                ("role", "parent"),
                ("last_name", "Щербакова"),
                ("first_name", "Марина"),
                ("child_id", &pupil),
                ("guardian_kind", "mother"),
                ("phone", "8 912 345-67-89"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let mother = location(&res).split('/').nth(2).unwrap().to_string();
    assert_eq!(
        app.scalar(&format!(
            "SELECT kind FROM guardianships WHERE parent_id = '{mother}' AND child_id = '{pupil}'"
        ))
        .await,
        "mother"
    );
    // The class's accounts page lists both, ticked (no account yet).
    let accounts = d
        .get(&format!("/classes/{class}/accounts"))
        .await
        .text()
        .await
        .unwrap();
    assert!(accounts.contains(&format!("value=\"{pupil}\" id=\"p-{pupil}\" checked")));
    assert!(accounts.contains(&format!("value=\"{mother}\" id=\"p-{mother}\" checked")));
    // Letters for the two: printed once, never cached.
    let res = d
        .http
        .post(format!("{}/classes/{class}/letters", d.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "_csrf={}&person_id={pupil}&person_id={mother}",
            d.csrf.clone().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let letters = letters_in(&html);
    assert_eq!(letters.len(), 2, "{html}");
    assert_eq!(letters[0].0, "shcherbakova.a");
    assert_eq!(letters[1].0, "shcherbakova.m");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'reset_password' AND subject_person_id IN ('{pupil}', '{mother}')"
        ))
        .await,
        2,
        "each letter is in the access log"
    );
    // The mother signs in with the letter's password: nothing but a new password opens.
    let (login, one_time) = letters[1].clone();
    let m = app.anonymous();
    let res = m
        .form("/login", &[("login", &login), ("password", &one_time)])
        .await;
    assert_eq!(res.status(), 303);
    let res = m.get("/diary").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/password?first=1");
    let p = problem(m.get("/api/v1/notifications").await, 403).await;
    assert_eq!(p["code"], "password_change_required");
    let page = m.get("/password?first=1").await.text().await.unwrap();
    assert!(page.contains("Пароль из письма"), "the page says why");
    let csrf = csrf_in(&page);
    let res = m
        .form(
            "/password",
            &[
                ("_csrf", &csrf),
                ("old_password", &one_time),
                ("new_password", "весна берёза 2027 скворец"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?n=password");
    let home = m.get("/").await;
    assert_eq!(home.status(), 200);
    // The letter's password no longer works; the new one does.
    let again = app.anonymous();
    let res = again
        .form("/login", &[("login", &login), ("password", &one_time)])
        .await;
    assert_eq!(res.status(), 401);
    let res = again
        .post(
            "/api/v1/session",
            &json!({"login": login, "password": "весна берёза 2027 скворец"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A second letter for the pupil replaces her password and ends her sessions.
    let first_pupil = app.anonymous();
    first_pupil
        .form(
            "/login",
            &[("login", &letters[0].0), ("password", &letters[0].1)],
        )
        .await;
    let res = d.form(&format!("/persons/{pupil}/letter"), &[]).await;
    assert_eq!(res.status(), 200);
    let second = letters_in(&res.text().await.unwrap());
    assert_eq!(second[0].0, "shcherbakova.a", "the login is kept");
    assert_ne!(second[0].1, letters[0].1);
    assert_eq!(
        first_pupil.get("/password").await.status(),
        303,
        "signed out"
    );
}

#[tokio::test]
async fn a_form_with_mistakes_comes_back_with_what_was_typed_and_each_error_at_its_field() {
    let app = spawn().await;
    let d = app.login("director").await;
    let school = app.director_school().await;
    let before = app.count("SELECT COUNT(*) FROM persons").await;
    let res = d
        .form(
            &format!("/schools/{school}/people/new"),
            &[
                ("role", "student"),
                ("last_name", ""),
                ("first_name", "Всеволод"),
                ("birth_date", "31.02.2015"),
                ("snils", "112-233-445 00"),
                ("email", "не почта"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"Всеволод\""), "the input is kept");
    assert!(html.contains("value=\"31.02.2015\""));
    for field in ["last_name", "birth_date", "snils", "email"] {
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "an error next to {field}"
        );
        assert!(html.contains(&format!("aria-describedby=\"{field}-error\"")));
    }
    assert!(!html.contains("slots["), "no technical paths");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM persons").await,
        before,
        "nothing written"
    );
    // Leaving the school is not done without the confirmation box.
    let class = fixtures::class_named(&app, &school, "5А").await;
    let pupil = fixtures::student_of(&app, &class).await;
    let res = d
        .form(
            &format!("/persons/{pupil}/leave"),
            &[("reason", "expelled"), ("date", "01.12.2026")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("id=\"confirm-error\""));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM enrolments WHERE person_id = '{pupil}' AND ended_on IS NULL"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_school_never_manages_someone_whose_authority_reaches_beyond_it() {
    let app = spawn().await;
    let d = app.login("director").await;
    let school = app.director_school().await;
    let class = fixtures::class_named(&app, &school, "5А").await;
    let pupil = fixtures::student_of(&app, &class).await;
    // The regional operator is a parent at the director's school.
    let operator = app.person_of("region").await;
    sqlx::query("INSERT INTO guardianships (parent_id, child_id, kind) VALUES ($1, $2, 'father')")
        .bind(&operator)
        .bind(&pupil)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let p = problem(
        d.post("/api/v1/letters", &json!({"person_ids": [operator]}))
            .await,
        403,
    )
    .await;
    assert_eq!(p["code"], "forbidden");
    problem(
        d.send(
            "PUT",
            &format!("/api/v1/persons/{operator}"),
            Some(&json!({"last_name": "Захватов", "first_name": "Олег"})),
        )
        .await,
        403,
    )
    .await;
    // One refused person refuses the whole batch: nobody's password changed.
    let before = app
        .scalar(&format!(
            "SELECT password_hash FROM accounts WHERE person_id = '{pupil}'"
        ))
        .await;
    problem(
        d.post("/api/v1/letters", &json!({"person_ids": [pupil, operator]}))
            .await,
        403,
    )
    .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT password_hash FROM accounts WHERE person_id = '{pupil}'"
        ))
        .await,
        before
    );
    // The platform's administrator may.
    let admin = app.login("admin").await;
    let res = admin
        .post("/api/v1/letters", &json!({"person_ids": [operator]}))
        .await;
    assert_eq!(res.status(), 200);
    let letters: Value = res.json().await.unwrap();
    assert_eq!(letters[0]["login"], "region");
}

#[tokio::test]
async fn the_end_of_the_year_promotes_every_class_and_graduates_the_eleventh() {
    let app = spawn().await;
    let region = app.login("region").await;
    let mun = app
        .scalar(&format!(
            "SELECT municipality_id FROM organisations WHERE id = '{}'",
            app.director_school().await
        ))
        .await;
    let res = region
        .post(
            "/api/v1/organisations",
            &json!({"municipality_id": mun, "kind": "school", "full_name": "Средняя школа посёлка Заречный",
                    "short_name": "СОШ п. Заречный", "inn": "7707083893", "ogrn": "1027700132195", "address": "п. Заречный, ул. Школьная, 3"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let org = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The school's own administrator, made by the platform's.
    let admin = app.login("admin").await;
    let res = admin
        .post(
            &format!("/api/v1/organisations/{org}/persons"),
            &json!({"last_name": "Петрова", "first_name": "Анна", "role": "teacher", "position": "head"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let head = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = admin
        .post("/api/v1/letters", &json!({"person_ids": [head]}))
        .await;
    let letter: Value = res.json().await.unwrap();
    let (login, one_time) = (
        letter[0]["login"].as_str().unwrap().to_string(),
        letter[0]["password"].as_str().unwrap().to_string(),
    );
    let mut h = app.anonymous();
    let res = h
        .post(
            "/api/v1/session",
            &json!({"login": login, "password": one_time}),
        )
        .await;
    let me: Value = res.json().await.unwrap();
    h.csrf = me["csrf_token"].as_str().map(str::to_string);
    let res = h
        .post(
            "/api/v1/me/password",
            &json!({"old_password": one_time, "new_password": "заречный рассвет 2027"}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    let me: Value = h.get("/api/v1/me").await.json().await.unwrap();
    h.csrf = me["csrf_token"].as_str().map(str::to_string);
    // The year that ends in a few days, and the next one.
    let clock = parta_core::time::today();
    let d = |days: i64| (clock + chrono::Duration::days(days)).to_string();
    for (name, from, to) in [("2026/2027", d(-270), d(5)), ("2027/2028", d(90), d(360))] {
        let res = h
            .post(
                &format!("/api/v1/organisations/{org}/academic-years"),
                &json!({"name": name, "starts_on": from, "ends_on": to}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let year = app
        .scalar(&format!(
            "SELECT id FROM academic_years WHERE organisation_id = '{org}' AND name = '2026/2027'"
        ))
        .await;
    let mut pupils = Vec::new();
    for (grade, names) in [
        ("10", ["Лебедев", "Орлова"]),
        ("11", ["Соколов", "Зайцева"]),
    ] {
        let res = h
            .post(
                &format!("/api/v1/organisations/{org}/classes"),
                &json!({"academic_year_id": year, "grade_level": grade, "letter": "а", "class_teacher_id": head}),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let class = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        for last in names {
            let res = h
                .post(
                    &format!("/api/v1/organisations/{org}/persons"),
                    &json!({"last_name": last, "first_name": "Ученик", "role": "student", "class_id": class}),
                )
                .await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
            pupils.push(
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    let plan: Value = h
        .get(&format!("/api/v1/organisations/{org}/year-end"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["ready"], false, "the year is not over");
    assert_eq!(plan["classes"][0]["becomes"], "11А");
    assert_eq!(plan["classes"][1]["becomes"], Value::Null);
    let p = problem(
        h.post(&format!("/api/v1/organisations/{org}/year-end"), &json!({}))
            .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("после окончания"));
    // The year's last day passes.
    sqlx::query("UPDATE academic_years SET ends_on = $1 WHERE id = $2")
        .bind(d(-1))
        .bind(&year)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = h
        .post(&format!("/api/v1/organisations/{org}/year-end"), &json!({}))
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        report,
        json!({"promoted": 2, "graduated": 2, "classes_created": 1})
    );
    // The tenth-graders study in the new 11А, the history kept; the eleventh graduated.
    for p in &pupils[..2] {
        assert_eq!(
            app.scalar(&format!(
                "SELECT c.name FROM enrolments e JOIN classes c ON c.id = e.class_id WHERE e.person_id = '{p}' AND e.ended_on IS NULL"
            ))
            .await,
            "11А"
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT end_reason FROM enrolments WHERE person_id = '{p}' AND ended_on IS NOT NULL"
            ))
            .await,
            "promoted"
        );
    }
    for p in &pupils[2..] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM enrolments WHERE person_id = '{p}' AND ended_on IS NULL"
            ))
            .await,
            0
        );
        assert_eq!(
            app.scalar(&format!(
                "SELECT end_reason FROM enrolments WHERE person_id = '{p}'"
            ))
            .await,
            "graduated"
        );
    }
    // Done once: the plan says so and a second step is refused.
    let plan: Value = h
        .get(&format!("/api/v1/organisations/{org}/year-end"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["done"], true);
    problem(
        h.post(&format!("/api/v1/organisations/{org}/year-end"), &json!({}))
            .await,
        422,
    )
    .await;
    // The page shows it too.
    let mut page = app.anonymous();
    page.form(
        "/login",
        &[("login", &login), ("password", "заречный рассвет 2027")],
    )
    .await;
    page.csrf = None;
    let html = page
        .get(&format!("/schools/{org}/year-end"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("уже выполнен"), "{html}");
}

#[tokio::test]
async fn a_teacher_who_leaves_keeps_their_record_but_loses_the_school() {
    let app = spawn().await;
    let d = app.login("director").await;
    let school = app.director_school().await;
    let res = d
        .post(
            &format!("/api/v1/organisations/{school}/persons"),
            &json!({"last_name": "Уходящий", "first_name": "Павел", "role": "teacher"}),
        )
        .await;
    let teacher = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = d
        .post(
            &format!("/api/v1/organisations/{school}/staff/{teacher}/positions"),
            &json!({"position": "tutor"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let card: Value = res.json().await.unwrap();
    assert_eq!(card["positions"].as_array().unwrap().len(), 2);
    let letters: Value = d
        .post("/api/v1/letters", &json!({"person_ids": [teacher]}))
        .await
        .json()
        .await
        .unwrap();
    let t = app.anonymous();
    let res = t
        .post(
            "/api/v1/session",
            &json!({"login": letters[0]["login"], "password": letters[0]["password"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The director gives them mathematics in 5А: their journal appears.
    let class = fixtures::class_named(&app, &school, "5А").await;
    let res = d
        .post(
            &format!("/api/v1/persons/{teacher}/assignments"),
            &json!({"class_id": class, "subject_code": "math"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let list: Value = res.json().await.unwrap();
    assert_eq!(list[0]["class_name"], "5А");
    let p = problem(
        d.post(
            &format!("/api/v1/persons/{teacher}/assignments"),
            &json!({"class_id": class, "subject_code": "math"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "subject_code", "no second time");
    let mut tc = app.anonymous();
    let me: Value = tc
        .post(
            "/api/v1/session",
            &json!({"login": letters[0]["login"], "password": letters[0]["password"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    tc.csrf = me["csrf_token"].as_str().map(str::to_string);
    tc.post(
        "/api/v1/me/password",
        &json!({"old_password": letters[0]["password"], "new_password": "таблица умножения на 7"}),
    )
    .await;
    let journals: Value = tc.get("/api/v1/journals").await.json().await.unwrap();
    assert!(
        journals
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["class_id"] == class.as_str() && j["subject_code"] == "math"),
        "{journals}"
    );
    let id = list[0]["id"].as_str().unwrap();
    let res = d
        .send(
            "DELETE",
            &format!("/api/v1/persons/{teacher}/assignments/{id}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!([]));
    let res = d
        .post(
            &format!("/api/v1/organisations/{school}/staff/{teacher}/leave"),
            &json!({"date": "2026-12-01"}),
        )
        .await;
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM staff_positions WHERE person_id = '{teacher}' AND ended_on IS NULL"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM persons WHERE id = '{teacher}'"
        ))
        .await,
        1,
        "the record stays"
    );
    // No role is left to sign in with.
    let res = app
        .anonymous()
        .post(
            "/api/v1/session",
            &json!({"login": letters[0]["login"], "password": "таблица умножения на 7"}),
        )
        .await;
    assert_eq!(res.status(), 403);
    // The director cannot make themselves leave.
    let me = app.person_of("director").await;
    let p = problem(
        d.post(
            &format!("/api/v1/organisations/{school}/staff/{me}/leave"),
            &json!({"date": "2026-12-01"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "date");
}

#[tokio::test]
async fn the_platform_admin_opens_a_school_appoints_an_operator_and_adds_a_subject_in_pages() {
    let app = spawn().await;
    let admin = app.login("admin").await;
    let page = admin.get("/admin").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let mun = html
        .split("name=\"municipality_id\"><option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // A mistake in the ИНН: the form again, with the input and the error at the field.
    let fields = |inn: &'static str| {
        vec![
            ("municipality_id", mun.clone()),
            ("kind", "school".to_string()),
            ("full_name", "Основная школа деревни Ключи".to_string()),
            ("short_name", "ООШ д. Ключи".to_string()),
            ("inn", inn.to_string()),
            ("ogrn", "1027700132195".to_string()),
            ("address", "д. Ключи, ул. Центральная, 1".to_string()),
        ]
    };
    let bad = fields("7707083890");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = admin.form("/admin/organisations", &bad).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"inn-error\""));
    assert!(html.contains("value=\"ООШ д. Ключи\""));
    let good = fields("7707083893");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = admin.form("/admin/organisations", &good).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let school = location(&res)
        .split('/')
        .nth(2)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // A municipal operator of that municipality, and their letter.
    let res = admin
        .form(
            "/admin/operators",
            &[
                ("role", "municipal_operator"),
                ("last_name", "Ключевская"),
                ("first_name", "Нина"),
                ("municipality_id", &mun),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let operator = app
        .scalar("SELECT id FROM persons WHERE last_name = 'Ключевская'")
        .await;
    let res = admin
        .form(&format!("/persons/{operator}/letter"), &[])
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let letters = letters_in(&html);
    assert_eq!(letters[0].0, "kliuchevskaia.n");
    assert!(html.contains("href=\"/admin#operators\""));
    // A local subject.
    let res = admin
        .form(
            "/admin/reference",
            &[
                ("book", "subjects"),
                ("code", "chess"),
                ("name", "Шахматы"),
                ("grade_from", "1"),
                ("grade_to", "4"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(
        app.scalar("SELECT name FROM ref_subjects WHERE code = 'chess'")
            .await,
        "Шахматы"
    );
    // The operator signs in, sets a password and finds the new school on the start page.
    let mut op = app.anonymous();
    let res = op
        .post(
            "/api/v1/session",
            &json!({"login": letters[0].0, "password": letters[0].1}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    op.csrf = me["csrf_token"].as_str().map(str::to_string);
    let res = op
        .post(
            "/api/v1/me/password",
            &json!({"old_password": letters[0].1, "new_password": "ключи от всех школ 2027"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let home = op.get("/").await.text().await.unwrap();
    assert!(
        home.contains(&format!("href=\"/schools/{school}\"")),
        "the new school is listed"
    );
}

#[tokio::test]
async fn a_director_makes_a_group_of_a_class_and_changes_its_students() {
    let app = spawn().await;
    let d = app.login("director").await;
    let school = app.director_school().await;
    let class = fixtures::class_named(&app, &school, "5А").await;
    let students: Vec<(String,)> = sqlx::query_as(
        "SELECT person_id FROM enrolments WHERE class_id = $1 AND ended_on IS NULL ORDER BY person_id LIMIT 2",
    )
    .bind(&class)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let body = format!(
        "_csrf={}&name=%D0%90%D0%BD%D0%B3%D0%BB%D0%B8%D0%B9%D1%81%D0%BA%D0%B8%D0%B9&subject_code=foreign_en&member={}&member={}",
        d.csrf.clone().unwrap(),
        students[0].0,
        students[1].0
    );
    let res = d
        .http
        .post(format!("{}/classes/{class}/groups", d.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let groups: Value = d
        .get(&format!("/api/v1/classes/{class}/groups"))
        .await
        .json()
        .await
        .unwrap();
    let g = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Английский")
        .unwrap()
        .clone();
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    // A student of another class cannot be put in; nothing changes.
    let other = fixtures::student_of(&app, &fixtures::class_named(&app, &school, "6А").await).await;
    let res = d
        .send(
            "PUT",
            &format!("/api/v1/groups/{}/members", g["id"].as_str().unwrap()),
            Some(&json!([students[0].0, other])),
        )
        .await;
    let p = problem(res, 422).await;
    assert_eq!(p["field"], "members");
    let res = d
        .send(
            "PUT",
            &format!("/api/v1/groups/{}/members", g["id"].as_str().unwrap()),
            Some(&json!([students[0].0])),
        )
        .await;
    assert_eq!(res.status(), 200);
    let after: Value = res.json().await.unwrap();
    let g = after
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "Английский")
        .unwrap();
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    // The page lists it with its students ticked.
    let page = d
        .get(&format!("/classes/{class}/groups"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Английский"));
    // A teacher of the school is given the group (not the whole class) on their record.
    let teacher: String = app
        .scalar(&format!(
            "SELECT DISTINCT a.teacher_id FROM teaching_assignments a JOIN classes c ON c.id = a.class_id \
             WHERE c.organisation_id = '{school}' ORDER BY a.teacher_id LIMIT 1"
        ))
        .await;
    let record = d
        .get(&format!("/persons/{teacher}/manage"))
        .await
        .text()
        .await
        .unwrap();
    let gid = g["id"].as_str().unwrap();
    assert!(
        record.contains(&format!("value=\"g:{gid}\"")),
        "the group is offered"
    );
    // Another subject than the group's is refused at the subject, in the page's language.
    d.get("/prefs?lang=en&back=/").await;
    let res = d
        .form(
            &format!("/persons/{teacher}/assignments"),
            &[("class_id", &format!("g:{gid}")), ("subject_code", "math")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("This group studies another subject"),
        "the error in English next to the field"
    );
    d.get("/prefs?lang=ru&back=/").await;
    let res = d
        .form(
            &format!("/persons/{teacher}/assignments"),
            &[
                ("class_id", &format!("g:{gid}")),
                ("subject_code", "foreign_en"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM teaching_assignments WHERE teacher_id = '{teacher}' AND group_id = '{gid}' AND class_id IS NULL AND subject_code = 'foreign_en'"
        ))
        .await,
        1
    );
    let list: Value = d
        .get(&format!("/api/v1/persons/{teacher}/assignments"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|a| a["group_name"] == "Английский" && a["class_name"] == "5А"),
        "{list}"
    );
}
