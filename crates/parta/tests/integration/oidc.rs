//! Sign-in through a real OpenID Connect provider (node oidc-provider) run locally.

use crate::harness::{spawn_with_oidc, Client, TestApp};
use serde_json::Value;

/// Drives the browser side: our start URL, the provider's login and consent forms,
/// back to our callback. Returns our callback's response.
async fn sign_in_via_provider(app: &TestApp, c: &Client, login: &str) -> reqwest::Response {
    finish_in(app, c, c, login).await
}

/// The same, with the callback delivered by `back` (another browser when it differs).
async fn finish_in(app: &TestApp, c: &Client, back: &Client, login: &str) -> reqwest::Response {
    let mut res = c.get("/auth/oidc/start?next=/my-data").await;
    for _ in 0..20 {
        let status = res.status().as_u16();
        if (300..400).contains(&status) {
            let loc = res.headers()["location"].to_str().unwrap().to_string();
            let url = if loc.starts_with("http") {
                loc
            } else {
                format!("{}{loc}", origin_of(res.url()))
            };
            if url.starts_with(&format!("{}/auth/oidc/callback", app.base)) {
                return back.http.get(url).send().await.unwrap();
            }
            res = c.http.get(url).send().await.unwrap();
            continue;
        }
        let url = res.url().clone();
        let html = res.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no form: {html}"))
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let action = if action.starts_with("http") {
            action
        } else {
            format!("{}{action}", origin_of(&url))
        };
        let fields: Vec<(&str, &str)> = if html.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else {
            vec![("prompt", "consent")]
        };
        res = c.http.post(action).form(&fields).send().await.unwrap();
    }
    panic!("the provider flow did not come back");
}

fn origin_of(u: &reqwest::Url) -> String {
    format!(
        "{}://{}:{}",
        u.scheme(),
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

async fn me(c: &Client) -> Value {
    c.get("/api/v1/me").await.json().await.unwrap()
}

#[tokio::test]
async fn a_verified_email_links_exactly_one_person() {
    let app = spawn_with_oidc().await;
    let parent = app.person_of("parent").await;
    let other = app.person_of("teacher").await;
    let login_page = app.anonymous().get("/login").await.text().await.unwrap();
    assert!(login_page.contains("Войти через Госуслуги"));
    // An address someone typed in (a parent on the child's card) links nobody: else the
    // parent could sign in as the child.
    let child = app.person_of("student").await;
    let mama = app.login("parent").await;
    let res = mama
        .send(
            "PATCH",
            &format!("/api/v1/persons/{child}/contacts"),
            Some(&serde_json::json!({"email": "oidc.parent@example.ru"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let c = app.anonymous();
    assert_eq!(
        sign_in_via_provider(&app, &c, "by-email").await.status(),
        403
    );
    mama.send(
        "PATCH",
        &format!("/api/v1/persons/{child}/contacts"),
        Some(&serde_json::json!({"email": ""})),
    )
    .await;
    // Two people share the address: nobody is signed in.
    for id in [&parent, &other] {
        sqlx::query("UPDATE persons SET email = 'oidc.parent@example.ru', email_confirmed = 1 WHERE id = $1")
            .bind(id.clone())
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    let c = app.anonymous();
    let res = sign_in_via_provider(&app, &c, "by-email").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("не нашли вас в реестре"));
    sqlx::query("UPDATE persons SET email = NULL WHERE id = $1")
        .bind(other)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let c = app.anonymous();
    let res = sign_in_via_provider(&app, &c, "by-email").await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(res.headers()["location"], "/my-data");
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("parta_session="));
    assert_eq!(me(&c).await["person_id"], parent.as_str());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM oidc_links WHERE person_id = '{parent}'"
        ))
        .await,
        1
    );
    // The link holds even after the e-mail changes in the registry.
    sqlx::query("UPDATE persons SET email = NULL WHERE id = $1")
        .bind(parent.clone())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let c = app.anonymous();
    assert_eq!(
        sign_in_via_provider(&app, &c, "by-email").await.status(),
        303
    );
    assert_eq!(me(&c).await["person_id"], parent.as_str());
}

#[tokio::test]
async fn snils_links_and_unverified_or_unknown_people_are_refused() {
    let app = spawn_with_oidc().await;
    let student = app.person_of("student").await;
    sqlx::query("UPDATE persons SET snils = '112-233-445 95' WHERE id = $1")
        .bind(student.clone())
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE persons SET email = 'oidc.parent@example.ru', email_confirmed = 1 WHERE id = $1",
    )
    .bind(app.person_of("parent").await)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let c = app.anonymous();
    assert_eq!(
        sign_in_via_provider(&app, &c, "by-snils").await.status(),
        303
    );
    assert_eq!(me(&c).await["person_id"], student.as_str());
    for login in ["unverified", "stranger"] {
        let c = app.anonymous();
        let res = sign_in_via_provider(&app, &c, login).await;
        assert_eq!(res.status(), 403, "{login}");
        assert_eq!(
            c.get("/api/v1/me").await.status(),
            401,
            "{login} got no session"
        );
    }
    let persons = app
        .count("SELECT COUNT(*) FROM persons WHERE email = 'nobody@example.ru'")
        .await;
    assert_eq!(persons, 0, "nobody is created from a provider identity");
}

#[tokio::test]
async fn a_callback_cannot_be_replayed_or_forged() {
    let app = spawn_with_oidc().await;
    let c = app.anonymous();
    let res = c.get("/auth/oidc/callback?code=forged&state=forged").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("Вход устарел"));
    let res = c
        .get("/auth/oidc/callback?error=access_denied&state=x")
        .await;
    assert_eq!(res.status(), 403);
}
