//! Web Push (COM-4): a mark reaches a parent's browsers through their push service —
//! encrypted for each browser (RFC 8291) and signed by the platform (VAPID, RFC 8292), as
//! checked by independent code (`tests/push/receiver.py`: Mozilla's `http_ece` decrypts,
//! `cryptography` verifies) — once per browser; a browser its service forgets is
//! forgotten, a failing service is tried again, quiet hours hold a push back, and only
//! the configured push services are ever posted to.

use crate::fixtures::{login_of, parent_of};
use crate::harness::{free_port, problem, python_peer, spawn_with, Client, TestApp};
use crate::school_day::spot;
use parta_core::config::{Config, NotificationsConfig, PushConfig};
use serde_json::{json, Value};
use std::time::Duration;

/// The push service with its browsers, on a free port.
struct Receiver {
    base: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
}

async fn receiver() -> Receiver {
    let port = free_port();
    let child = python_peer("push/receiver.py", &[port.to_string()], "http_ece").await;
    Receiver {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        _child: child,
    }
}

impl Receiver {
    /// A new browser's `PushSubscription` JSON.
    async fn browser(&self, name: &str) -> Value {
        self.http
            .get(format!("{}/subscription/{name}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn set(&self, mode: &str, name: &str) {
        self.http
            .post(format!("{}/{mode}/{name}", self.base))
            .send()
            .await
            .unwrap();
    }

    async fn received(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/received", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn wait(&self, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            let r = self.received().await;
            if r.len() >= n {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} push(es) expected, got {:?}", self.received().await);
    }
}

async fn app_with_push(rx: &Receiver) -> TestApp {
    spawn_with(Config {
        public_url: Some("https://parta.test".into()),
        notifications: NotificationsConfig {
            push: PushConfig {
                services: vec![rx.base.clone()],
                ..PushConfig::default()
            },
            ..NotificationsConfig::default()
        },
        ..Config::default()
    })
    .await
}

async fn subscribe(c: &Client, sub: &Value, user_agent: &str) -> reqwest::Response {
    c.http
        .post(format!(
            "{}/api/v1/notifications/push/subscriptions",
            c.base
        ))
        .header("x-csrf-token", c.csrf.clone().unwrap_or_default())
        .header("user-agent", user_agent)
        .json(sub)
        .send()
        .await
        .unwrap()
}

const PHONE: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
const LAPTOP: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[tokio::test]
async fn a_mark_reaches_the_parents_browsers_encrypted_signed_and_once() {
    let rx = receiver().await;
    let app = app_with_push(&rx).await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent_id = parent_of(&app, &s.student).await;
    let parent = app.login(&login_of(&app, &parent_id).await).await;

    // Push is on, with the platform's key (an uncompressed P-256 point), no browsers yet.
    let status: Value = parent
        .get("/api/v1/notifications/push")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["enabled"], true);
    let key = status["public_key"].as_str().unwrap().to_string();
    assert_eq!(parta_notify::push::decode_b64(&key).unwrap().len(), 65);
    assert_eq!(status["devices"], json!([]));
    let settings: Value = parent
        .get("/api/v1/notifications/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings["channels"], json!(["push"]));

    // Refused by field, nothing written: an address outside the push services (the
    // school's own network), keys that are not a browser's.
    let phone = rx.browser("phone").await;
    let mut elsewhere = phone.clone();
    elsewhere["endpoint"] = json!("http://127.0.0.1:5432/");
    let p = problem(subscribe(&parent, &elsewhere, PHONE).await, 422).await;
    assert_eq!(p["field"], "endpoint");
    let mut bad_key = phone.clone();
    bad_key["keys"]["p256dh"] = json!("BAAA");
    let p = problem(subscribe(&parent, &bad_key, PHONE).await, 422).await;
    assert_eq!(p["field"], "keys.p256dh");
    let mut bad_auth = phone.clone();
    bad_auth["keys"]["auth"] = json!("c2hvcnQ");
    let p = problem(subscribe(&parent, &bad_auth, PHONE).await, 422).await;
    assert_eq!(p["field"], "keys.auth");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM push_subscriptions").await,
        0
    );

    // Two browsers.
    let res = subscribe(&parent, &phone, PHONE).await;
    assert_eq!(res.status(), 201);
    let phone_device: Value = res.json().await.unwrap();
    assert_eq!(phone_device["device"], "Chrome, Android");
    let laptop = rx.browser("laptop").await;
    assert_eq!(subscribe(&parent, &laptop, LAPTOP).await.status(), 201);
    // The same browser again is the same subscription.
    let again: Value = subscribe(&parent, &phone, PHONE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], phone_device["id"]);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM push_subscriptions").await,
        2
    );
    // Someone who learnt the phone's address cannot take it over with their own keys:
    // refused, and the phone stays the parent's.
    let stranger = app.login("teacher").await;
    let mut hijack = rx.browser("stranger").await;
    hijack["endpoint"] = phone["endpoint"].clone();
    let p = problem(subscribe(&stranger, &hijack, PHONE).await, 422).await;
    assert_eq!(p["field"], "endpoint");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM push_subscriptions WHERE person_id = '{parent_id}'"
        ))
        .await,
        2
    );
    // No quiet hours of their own, so the push goes now.
    let res = parent
        .send(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&json!({"quiet_from": null, "quiet_to": null})),
        )
        .await;
    assert_eq!(res.status(), 200);

    let journal = format!("/api/v1/classes/{}/journal/{}", s.class, s.subject);
    let mark =
        |v: &str| json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": v}]});
    assert_eq!(teacher.post(&journal, &mark("4")).await.status(), 200);
    let got = rx.wait(2).await;
    // Later steps change this mark (a changed mark is told as well): a lesson takes three
    // marks a student, and the demo may have given some already.
    let (mark_id,): (String,) = sqlx::query_as(
        "SELECT id FROM marks WHERE lesson_id = $1 AND student_id = $2 AND value = '4' ORDER BY id DESC LIMIT 1",
    )
    .bind(&s.lesson)
    .bind(&s.student)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let change = |v: &str| json!({"marks": [{"mark_id": mark_id, "lesson_id": s.lesson, "student_id": s.student, "value": v}]});
    let mut browsers: Vec<&str> = got.iter().map(|g| g["browser"].as_str().unwrap()).collect();
    browsers.sort();
    assert_eq!(browsers, ["laptop", "phone"]);
    for g in &got {
        let title = g["payload"]["title"].as_str().unwrap();
        assert!(title.contains("Новая отметка: 4"), "{title}");
        let url = g["payload"]["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("/diary?student={}", s.student)),
            "{url}"
        );
        // Signed with the key the page gives browsers, naming who runs the platform.
        assert_eq!(g["k"], key.as_str());
        assert_eq!(g["sub"], "https://parta.test");
        assert_eq!(g["urgency"], "normal");
        assert_eq!(g["ttl"], 86_400);
    }
    // The notification's id as the tag: a browser shows it once.
    let note = app
        .scalar(&format!(
            "SELECT id FROM notifications WHERE person_id = '{parent_id}' AND kind = 'mark'"
        ))
        .await;
    assert_eq!(got[0]["payload"]["tag"], note.as_str());
    // Once: nothing more comes; the delivery is marked sent.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(rx.received().await.len(), 2);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notification_deliveries WHERE person_id = '{parent_id}' AND channel = 'push' AND sent_at IS NOT NULL AND last_error IS NULL"
        ))
        .await,
        1
    );

    // Push switched off for marks: the next mark is in the list, not pushed.
    let res = parent
        .send(
            "PUT",
            "/api/v1/notifications/preferences",
            Some(&json!([{"kind": "mark", "enabled": true, "push": false}])),
        )
        .await;
    let prefs: Value = res.json().await.unwrap();
    assert_eq!(prefs[0]["push"], false);
    assert_eq!(teacher.post(&journal, &change("5")).await.status(), 200);
    let list = format!(
        "SELECT COUNT(*) FROM notifications WHERE person_id = '{parent_id}' AND kind = 'mark'"
    );
    for _ in 0..200 {
        if app.count(&list).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(&list).await, 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.received().await.len(), 2);

    // On again; the laptop's browser was switched off (its service answers 410): the
    // phone gets the next, the laptop is forgotten.
    parent
        .send(
            "PUT",
            "/api/v1/notifications/preferences",
            Some(&json!([{"kind": "mark", "enabled": true, "push": true}])),
        )
        .await;
    rx.set("gone", "laptop").await;
    assert_eq!(teacher.post(&journal, &change("3")).await.status(), 200);
    let got = rx.wait(3).await;
    assert_eq!(got[2]["browser"], "phone");
    let devices = |v: Value| v["devices"].as_array().unwrap().len();
    for _ in 0..100 {
        if app.count("SELECT COUNT(*) FROM push_subscriptions").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status: Value = parent
        .get("/api/v1/notifications/push")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(devices(status.clone()), 1);
    assert_eq!(status["devices"][0]["device"], "Chrome, Android");

    // The phone's service fails: tried again later, with the reason, nothing lost.
    rx.set("fail", "phone").await;
    let res = teacher.post(&journal, &change("2")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let retry = format!(
        "SELECT COUNT(*) FROM notification_deliveries WHERE person_id = '{parent_id}' AND channel = 'push' \
         AND sent_at IS NULL AND attempts = 1 AND last_error = 'HTTP 500 Internal Server Error'"
    );
    for _ in 0..200 {
        if app.count(&retry).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(&retry).await, 1);
    assert_eq!(rx.received().await.len(), 3);

    // Quiet hours around now hold the next push back, in the queue.
    rx.set("ok", "phone").await;
    let now_local = parta_core::time::now_ms() / 60_000 + 180;
    let hhmm = |m: i64| {
        let m = m.rem_euclid(24 * 60);
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    parent
        .send(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&json!({"quiet_from": hhmm(now_local - 60), "quiet_to": hhmm(now_local + 60)})),
        )
        .await;
    let res = teacher.post(&journal, &change("4")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let waiting = format!(
        "SELECT COUNT(*) FROM notification_deliveries WHERE person_id = '{parent_id}' AND channel = 'push' AND sent_at IS NULL AND attempts = 0 AND due_at > {}",
        parta_core::time::now_ms() + 50 * 60_000
    );
    for _ in 0..200 {
        if app.count(&waiting).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(&waiting).await, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.received().await.len(), 3);

    // Switched off by the browser's address: then it is unknown.
    let off = json!({"endpoint": phone["endpoint"]});
    assert_eq!(
        parent
            .post("/api/v1/notifications/push/unsubscribe", &off)
            .await
            .status(),
        200
    );
    problem(
        parent
            .post("/api/v1/notifications/push/unsubscribe", &off)
            .await,
        404,
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM push_subscriptions").await,
        0
    );
    // One key pair for the platform, kept in the database.
    assert_eq!(app.count("SELECT COUNT(*) FROM push_vapid").await, 1);
}

#[tokio::test]
async fn the_page_lists_the_browsers_and_switches_one_off() {
    let rx = receiver().await;
    let app = app_with_push(&rx).await;
    let parent = app.login("parent").await;
    let page = parent.get("/notifications").await.text().await.unwrap();
    assert!(page.contains("Уведомления в браузере"), "{page}");
    assert!(page.contains("Уведомления в браузере пока нигде не включены."));
    assert!(page.contains("/static/push.js"));
    // The browser column of the preferences.
    assert!(page.contains(r#"name="push" value="mark""#));
    let res = subscribe(&parent, &rx.browser("tablet").await, LAPTOP).await;
    let device: Value = res.json().await.unwrap();
    let id = device["id"].as_str().unwrap();
    let page = parent.get("/notifications").await.text().await.unwrap();
    assert!(page.contains("Firefox, Linux — включены"), "{page}");
    assert!(page.contains(&format!("/notifications/push/{id}/delete")));
    // The browser's tag (not its address) lets its page know it is still on.
    let tag = device["tag"].as_str().unwrap();
    assert_eq!(tag.len(), 16);
    assert!(page.contains(&format!(r#"data-tag="{tag}""#)));
    assert!(!page.contains("/push/tablet"), "the address is never shown");
    // Another person cannot switch it off; its owner can, from the list.
    let teacher = app.login("teacher").await;
    let res = teacher
        .form(&format!("/notifications/push/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), 404);
    let res = parent
        .form(&format!("/notifications/push/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM push_subscriptions").await,
        0
    );
    // Ticking off the browser column on the form keeps the kind in the list.
    let res = parent
        .form(
            "/notifications/preferences",
            &[("on", "mark"), ("on", "homework"), ("push", "homework")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let prefs: Value = parent
        .get("/api/v1/notifications/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs[0]["kind"], "mark");
    assert_eq!(prefs[0]["enabled"], true);
    assert_eq!(prefs[0]["push"], false);
    assert_eq!(prefs[1]["push"], true);
    // The service worker is served from the root (its scope: the whole platform).
    let sw = app.anonymous().get("/sw.js").await;
    assert_eq!(sw.status(), 200);
    assert!(sw
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(sw.text().await.unwrap().contains("showNotification"));
}

#[tokio::test]
async fn without_push_nothing_is_offered() {
    let app = spawn_with(Config {
        notifications: NotificationsConfig {
            push: PushConfig {
                enabled: false,
                ..PushConfig::default()
            },
            ..NotificationsConfig::default()
        },
        ..Config::default()
    })
    .await;
    let parent = app.login("parent").await;
    let status: Value = parent
        .get("/api/v1/notifications/push")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["enabled"], false);
    assert_eq!(status["public_key"], Value::Null);
    let res = subscribe(
        &parent,
        &json!({"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "x", "auth": "y"}}),
        PHONE,
    )
    .await;
    problem(res, 409).await;
    let page = parent.get("/notifications").await.text().await.unwrap();
    assert!(!page.contains("Уведомления в браузере"));
    assert_eq!(app.count("SELECT COUNT(*) FROM push_vapid").await, 0);
}
