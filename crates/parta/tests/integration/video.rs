//! Video lessons (COM-1, EDU-1) against the engines' documented protocols.
//!
//! BigBlueButton is a server of a dozen services (FreeSWITCH, Kurento/mediasoup, Redis,
//! MongoDB…) installed from its own repositories onto a dedicated Ubuntu host; it cannot
//! run on this machine. Its API, though, is fully documented: a stand-in here answers
//! `create`, `end` and `getRecordings` as the documentation's examples do and refuses
//! any call whose checksum — recomputed here independently, SHA-256 of call + query +
//! secret — is wrong. The callbacks are made as BigBlueButton makes them (a JWT in
//! `Authorization` signed HS512 with the secret; `signed_parameters` HS256). Jitsi's
//! links are checked as prosody's token authentication checks them.

use crate::harness::{problem, spawn, spawn_with, TestApp};
use axum::extract::{Query, State};
use axum::routing::get;
use parta_core::config::{BbbConfig, Config, JitsiConfig, Secret, VideoConfig};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SECRET: &str = "bbb-shared-secret-for-tests";
const JITSI_SECRET: &str = "jitsi-app-secret";

/// Calls the stand-in received: (call, parameters).
type Calls = Arc<Mutex<Vec<(String, HashMap<String, String>)>>>;

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The query string without `&checksum=…`, and the checksum given.
fn split_checksum(query: &str) -> (String, String) {
    match query.rsplit_once("&checksum=") {
        Some((q, c)) => (q.to_string(), c.to_string()),
        None => (
            String::new(),
            query.strip_prefix("checksum=").unwrap_or("").to_string(),
        ),
    }
}

fn checksum_ok(call: &str, query: &str) -> bool {
    let (q, given) = split_checksum(query);
    sha256_hex(&format!("{call}{q}{SECRET}")) == given
}

async fn bbb_call(
    State(calls): State<Calls>,
    axum::extract::Path(call): axum::extract::Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    Query(params): Query<HashMap<String, String>>,
) -> String {
    let raw = raw.unwrap_or_default();
    if !checksum_ok(&call, &raw) {
        return "<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>You did not pass the checksum security check</message></response>".into();
    }
    let meeting = params.get("meetingID").cloned().unwrap_or_default();
    calls.lock().unwrap().push((call.clone(), params));
    match call.as_str() {
        "create" => format!("<response><returncode>SUCCESS</returncode><meetingID>{meeting}</meetingID><internalMeetingID>int-{meeting}</internalMeetingID><createTime>1786803013476</createTime><hasBeenForciblyEnded>false</hasBeenForciblyEnded><messageKey></messageKey><message></message></response>"),
        "end" => "<response><returncode>SUCCESS</returncode><messageKey>sentEndMeetingRequest</messageKey><message>A request to end the meeting was sent.</message></response>".into(),
        "getRecordings" => format!("<response><returncode>SUCCESS</returncode><recordings><recording><recordID>rec-{meeting}</recordID><meetingID>{meeting}</meetingID><published>true</published><playback><format><type>presentation</type><url>https://bbb.school.example/playback/presentation/2.3/rec-{meeting}</url><length>41</length></format></playback></recording></recordings></response>"),
        _ => "<response><returncode>FAILED</returncode><messageKey>unsupportedRequest</messageKey><message>no</message></response>".into(),
    }
}

/// The stand-in's address (`…/bigbluebutton/api`) and what it was asked.
async fn bbb_stand_in() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let app = axum::Router::new()
        .route("/bigbluebutton/api/{call}", get(bbb_call))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/bigbluebutton/api"), calls)
}

async fn app_with_engines() -> (TestApp, Calls) {
    let (url, calls) = bbb_stand_in().await;
    let config = Config {
        public_url: Some("http://parta.test".into()),
        video: VideoConfig {
            bbb: Some(BbbConfig {
                url,
                secret: Secret::new(SECRET),
                checksum: "sha256".into(),
            }),
            jitsi: Some(JitsiConfig {
                url: "https://meet.school.example".into(),
                app_id: "parta".into(),
                secret: Secret::new(JITSI_SECRET),
            }),
        },
        ..Config::default()
    };
    (spawn_with(config).await, calls)
}

