//! The notification hub's delivery (COM-4): a mark reaches a parent by e-mail through a
//! real SMTP server (aiosmtpd, run here) and through a messenger's bridge by a signed
//! webhook — once each; quiet hours hold it back; bad settings are refused by field.

use crate::fixtures::{login_of, parent_of};
use crate::harness::{free_port, problem, python_peer, spawn_with, TestApp};
use crate::school_day::spot;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use parta_core::config::{Config, MailConfig, MessengerConfig, NotificationsConfig, Secret};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOOK_SECRET: &str = "bridge-secret";

/// aiosmtpd on a free port, writing what it accepts into a directory.
struct Smtp {
    port: u16,
    dir: std::path::PathBuf,
    _child: tokio::process::Child,
}

async fn smtp() -> Smtp {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("parta-smtp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let args = [port.to_string(), dir.display().to_string()];
    let child = python_peer("smtp/sink.py", &args, "aiosmtpd").await;
    Smtp {
        port,
        dir,
        _child: child,
    }
}

impl Smtp {
    fn letters(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    async fn wait_letters(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let l = self.letters();
            if l.len() >= n {
                return l;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} letter(s) expected, got {}", self.letters().len());
    }
}

/// What the messenger's bridge received: (timestamp, signature, body).
type Hooks = Arc<Mutex<Vec<(String, String, String)>>>;

async fn hook(State(got): State<Hooks>, headers: HeaderMap, body: String) -> &'static str {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    got.lock()
        .unwrap()
        .push((h("x-parta-timestamp"), h("x-parta-signature"), body));
    "ok"
}

async fn bridge() -> (String, Hooks) {
    let got: Hooks = Arc::default();
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/hook"), got)
}

async fn app_with_delivery(smtp: &Smtp, hook_url: String) -> TestApp {
    spawn_with(Config {
        public_url: Some("http://parta.test".into()),
        notifications: NotificationsConfig {
            mail: Some(MailConfig {
                smtp_url: Secret::new(format!("smtp://127.0.0.1:{}", smtp.port)),
                from: "Парта <noreply@parta.test>".into(),
            }),
            messenger: Some(MessengerConfig {
                name: "Школьный мессенджер".into(),
                url: hook_url,
                secret: Secret::new(HOOK_SECRET),
            }),
            ..NotificationsConfig::default()
        },
        ..Config::default()
    })
    .await
}

fn hhmm(minute: i64) -> String {
    let m = minute.rem_euclid(24 * 60);
    format!("{:02}:{:02}", m / 60, m % 60)
}

#[tokio::test]
async fn a_mark_reaches_the_parent_by_email_and_messenger_once_and_quiet_hours_hold_it() {
    let smtp = smtp().await;
    let (hook_url, hooks) = bridge().await;
    let app = app_with_delivery(&smtp, hook_url).await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent_id = parent_of(&app, &s.student).await;
    sqlx::query("UPDATE persons SET email = 'mama@parta.test', email_confirmed = 1 WHERE id = $1")
        .bind(&parent_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let parent = app.login(&login_of(&app, &parent_id).await).await;

    // What the parent has: e-mail to the masked address, the messenger, default quiet hours.
    let settings: Value = parent
        .get("/api/v1/notifications/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["email"], "ma***@parta.test");
    assert_eq!(settings["channels"], json!(["email", "messenger", "push"]));
    assert_eq!(settings["quiet_from"], "22:00");
    // Bad times are refused by field, and nothing is written.
    let p = problem(
        parent
            .send(
                "PUT",
                "/api/v1/notifications/settings",
                Some(&json!({"quiet_from": "25:00", "quiet_to": "07:00"})),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "quiet_from");
    let p = problem(
        parent
            .send(
                "PUT",
                "/api/v1/notifications/settings",
                Some(&json!({"quiet_from": "21:00"})),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "quiet_to");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM notification_settings")
            .await,
        0
    );
    // No quiet hours, marks by e-mail and the messenger.
    let res = parent
        .send(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&json!({"quiet_from": null, "quiet_to": null, "digest": false})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = parent
        .send(
            "PUT",
            "/api/v1/notifications/preferences",
            Some(&json!([{"kind": "mark", "enabled": true, "email": true, "messenger": true}])),
        )
        .await;
    assert_eq!(res.status(), 200);
    let prefs: Value = res.json().await.unwrap();
    assert_eq!(prefs[0]["email"], true);
    // A change without the channels keeps them.
    parent
        .send(
            "PUT",
            "/api/v1/notifications/preferences",
            Some(&json!([{"kind": "mark", "enabled": true}])),
        )
        .await;
    let prefs: Value = parent
        .get("/api/v1/notifications/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs[0]["email"], true);
    assert_eq!(prefs[0]["messenger"], true);

    let journal = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let res = teacher
        .post(
            &journal,
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "4"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let letters = smtp.wait_letters(1).await;
    let l = &letters[0];
    assert_eq!(l["rcpt"], json!(["mama@parta.test"]));
    assert_eq!(l["from"], "Парта <noreply@parta.test>");
    assert_eq!(l["content_type"], "text/plain");
    let subject = l["subject"].as_str().unwrap();
    assert!(subject.contains("Новая отметка: 4"), "{subject}");
    let text = l["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("http://parta.test/diary?student={}", s.student)),
        "{text}"
    );
    // The messenger's bridge got it too, signed.
    for _ in 0..200 {
        if !hooks.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (ts, sig, body) = hooks.lock().unwrap()[0].clone();
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    hmac::Mac::update(&mut mac, format!("{ts}.{body}").as_bytes());
    let expected: String = hmac::Mac::finalize(mac)
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sig, format!("sha256={expected}"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["person_id"], parent_id.as_str());
    assert_eq!(body["notifications"][0]["kind"], "mark");
    // Once: nothing more comes, and each channel's delivery is marked sent.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(smtp.letters().len(), 1);
    assert_eq!(hooks.lock().unwrap().len(), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notification_deliveries WHERE person_id = '{parent_id}' AND sent_at IS NOT NULL AND last_error IS NULL"
        ))
        .await,
        2
    );

    // Quiet hours around now (the platform's time, UTC+3): the next mark waits for their
    // end, in the queue.
    let now_local = parta_core::time::now_ms() / 60_000 + 180;
    let res = parent
        .send(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&json!({"quiet_from": hhmm(now_local - 60), "quiet_to": hhmm(now_local + 60)})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = teacher
        .post(
            &journal,
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let waiting = format!(
        "SELECT COUNT(*) FROM notification_deliveries WHERE person_id = '{parent_id}' AND sent_at IS NULL AND due_at > {}",
        parta_core::time::now_ms() + 50 * 60_000
    );
    for _ in 0..200 {
        if app.count(&waiting).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(&waiting).await, 2, "e-mail and messenger wait");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.letters().len(), 1);
    assert_eq!(hooks.lock().unwrap().len(), 1);
    // Records of what was done are forgotten after a month; what waits is kept.
    sqlx::query(
        "UPDATE notification_deliveries SET sent_at = sent_at - $1 WHERE sent_at IS NOT NULL",
    )
    .bind(31 * 86_400_000i64)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let sender =
        parta_notify::delivery::Sender::new(app.db.clone(), &NotificationsConfig::default(), None)
            .unwrap();
    assert_eq!(sender.forget_done().await.unwrap(), 2);
    assert_eq!(app.count(&waiting).await, 2);
}

#[tokio::test]
async fn the_digest_waits_for_its_hour_and_the_page_keeps_a_bad_time() {
    let smtp = smtp().await;
    let (hook_url, _) = bridge().await;
    let app = app_with_delivery(&smtp, hook_url).await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent_id = parent_of(&app, &s.student).await;
    let parent = app.login(&login_of(&app, &parent_id).await).await;
    // Without a confirmed address the page says where to give one.
    sqlx::query("UPDATE persons SET email_confirmed = 0 WHERE id = $1")
        .bind(&parent_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let html = parent.get("/notifications").await.text().await.unwrap();
    assert!(html.contains("нет подтверждённой почты"), "{html}");
    // The form: a bad time comes back with what was typed and the field named.
    let res = parent
        .form(
            "/notifications/preferences",
            &[
                ("on", "mark"),
                ("email", "mark"),
                ("quiet_from", "7"),
                ("quiet_to", "08:00"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"7\""), "the input is kept");
    assert!(html.contains("quiet_from-error"));
    // The digest: e-mail of the day at 18:00 (the platform's time), not now.
    sqlx::query("UPDATE persons SET email = 'papa@parta.test', email_confirmed = 1 WHERE id = $1")
        .bind(&parent_id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = parent
        .form(
            "/notifications/preferences",
            &[
                ("on", "mark"),
                ("email", "mark"),
                ("quiet_from", ""),
                ("quiet_to", ""),
                ("digest", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "3"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let due = format!(
        "SELECT due_at FROM notification_deliveries WHERE person_id = '{parent_id}' AND channel = 'email'"
    );
    let mut due_at = None;
    for _ in 0..200 {
        let v: Option<(i64,)> = sqlx::query_as(&due)
            .fetch_optional(&app.db.pool)
            .await
            .unwrap();
        if let Some((v,)) = v {
            due_at = Some(v);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let due_at = due_at.expect("the e-mail is queued");
    let local = |ms: i64| (ms / 60_000 + 180).rem_euclid(24 * 60);
    assert_eq!(local(due_at), 18 * 60, "at 18:00 local");
    let now = parta_core::time::now_ms();
    assert!(due_at > now && due_at <= now + 24 * 3_600_000);
    assert!(smtp.letters().is_empty());
}
