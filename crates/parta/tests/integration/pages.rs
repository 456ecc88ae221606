//! Pages: server-rendered, Russian first, light, usable without JavaScript.

use crate::harness::{spawn, PASSWORD};

#[tokio::test]
async fn sign_in_form_and_role_home_pages() {
    let app = spawn().await;
    let c = app.anonymous();
    let login = c.get("/login").await.text().await.unwrap();
    assert!(login.contains("<html lang=\"ru\">") && login.contains("Войти"));
    let res = c
        .form(
            "/login",
            &[
                ("login", "parent"),
                ("password", "wrong-password-1"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Неверный логин или пароль"));
    let res = c
        .form(
            "/login",
            &[
                ("login", "parent"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/",
        "no open redirect after sign-in"
    );
    let home = c.get("/").await.text().await.unwrap();
    assert!(home.contains("Мои дети"), "{home}");
    for who in [
        "student",
        "teacher",
        "director",
        "municipality",
        "region",
        "admin",
    ] {
        let c = app.anonymous();
        assert_eq!(
            c.form("/login", &[("login", who), ("password", PASSWORD)])
                .await
                .status(),
            303
        );
        let res = c.get("/").await;
        assert_eq!(res.status(), 200, "{who}");
        let html = res.text().await.unwrap();
        assert!(html.contains("Выйти"), "{who}");
    }
}

#[tokio::test]
async fn forms_work_without_javascript() {
    let app = spawn().await;
    let mut c = app.anonymous();
    c.form("/login", &[("login", "parent"), ("password", PASSWORD)])
        .await;
    let page = c.get("/my-data").await.text().await.unwrap();
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    c.csrf = Some(token);
    let res = c
        .form("/my-data/contacts", &[("email", "bad"), ("phone", "")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Адрес электронной почты указан неверно"));
    let res = c
        .form(
            "/my-data/contacts",
            &[("email", "mama@school.ru"), ("phone", "+7 912 345 67 89")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = c.get("/my-data?n=saved").await.text().await.unwrap();
    assert!(page.contains("Сохранено") && page.contains("mama@school.ru"));
    let res = c
        .form(
            "/my-data/change-request",
            &[
                ("field", "first_name"),
                ("new_value", "Диана"),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = c.form("/logout", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(c.get("/my-data").await.status(), 303);
}

#[tokio::test]
async fn pages_for_the_visually_impaired_and_in_english() {
    let app = spawn().await;
    let c = app.anonymous();
    c.form("/login", &[("login", "teacher"), ("password", PASSWORD)])
        .await;
    let res = c.get("/prefs?a11y=1&back=/schools").await;
    assert_eq!(res.headers()["location"], "/schools");
    let html = c.get("/schools").await.text().await.unwrap();
    assert!(html.contains("<body class=\"a11y scheme-bw\">") && html.contains("Обычная версия"));
    // ГОСТ Р 52872: the size steps, the five colour schemes, spacing, images — each a link.
    assert!(html.contains("class=\"a11y-panel\""));
    for scheme in ["bw", "wb", "blue", "brown", "green"] {
        assert!(
            html.contains(&format!("/prefs?a11y_scheme={scheme}&amp;")),
            "{scheme}"
        );
    }
    for q in [
        "a11y_size=3",
        "a11y_scheme=blue",
        "a11y_space=1",
        "a11y_img=0",
        "a11y_scheme=nonsense",
    ] {
        let res = c.get(&format!("/prefs?{q}&back=/schools")).await;
        assert_eq!(res.status(), 303);
    }
    let html = c.get("/schools").await.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"ru\" class=\"a11y-size-3\">"),
        "every rem scales"
    );
    assert!(html.contains("<body class=\"a11y scheme-blue wide noimg\">"));
    c.get("/prefs?a11y=0&back=/").await;
    c.get("/prefs?lang=en&back=/").await;
    let html = c.get("/").await.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Sign out"));
}

#[tokio::test]
async fn class_and_person_pages_show_the_registry() {
    let app = spawn().await;
    let c = app.anonymous();
    c.form("/login", &[("login", "teacher"), ("password", PASSWORD)])
        .await;
    let class = app.scalar("SELECT class_id FROM enrolments e JOIN accounts a ON a.person_id = e.person_id WHERE a.login = 'student'").await;
    let html = c
        .get(&format!("/classes/{class}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("5А") && html.contains("Обучающиеся"));
    let student = app.person_of("student").await;
    let html = c
        .get(&format!("/persons/{student}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("История обучения") && html.contains("зачислен"));
    assert!(html.contains("Родители"));
}

/// Budget: a page view with its CSS ≤ 50 KB compressed; nothing from other hosts.
#[tokio::test]
async fn pages_are_light_and_self_contained() {
    let app = spawn().await;
    let c = app.anonymous();
    c.form("/login", &[("login", "director"), ("password", PASSWORD)])
        .await;
    let org = app.director_school().await;
    let class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{org}' AND name = '5А'"
        ))
        .await;
    let css = c
        .http
        .get(format!("{}/static/parta.css", c.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-encoding"], "gzip");
    let css_len = css.bytes().await.unwrap().len();
    for path in [
        "/",
        "/schools",
        &format!("/schools/{org}"),
        &format!("/classes/{class}"),
        "/my-data",
        &format!("/schools/{org}/audit"),
    ] {
        let res = c
            .http
            .get(format!("{}{path}", c.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let gz = res.bytes().await.unwrap().len();
        assert!(
            gz + css_len <= 50 * 1024,
            "{path}: {gz} + {css_len} bytes compressed"
        );
        let html = c.get(path).await.text().await.unwrap();
        for attr in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(!html.contains(attr), "{path} refers to another host");
        }
    }
}

#[tokio::test]
async fn a_director_approves_a_correction_on_the_page() {
    let app = spawn().await;
    let parent = app.login("parent").await;
    let child = app.person_of("student").await;
    parent
        .post(
            &format!("/api/v1/persons/{child}/change-requests"),
            &serde_json::json!({"field": "first_name", "new_value": "Алексей"}),
        )
        .await;
    let mut c = app.anonymous();
    c.form("/login", &[("login", "director"), ("password", PASSWORD)])
        .await;
    let org = app.director_school().await;
    let page = c
        .get(&format!("/schools/{org}/change-requests"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Алексей") && page.contains("Исправить"));
    c.csrf = Some(
        page.split("name=\"_csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string(),
    );
    let action = page
        .split("action=\"/change-requests/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let res = c
        .form(
            &format!("/change-requests/{action}"),
            &[("approve", "1"), ("org", &org)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.scalar(&format!(
            "SELECT first_name FROM persons WHERE id = '{child}'"
        ))
        .await,
        "Алексей"
    );
    assert!(!c
        .get(&format!("/schools/{org}/change-requests"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Исправить"));
}

fn client_from(app: &crate::harness::TestApp, ip: [u8; 4]) -> reqwest::Client {
    let _ = app;
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// Found by the security test: personal pages and API answers could be stored by a
/// browser or a proxy (Back after sign-out showed them), no HSTS on https, and /metrics
/// open to anyone.
#[tokio::test]
async fn personal_answers_are_not_stored_and_metrics_are_not_public() {
    let app = spawn().await;
    let parent = app.login("parent").await;
    let child = app.person_of("student").await;
    for path in [
        "/".to_string(),
        format!("/persons/{child}"),
        format!("/api/v1/persons/{child}"),
        format!("/api/v1/students/{child}/diary"),
        "/api/v1/notifications".to_string(),
    ] {
        let res = parent.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path}"
        );
        assert!(res.headers().get("strict-transport-security").is_none());
    }
    // Static files are cached (they are versioned and hold nothing personal).
    let css = parent.get("/static/parta.css").await;
    assert!(css.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));

    // /metrics: this machine yes, another address no, unless with the token.
    assert_eq!(app.anonymous().get("/metrics").await.status(), 200);
    let outside = client_from(&app, [127, 0, 0, 9]);
    let res = outside
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let mut config = parta_core::config::Config::default();
    config.metrics.token = Some(parta_core::config::Secret::new("scrape-me-42"));
    config.public_url = Some("https://school.example".into());
    let app2 = crate::harness::spawn_with(config).await;
    let outside = client_from(&app2, [127, 0, 0, 9]);
    let res = outside
        .get(format!("{}/metrics", app2.base))
        .bearer_auth("scrape-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = outside
        .get(format!("{}/metrics", app2.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Served over https: browsers are told to keep to it.
    let res = outside
        .get(format!("{}/login", app2.base))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

/// A failure behind a page is an error page with the problem's message — never an empty
/// page that looks as if there were nothing to show (issue 9).
#[tokio::test]
async fn a_failure_behind_a_page_is_shown_not_hidden() {
    let app = spawn().await;
    let director = app.login("director").await;
    assert_eq!(director.get("/timetable").await.status(), 200);
    // The rooms of the school cannot be read any more.
    sqlx::query("ALTER TABLE timetable_slots RENAME TO timetable_slots_gone")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = director.get("/timetable").await;
    assert_eq!(res.status(), 500);
    let page = res.text().await.unwrap();
    assert!(page.contains("Что-то пошло не так"), "{page}");
}

/// The demo says its passwords are public; pages follow their own security policy (no
/// inline styles, which the CSP blocks) and have an icon.
#[tokio::test]
async fn the_demo_says_so_and_pages_keep_their_own_policy() {
    let app = spawn().await;
    let c = app.anonymous();
    let login = c.get("/login").await.text().await.unwrap();
    assert!(login.contains("Демонстрационная версия"), "{login}");
    assert!(login.contains("rel=\"icon\""));
    let icon = c.get("/static/favicon.svg").await;
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    let classic = c.get("/favicon.ico").await;
    assert!(
        classic.status() == 200 || classic.status() == 308,
        "{}",
        classic.status()
    );
    let director = app.login("director").await;
    let school = app.director_school().await;
    let teacher = app.login("teacher").await;
    let student = app.login("student").await;
    for (who, path) in [
        (&director, "/".to_string()),
        (&director, format!("/schools/{school}")),
        (&director, format!("/schools/{school}/import")),
        (&teacher, "/journal".to_string()),
        (&student, "/diary".to_string()),
    ] {
        let html = who.get(&path).await.text().await.unwrap();
        assert!(!html.contains(" style=\""), "inline style on {path}");
    }
    let html = c.get("/login").await.text().await.unwrap();
    assert!(!html.contains(" style=\""), "inline style on /login");
    // Dates are written as people write them (01.09.2026), not as ISO.
    let calendar = director
        .get(&format!("/schools/{school}/calendar"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !calendar.contains("<td>20"),
        "an ISO date on the calendar page"
    );
    assert!(
        calendar.contains(".09.20"),
        "the school year's first day, Russian style"
    );
}

/// Timetable entries lead to the lesson page for those who may open it (the teacher of
/// the lesson, the administration), and are plain text for families.
#[tokio::test]
async fn timetable_entries_lead_to_their_lessons() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    // A week the teacher has lessons in, whatever the date the suite runs on.
    let me = app.person_of("teacher").await;
    let day = app
        .scalar(&format!(
            "SELECT MIN(day) FROM lessons WHERE teacher_id = '{me}' AND status = 'planned'"
        ))
        .await;
    let html = teacher
        .get(&format!("/timetable?week={day}"))
        .await
        .text()
        .await
        .unwrap();
    let link = html
        .split("href=\"/lessons/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a lesson link on the teacher's timetable")
        .to_string();
    assert_eq!(teacher.get(&format!("/lessons/{link}")).await.status(), 200);
    let student = app.login("student").await;
    let html = student
        .get(&format!("/timetable?week={day}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<ol class=\"plain\"><li"),
        "the student's week has lessons"
    );
    assert!(!html.contains("href=\"/lessons/"));
}