/// A lesson of the demo student's class that the demo teacher gives, moved to `day`.
async fn teachers_lesson(app: &TestApp, day: &str, skip: usize) -> String {
    let teacher = app.person_of("teacher").await;
    let student = app.person_of("student").await;
    let id = app
        .scalar(&format!(
            "SELECT l.id FROM lessons l JOIN enrolments e ON e.class_id = l.class_id AND e.person_id = '{student}' AND e.ended_on IS NULL \
             WHERE l.teacher_id = '{teacher}' AND l.group_id IS NULL AND l.status <> 'cancelled' ORDER BY l.day, l.lesson_no, l.id LIMIT 1 OFFSET {skip}"
        ))
        .await;
    sqlx::query("UPDATE lessons SET day = $2 WHERE id = $1")
        .bind(&id)
        .bind(day)
        .execute(&app.db.pool)
        .await
        .unwrap();
    id
}

fn today() -> String {
    parta_core::time::today().to_string()
}

fn params_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn jwt(alg: jsonwebtoken::Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn a_teacher_holds_a_lesson_in_bigbluebutton_and_takes_its_attendance() {
    let (app, calls) = app_with_engines().await;
    let lesson = teachers_lesson(&app, &today(), 0).await;
    let path = format!("/api/v1/lessons/{lesson}/video");
    let teacher = app.login("teacher").await;
    let student = app.login("student").await;
    let parent = app.login("parent").await;
    let student_id = app.person_of("student").await;

    // Nothing scheduled yet: the teacher may lead, the student sees the lesson only.
    let pg: Value = teacher.get(&path).await.json().await.unwrap();
    assert_eq!(pg["may_lead"], true);
    assert_eq!(pg["video"], Value::Null);
    assert_eq!(pg["engines"], json!(["bbb", "jitsi"]));
    let pg: Value = student.get(&path).await.json().await.unwrap();
    assert_eq!(pg["may_lead"], false);
    // A parent does not learn the lesson has a video room; a student cannot schedule.
    problem(parent.get(&path).await, 404).await;
    problem(student.post(&path, &json!({"engine": "bbb"})).await, 403).await;
    // An engine the platform does not have is refused, naming the field.
    let res = teacher.post(&path, &json!({"engine": "zoom"})).await;
    assert_eq!(res.status(), 422);

    let res = teacher.post(&path, &json!({"engine": "bbb"})).await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["engine"], "bbb");
    assert_eq!(v["open_now"], true);
    let again = problem(teacher.post(&path, &json!({})).await, 409).await;
    assert_eq!(again["field"], "lesson_id");
    assert!(
        calls.lock().unwrap().is_empty(),
        "the room is made on the first entry"
    );
    // The student is told where to enter; their parent is told, without the room's page.
    let note = video_note(&student).await;
    assert_eq!(note["link"], format!("/lessons/{lesson}/video"));
    assert!(note["title"]
        .as_str()
        .unwrap()
        .starts_with("Видеоурок по предмету"));
    let note = video_note(&parent).await;
    assert_eq!(note["link"], Value::Null);

    // Students wait for the teacher: before the teacher enters, there is no room.
    let early = problem(student.post(&format!("{path}/join"), &json!({})).await, 409).await;
    assert!(
        early["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Учитель ещё не начал"),
        "{early}"
    );
    assert!(calls.lock().unwrap().is_empty());
    // The teacher enters as the moderator: the room is created (with the callbacks).
    let res = teacher.post(&format!("{path}/join"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let url: Value = res.json().await.unwrap();
    let p = params_of(url["url"].as_str().unwrap());
    assert_eq!(p["role"], "MODERATOR");
    let created = calls.lock().unwrap()[0].clone();
    assert_eq!(created.0, "create");
    assert_eq!(p["password"], created.1["moderatorPW"]);
    let meeting = created.1["meetingID"].clone();
    assert!(
        !meeting.contains(&lesson),
        "the room's id is not the lesson's"
    );
    assert_eq!(
        created.1["meta_analytics-callback-url"],
        "http://parta.test/api/v1/video/bbb/analytics"
    );
    assert_eq!(
        created.1["logoutURL"],
        format!("http://parta.test/lessons/{lesson}/video")
    );
    // Then the student: their own signed address joins them as a viewer named by their
    // person id (the room is asked for again: made anew if the engine closed it empty).
    let res = student.post(&format!("{path}/join"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let url = res.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains("/bigbluebutton/api/join?"), "{url}");
    let (query, _) = split_checksum(url.split_once('?').unwrap().1);
    assert!(
        checksum_ok("join", url.split_once('?').unwrap().1),
        "signed: {query}"
    );
    let p = params_of(&url);
    assert_eq!(p["role"], "VIEWER");
    assert_eq!(p["userID"], student_id);
    assert_eq!(p["meetingID"], meeting);
    assert_eq!(p["password"], created.1["attendeePW"]);
    assert_ne!(created.1["attendeePW"], created.1["moderatorPW"]);
    // A parent cannot enter.
    problem(parent.post(&format!("{path}/join"), &json!({})).await, 404).await;

    // While the lesson goes on, the page shows who entered and suggests nothing.
    let pg: Value = teacher.get(&path).await.json().await.unwrap();
    let rows = pg["attendance"].as_array().unwrap();
    assert!(rows.len() > 1);
    let me = rows
        .iter()
        .find(|r| r["student_id"] == student_id.as_str())
        .unwrap();
    assert!(me["joined_at"].is_i64());
    assert!(rows.iter().all(|r| r["suggest_absent"] == false));

    // The analytics callback: refused without the server's signature.
    let analytics = "/api/v1/video/bbb/analytics";
    let other = rows
        .iter()
        .find(|r| r["student_id"] != student_id.as_str() && r["journal_status"].is_null())
        .unwrap()["student_id"]
        .as_str()
        .unwrap()
        .to_string();
    let report = |room: &str, mine: i64, theirs: i64| {
        json!({
            "version": "1.0",
            "meeting_id": meeting,
            "internal_meeting_id": room,
            "data": {
                "metadata": {"analytics_callback_url": "http://parta.test/api/v1/video/bbb/analytics"},
                "duration": 2700,
                "attendees": [
                    {"ext_user_id": student_id, "name": "Ученик", "moderator": false, "joins": [], "leaves": [], "duration": mine, "recent_talking_time": "", "engagement": {"chats": 2, "talks": 1, "raisehand": 0, "emojis": 0, "poll_votes": 1, "talk_time": 30}},
                    {"ext_user_id": other, "name": "Заглянул", "moderator": false, "duration": theirs},
                    {"ext_user_id": "not-a-person", "name": "Гость", "moderator": false, "duration": 900}
                ]
            }
        })
    };
    let body = report("int-1", 2000, 60);
    let http = reqwest::Client::new();
    let send = |token: Option<String>, body: Value| {
        let mut r = http
            .post(format!("{}{analytics}", app.base))
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        r.send()
    };
    let exp = chrono::Utc::now().timestamp() + 3600;
    let post = |token: Option<String>| send(token, body.clone());
    assert_eq!(post(None).await.unwrap().status(), 401);
    let forged = jwt(
        jsonwebtoken::Algorithm::HS512,
        "guessed",
        &json!({"exp": exp}),
    );
    assert_eq!(post(Some(forged)).await.unwrap().status(), 401);
    let signed = jwt(jsonwebtoken::Algorithm::HS512, SECRET, &json!({"exp": exp}));
    assert_eq!(post(Some(signed.clone())).await.unwrap().status(), 204);
    // Sent again: the same room's figures replaced, not added; the room made anew after
    // it closed empty adds its own.
    assert_eq!(post(Some(signed.clone())).await.unwrap().status(), 204);
    let again = send(Some(signed), report("int-2", 400, 100)).await.unwrap();
    assert_eq!(again.status(), 204);
    // While the lesson goes on nothing is suggested (the engine reports rooms closing
    // mid-lesson too); the report does not end it.
    let pg: Value = teacher.get(&path).await.json().await.unwrap();
    assert!(pg["video"]["ended_at"].is_null());
    assert_eq!(pg["suggestion_ready"], false);
    assert!(pg["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["suggest_absent"] == false));
    // Ended by the teacher: no one enters; the recording is read from the server.
    let res = teacher.post(&format!("{path}/end"), &json!({})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        v["recording_url"],
        format!("https://bbb.school.example/playback/presentation/2.3/rec-{meeting}")
    );
    problem(student.post(&format!("{path}/join"), &json!({})).await, 409).await;

    // Now the suggestion follows the engine: 40 minutes present; under five minutes
    // (60 + 100 s in two rooms) absent.
    let pg: Value = teacher.get(&path).await.json().await.unwrap();
    let rows = pg["attendance"].as_array().unwrap();
    let me = rows
        .iter()
        .find(|r| r["student_id"] == student_id.as_str())
        .unwrap();
    assert_eq!(me["engine_seconds"], 2400);
    assert_eq!(pg["suggestion_ready"], true);
    assert_eq!(me["suggest_absent"], false);
    let glimpse = rows
        .iter()
        .find(|r| r["student_id"] == other.as_str())
        .unwrap();
    assert_eq!(glimpse["engine_seconds"], 160);
    assert_eq!(glimpse["suggest_absent"], true);

    // The teacher takes the suggestion into the journal: bad names refused, nothing
    // written; then the absence is there and the attendance taken.
    let stranger = app
        .scalar(&format!(
            "SELECT e.person_id FROM enrolments e WHERE e.class_id <> (SELECT class_id FROM lessons WHERE id = '{lesson}') LIMIT 1"
        ))
        .await;
    let absences = format!("SELECT COUNT(*) FROM attendance WHERE lesson_id = '{lesson}'");
    let before = app.count(&absences).await;
    let bad = problem(
        teacher
            .post(
                &format!("{path}/attendance"),
                &json!({"absent": [other, stranger]}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(bad["field"], "absent[1]");
    assert_eq!(app.count(&absences).await, before, "nothing written");
    problem(
        student
            .post(&format!("{path}/attendance"), &json!({"absent": [other]}))
            .await,
        403,
    )
    .await;
    let res = teacher
        .post(&format!("{path}/attendance"), &json!({"absent": [other]}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["written"], 1);
    assert_eq!(app.count(&absences).await, before + 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT status FROM attendance WHERE lesson_id = '{lesson}' AND student_id = '{other}'"
        ))
        .await,
        "absent"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE id = '{lesson}' AND attendance_taken_at IS NOT NULL"
        ))
        .await,
        1
    );

    // The student sees the recording in their list.
    let list: Value = student
        .get("/api/v1/video-lessons")
        .await
        .json()
        .await
        .unwrap();
    let item = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["lesson"]["lesson_id"] == lesson.as_str())
        .unwrap();
    assert_eq!(item["ended"], true);
    assert!(item["recording_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    // A recording-ready callback with a forged signature is refused.
    let res = http
        .post(format!("{}/api/v1/video/bbb/recording-ready", app.base))
        .form(&[(
            "signed_parameters",
            jwt(
                jsonwebtoken::Algorithm::HS256,
                "guessed",
                &json!({"meeting_id": meeting, "record_id": "r"}),
            ),
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = http
        .post(format!("{}/api/v1/video/bbb/recording-ready", app.base))
        .form(&[(
            "signed_parameters",
            jwt(
                jsonwebtoken::Algorithm::HS256,
                SECRET,
                &json!({"meeting_id": meeting, "record_id": format!("rec-{meeting}")}),
            ),
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn jitsi_links_carry_the_token_prosody_checks_and_days_are_kept() {
    let (app, _) = app_with_engines().await;
    let teacher = app.login("teacher").await;
    let student = app.login("student").await;
    let student_id = app.person_of("student").await;
    let day = parta_core::time::today();
    let lesson = teachers_lesson(&app, &day.to_string(), 1).await;
    let path = format!("/api/v1/lessons/{lesson}/video");
    assert_eq!(
        teacher
            .post(&path, &json!({"engine": "jitsi"}))
            .await
            .status(),
        201
    );
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.set_audience(&["jitsi"]);
    v.set_issuer(&["parta"]);
    let res = teacher.post(&format!("{path}/join"), &json!({})).await;
    let url: Value = res.json().await.unwrap();
    let token = url["url"].as_str().unwrap().split_once("?jwt=").unwrap().1;
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(JITSI_SECRET.as_bytes()),
        &v,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["context"]["user"]["moderator"], true);
    let res = student.post(&format!("{path}/join"), &json!({})).await;
    let url = res.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let (room, token) = url
        .strip_prefix("https://meet.school.example/")
        .unwrap()
        .split_once("?jwt=")
        .unwrap();
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(JITSI_SECRET.as_bytes()),
        &v,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["room"], room);
    assert_eq!(claims["sub"], "meet.school.example");
    assert_eq!(claims["context"]["user"]["id"], student_id);
    assert_eq!(claims["context"]["user"]["moderator"], false);
    // Jitsi reports nothing: once the teacher ends it, the suggestion follows who entered.
    assert_eq!(
        teacher
            .post(&format!("{path}/end"), &json!({}))
            .await
            .status(),
        200
    );
    let pg: Value = teacher.get(&path).await.json().await.unwrap();
    for r in pg["attendance"].as_array().unwrap() {
        let entered = r["student_id"] == student_id.as_str();
        assert_eq!(r["engine_seconds"], Value::Null);
        assert_eq!(
            r["suggest_absent"],
            !entered && r["journal_status"].is_null(),
            "{r}"
        );
    }

    // Tomorrow's lesson: scheduled now, entered only on its day.
    let tomorrow = (day + chrono::Duration::days(1)).to_string();
    let later = teachers_lesson(&app, &tomorrow, 2).await;
    let later_path = format!("/api/v1/lessons/{later}/video");
    assert_eq!(teacher.post(&later_path, &json!({})).await.status(), 201);
    let refused = problem(
        student
            .post(&format!("{later_path}/join"), &json!({}))
            .await,
        409,
    )
    .await;
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("в день урока"));
    // A lesson already past cannot be scheduled.
    let yesterday = (day - chrono::Duration::days(1)).to_string();
    let past = teachers_lesson(&app, &yesterday, 3).await;
    let refused = problem(
        teacher
            .post(&format!("/api/v1/lessons/{past}/video"), &json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(refused["field"], "lesson_id");
}

#[tokio::test]
async fn pages_enter_by_a_form_and_without_engines_nothing_is_scheduled() {
    let (app, calls) = app_with_engines().await;
    let lesson = teachers_lesson(&app, &today(), 0).await;
    let teacher = app.login("teacher").await;
    let res = teacher
        .form(&format!("/lessons/{lesson}/video"), &[("engine", "bbb")])
        .await;
    assert_eq!(res.status(), 303);
    let student = app.login("student").await;
    let page = student.get(&format!("/lessons/{lesson}/video")).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("Войти в видеоурок"), "{html}");
    // Before the teacher: the page again, saying why.
    let res = student
        .form(&format!("/lessons/{lesson}/video/join"), &[])
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Учитель ещё не начал"));
    let res = teacher
        .form(&format!("/lessons/{lesson}/video/join"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let res = student
        .form(&format!("/lessons/{lesson}/video/join"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(
        to.contains("/bigbluebutton/api/join?")
            && checksum_ok("join", to.split_once('?').unwrap().1)
    );
    assert_eq!(
        calls.lock().unwrap().len(),
        2,
        "the teacher's create and the student's"
    );
    // The teacher's page lists who is in while it goes on; after the end, the boxes of
    // the suggestion.
    let page_path = format!("/lessons/{lesson}/video");
    let html = teacher.get(&page_path).await.text().await.unwrap();
    assert!(html.contains("Кто был на видеоуроке") && !html.contains("name=\"absent\""));
    let res = teacher
        .form(&format!("/lessons/{lesson}/video/end"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let html = teacher.get(&page_path).await.text().await.unwrap();
    assert!(html.contains("name=\"absent\""), "{html}");
    assert!(
        html.contains("Запись урока"),
        "the recording is found at the end"
    );
    // The lesson page links to it; the list shows it to the student.
    let html = teacher
        .get(&format!("/lessons/{lesson}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/lessons/{lesson}/video")));
    let html = student.get("/video").await.text().await.unwrap();
    assert!(html.contains(&format!("/lessons/{lesson}/video")));

    // A platform without a video server: the page says so, the API refuses by field.
    let bare = spawn().await;
    let lesson = teachers_lesson(&bare, &today(), 0).await;
    let teacher = bare.login("teacher").await;
    let refused = problem(
        teacher
            .post(&format!("/api/v1/lessons/{lesson}/video"), &json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(refused["field"], "engine");
    let html = teacher
        .get(&format!("/lessons/{lesson}/video"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Видеоуроки не подключены"));
}

/// The caller's notification about a video lesson, once the relay has made it.
async fn video_note(c: &crate::harness::Client) -> Value {
    for _ in 0..100 {
        let list: Value = c.get("/api/v1/notifications").await.json().await.unwrap();
        if let Some(n) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "video")
        {
            return n.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no notification of the video lesson");
}
