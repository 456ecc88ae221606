//! Several nodes (issue 13): two servers on one database, NATS between them (the local
//! `nats-server`, started by `scripts/ensure-services`) and one S3 bucket (Garage). What a
//! node's caches keep — sessions, a class's week — is forgotten on the other at once, not
//! when its copy expires; a file uploaded on one node downloads on the other.

use crate::files::{garage, s3_of};
use crate::harness::{spawn_beside, spawn_with, Client};
use crate::school_day::{spot, upload};
use parta_core::config::{Config, FilesConfig, Secret};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const NATS: &str = "nats://127.0.0.1:4222";

fn clustered() -> Config {
    Config {
        nats_url: Some(Secret::new(NATS)),
        ..Config::default()
    }
}

/// The same browser (its cookies) talking to another node.
fn on(c: &Client, base: &str) -> Client {
    Client {
        http: c.http.clone(),
        base: base.to_string(),
        csrf: c.csrf.clone(),
    }
}

/// Polls `check` until it holds, for at most a second (the bound); returns how
/// long it took.
async fn within_a_second<F, Fut>(mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if check().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not seen on the other node within a second");
}

/// Signs in with a plain client: (the session's cookie as a `Cookie` header, CSRF token).
async fn sign_in(base: &str, login: &str) -> (String, String) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"login": login, "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let me: Value = res.json().await.unwrap();
    (cookie, me["csrf_token"].as_str().unwrap().to_string())
}

/// A request with the session's cookie, whatever the node answered before.
async fn status(base: &str, method: &str, path: &str, cookie: &str, csrf: &str) -> u16 {
    reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_sign_out_on_one_node_ends_the_session_on_the_other_within_a_second() {
    let a = spawn_with(clustered()).await;
    let b = spawn_beside(&a, clustered()).await;
    let (cookie, csrf) = sign_in(&a.base, "parent").await;
    let unread = "/api/v1/notifications/unread";
    // Node B knows the session (and keeps it in its cache for a few seconds).
    assert_eq!(status(&b.base, "GET", unread, &cookie, &csrf).await, 200);
    // Signed out on node A; the same cookie on node B is refused within a second.
    assert_eq!(
        status(&a.base, "DELETE", "/api/v1/session", &cookie, &csrf).await,
        204
    );
    within_a_second(|| async { status(&b.base, "GET", unread, &cookie, &csrf).await == 401 }).await;

    // A password changed on node A ends the account's other sessions on node B.
    let (phone, phone_csrf) = sign_in(&a.base, "parent").await;
    assert_eq!(
        status(&b.base, "GET", unread, &phone, &phone_csrf).await,
        200
    );
    let laptop = a.login("parent").await;
    let res = laptop
        .post(
            "/api/v1/me/password",
            &json!({"old_password": crate::harness::PASSWORD, "new_password": "Новый-пароль-2026"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    within_a_second(|| async { status(&b.base, "GET", unread, &phone, &phone_csrf).await == 401 })
        .await;
}

#[tokio::test]
async fn a_lesson_changed_on_one_node_shows_in_the_diary_on_the_other_within_a_second() {
    let a = spawn_with(clustered()).await;
    let b = spawn_beside(&a, clustered()).await;
    let teacher = a.login("teacher").await;
    let s = spot(&a, &teacher).await;
    let parent_id = crate::fixtures::parent_of(&a, &s.student).await;
    let parent = b
        .login(&crate::fixtures::login_of(&a, &parent_id).await)
        .await;
    let diary = format!("/api/v1/students/{}/diary?week={}", s.student, s.day);
    let topic_of = |d: Value| -> Option<String> {
        d["days"]
            .as_array()?
            .iter()
            .flat_map(|d| d["lessons"].as_array().cloned().unwrap_or_default())
            .find(|l| l["lesson"]["id"] == s.lesson.as_str())
            .and_then(|l| l["lesson"]["topic"].as_str().map(str::to_string))
    };
    // Node B has the class's week in its cache.
    let before: Value = parent.get(&diary).await.json().await.unwrap();
    assert_ne!(topic_of(before).as_deref(), Some("Кластеры и узлы"));
    // The teacher changes the lesson's topic on node A.
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"lessons": [{"lesson_id": s.lesson, "topic": "Кластеры и узлы"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    within_a_second(|| async {
        let d: Value = parent.get(&diary).await.json().await.unwrap();
        topic_of(d).as_deref() == Some("Кластеры и узлы")
    })
    .await;
}

#[tokio::test]
async fn a_file_uploaded_on_one_node_downloads_on_the_other() {
    let g = garage().await;
    let config = || Config {
        files: FilesConfig {
            s3: Some(s3_of(&g)),
        },
        ..clustered()
    };
    let a = spawn_with(config()).await;
    let b = spawn_beside(&a, config()).await;
    let teacher = a.login("teacher").await;
    let s = spot(&a, &teacher).await;
    let text = "Прочитать параграф 12 и ответить на вопросы."
        .as_bytes()
        .to_vec();
    let res = upload(&teacher, &s.lesson, "задание.txt", text.clone()).await;
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let on_b = on(&teacher, &b.base)
        .get(&format!("/api/v1/attachments/{id}"))
        .await;
    assert_eq!(on_b.status(), 200);
    assert_eq!(on_b.bytes().await.unwrap().to_vec(), text);
}
