//! Чаты (issue 12): a class's chats follow the registry; messages have their place in the
//! chat; a dropped live stream resumes from the last message it had; bad input refused
//! with the field named and nothing written.

use crate::harness::{fields_of, problem, spawn, Client, TestApp};
use serde_json::{json, Value};

async fn chats_of(c: &Client) -> Vec<Value> {
    let res = c.get("/api/v1/chats").await;
    assert_eq!(res.status(), 200);
    res.json::<Vec<Value>>().await.unwrap()
}

fn find<'a>(list: &'a [Value], kind: &str) -> Option<&'a Value> {
    list.iter().find(|c| c["kind"] == kind)
}

/// The id of the caller's chat of that kind (it must be there).
fn id_of(list: &[Value], kind: &str) -> String {
    find(list, kind).expect(kind)["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Reads the event stream until `want` shows (or 10 s pass).
async fn read_until(res: &mut reqwest::Response, want: &str) -> String {
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !got.contains(want) {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {want:?} in {got:?}"))
            .unwrap()
            .unwrap();
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    got
}

/// The demo student, the demo teacher made the class teacher of the student's class, and
/// that class.
async fn teacher_leads_students_class(app: &TestApp) -> (String, String, String) {
    let student = app.person_of("student").await;
    let teacher = app.person_of("teacher").await;
    let class = app
        .scalar(&format!(
            "SELECT class_id FROM enrolments WHERE person_id = '{student}' AND ended_on IS NULL"
        ))
        .await;
    sqlx::query("UPDATE classes SET class_teacher_id = $1 WHERE id = $2")
        .bind(&teacher)
        .bind(&class)
        .execute(&app.db.pool)
        .await
        .unwrap();
    (student, teacher, class)
}

/// The person's stay ends (a transfer): they no longer study anywhere.
async fn leaves_school(app: &TestApp, person: &str) {
    sqlx::query("UPDATE enrolments SET ended_on = '2026-09-02', end_reason = 'transfer' WHERE person_id = $1 AND ended_on IS NULL")
        .bind(person)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn class_chats_follow_the_registry_and_deliver_live() {
    let app = spawn().await;
    let (student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;
    let d = app.login("director").await;

    let mine = chats_of(&t).await;
    let pupils = find(&mine, "class_students")
        .expect("the class's chat")
        .clone();
    let parents = find(&mine, "class_parents")
        .expect("the parents' chat")
        .clone();
    assert!(find(&mine, "staff_room").is_some(), "{mine:?}");
    let chat = pupils["id"].as_str().unwrap().to_string();
    let parents_chat = parents["id"].as_str().unwrap().to_string();

    // The teacher writes; the student sees it unread, reads it, and it is read.
    let res = t
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Завтра экскурсия <b>в 9:00</b>"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["seq"], 1);
    let list = chats_of(&s).await;
    let kinds: Vec<&str> = list.iter().filter_map(|c| c["kind"].as_str()).collect();
    let mut sorted = kinds.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["class_channel", "class_students", "school_channel"],
        "a student has their class's chat and channels only: {list:?}"
    );
    assert_eq!(find(&list, "class_students").unwrap()["unread"], 1);
    let h: Value = s
        .get(&format!("/api/v1/chats/{chat}/messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["messages"][0]["text"], "Завтра экскурсия <b>в 9:00</b>");
    assert_eq!(h["can_post"], true);
    assert_eq!(
        find(&chats_of(&s).await, "class_students").unwrap()["unread"],
        0
    );
    // On the page the markup is text.
    let page = s.get(&format!("/chats/{chat}")).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Завтра экскурсия &#60;b&#62;в 9:00&#60;/b&#62;")
            && !html.contains("<b>в 9:00"),
        "{html}"
    );

    // The parent is in the parents' chat, not in the students'; the director in neither
    // (a conversation is its members'), but in the staff room.
    let list = chats_of(&p).await;
    assert!(
        list.iter().any(|c| c["id"] == parents_chat.as_str()),
        "{list:?}"
    );
    assert!(
        list.iter().all(|c| c["kind"] == "class_parents"
            || c["kind"].as_str().is_some_and(|k| k.ends_with("_channel"))),
        "{list:?}"
    );
    problem(p.get(&format!("/api/v1/chats/{chat}/messages")).await, 404).await;
    problem(d.get(&format!("/api/v1/chats/{chat}/messages")).await, 404).await;
    assert!(find(&chats_of(&d).await, "staff_room").is_some());
    assert!(find(&chats_of(&d).await, "class_students").is_none());

    // Live: the student's stream resumes after the message they have, and gets the next
    // one as it is sent.
    let mut stream = s
        .http
        .get(format!("{}/api/v1/chats/{chat}/events", s.base))
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["cache-control"], "no-store");
    let first = read_until(&mut stream, "id: 1").await;
    assert!(first.contains("event: message"), "{first}");
    let res = t
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Не забудьте сменную обувь", "reply_to": 1}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let next = read_until(&mut stream, "id: 2").await;
    assert!(next.contains("сменную обувь"), "{next}");
    assert!(!next.contains("id: 1\n"), "nothing twice: {next}");
    drop(stream);
    // Catching up by `after`: only what came after.
    let after: Vec<Value> = s
        .get(&format!("/api/v1/chats/{chat}/messages?after=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        after
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2]
    );

    // Bad input: named, nothing written.
    let before = app.count("SELECT COUNT(*) FROM chat_messages").await;
    let p422 = problem(
        s.post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "  \n "}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&p422), vec!["text"]);
    let long = "я".repeat(4001);
    problem(
        s.post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": long}),
        )
        .await,
        422,
    )
    .await;
    let p422 = problem(
        s.post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "да", "reply_to": 99}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&p422), vec!["reply_to"]);
    problem(
        s.send(
            "POST",
            &format!("/api/v1/chats/{chat}/read"),
            Some(&json!({"seq": 99})),
        )
        .await,
        422,
    )
    .await;
    problem(
        s.get(&format!("/api/v1/chats/{chat}/messages?before=0"))
            .await,
        422,
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM chat_messages").await,
        before
    );

    // The page: a message through the form; an empty one shows the form again.
    let res = s
        .form(&format!("/chats/{chat}"), &[("text", "Хорошо!")])
        .await;
    assert_eq!(res.status(), 303);
    let res = s.form(&format!("/chats/{chat}"), &[("text", "   ")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Напишите сообщение"));

    // A flood is slowed, the owner not locked out for long.
    let mut refused = 0;
    for i in 0..25 {
        let res = s
            .post(
                &format!("/api/v1/chats/{chat}/messages"),
                &json!({"text": format!("{i}")}),
            )
            .await;
        if res.status() == 429 {
            refused += 1;
            assert!(res.headers().contains_key("retry-after"));
        }
    }
    assert!(refused >= 5, "{refused}");

    // A student who leaves the class leaves its chat at once.
    leaves_school(&app, &student).await;
    let s = app.login("student").await;
    problem(s.get(&format!("/api/v1/chats/{chat}/messages")).await, 404).await;
    assert!(chats_of(&s).await.is_empty());
}

/// Personal chats: a student writes to the staff of their school only; a parent to their
/// children's teachers; nobody else reads along; a conversation closes for new messages
/// when the two no longer share a school.
#[tokio::test]
async fn personal_chats_follow_who_may_write_to_whom() {
    let app = spawn().await;
    let (student, teacher, class) = teacher_leads_students_class(&app).await;
    let parent = app.person_of("parent").await;
    let school = app.director_school().await;
    let other_school = crate::fixtures::other_school(&app, &school).await;
    let stranger = crate::fixtures::teacher_of_school(&app, &other_school).await;
    let classmate = app
        .scalar(&format!(
            "SELECT person_id FROM enrolments WHERE class_id = '{class}' AND ended_on IS NULL AND person_id <> '{student}' ORDER BY person_id LIMIT 1"
        ))
        .await;
    let s = app.login("student").await;
    let t = app.login("teacher").await;
    let p = app.login("parent").await;
    let d = app.login("director").await;

    // The student's contacts are the school's staff, the teacher among them.
    let c: Value = s.get("/api/v1/chats/contacts").await.json().await.unwrap();
    assert!(
        c["staff"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["person_id"] == teacher.as_str()),
        "{c}"
    );
    assert!(c["parents"].as_array().unwrap().is_empty());
    assert!(
        c["students"].as_array().unwrap().is_empty(),
        "no other children: {c}"
    );
    let start = |who: &str| json!({ "person": who });
    let res = s.post("/api/v1/chats/personal", &start(&teacher)).await;
    assert_eq!(res.status(), 200);
    let chat = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The same pair, whoever starts it, has one chat.
    let again: Value = t
        .post("/api/v1/chats/personal", &start(&student))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], chat.as_str());
    // Not with another child, an adult who is not staff, or another school's teacher.
    for who in [&classmate, &parent, &stranger] {
        problem(s.post("/api/v1/chats/personal", &start(who)).await, 404).await;
    }
    let p422 = problem(
        s.post("/api/v1/chats/personal", &start("nobody")).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&p422), vec!["person"]);
    problem(
        s.post("/api/v1/chats/personal", &start(&student)).await,
        403,
    )
    .await;

    // They write; the list names the other person; nobody else reads it.
    let res = s
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Можно пересдать контрольную?"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let list = chats_of(&t).await;
    let mine = list
        .iter()
        .find(|c| c["id"] == chat.as_str())
        .expect("in the teacher's list");
    assert_eq!(mine["kind"], "personal");
    assert_eq!(mine["unread"], 1);
    assert!(!mine["title"].as_str().unwrap().is_empty());
    let res = t
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Да, в четверг после уроков."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    problem(d.get(&format!("/api/v1/chats/{chat}/messages")).await, 404).await;
    problem(p.get(&format!("/api/v1/chats/{chat}/messages")).await, 404).await;

    // A parent writes to the class teacher of their child, not to another parent.
    let c: Value = p.get("/api/v1/chats/contacts").await.json().await.unwrap();
    assert!(
        c["teachers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["person_id"] == teacher.as_str()),
        "{c}"
    );
    assert_eq!(
        p.post("/api/v1/chats/personal", &start(&teacher))
            .await
            .status(),
        200
    );
    let other_parent = app
        .scalar(&format!(
            "SELECT g.parent_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL \
             WHERE e.class_id = '{class}' AND g.parent_id <> '{parent}' ORDER BY g.parent_id LIMIT 1"
        ))
        .await;
    problem(
        p.post("/api/v1/chats/personal", &start(&other_parent))
            .await,
        404,
    )
    .await;

    // A teacher does not reach a student of a class they neither teach nor lead.
    let untaught = app
        .scalar(&format!(
            "SELECT e.person_id FROM enrolments e WHERE e.organisation_id = '{school}' AND e.ended_on IS NULL \
             AND e.class_id NOT IN (SELECT id FROM classes WHERE class_teacher_id = '{teacher}') \
             AND e.class_id NOT IN (SELECT COALESCE(a.class_id, g.class_id) FROM teaching_assignments a \
                 LEFT JOIN study_groups g ON g.id = a.group_id WHERE a.teacher_id = '{teacher}' AND COALESCE(a.class_id, g.class_id) IS NOT NULL) \
             ORDER BY e.person_id LIMIT 1"
        ))
        .await;
    problem(
        t.post("/api/v1/chats/personal", &start(&untaught)).await,
        404,
    )
    .await;
    // Nor do the region's operator or the platform's administrator start private chats.
    let r = app.login("region").await;
    problem(
        r.post("/api/v1/chats/personal", &start(&student)).await,
        404,
    )
    .await;

    // The page: the contacts, and a chat started from them.
    let html = s.get("/chats/contacts").await.text().await.unwrap();
    assert!(html.contains("Сотрудники школы"), "{html}");
    let res = s
        .form("/chats/personal", &[("person", teacher.as_str())])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/chats/{chat}").as_str());

    // The teacher's post ends (their own child still studies there): the parent's chat
    // with them closes for new messages.
    let parent_chat: Value = p
        .post("/api/v1/chats/personal", &start(&teacher))
        .await
        .json()
        .await
        .unwrap();
    let parent_chat = parent_chat["id"].as_str().unwrap().to_string();
    assert_eq!(
        p.post(
            &format!("/api/v1/chats/{parent_chat}/messages"),
            &json!({"text": "Спасибо!"})
        )
        .await
        .status(),
        201
    );
    sqlx::query("UPDATE staff_positions SET ended_on = '2026-09-02' WHERE person_id = $1 AND ended_on IS NULL")
        .bind(&teacher)
        .execute(&app.db.pool)
        .await
        .unwrap();
    problem(
        p.post(
            &format!("/api/v1/chats/{parent_chat}/messages"),
            &json!({"text": "Вы здесь?"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        s.post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Вы здесь?"}),
        )
        .await,
        403,
    )
    .await;
    sqlx::query("UPDATE staff_positions SET ended_on = NULL WHERE person_id = $1 AND ended_on = '2026-09-02'")
        .bind(&teacher)
        .execute(&app.db.pool)
        .await
        .unwrap();

    // The student leaves the school: the conversation stays readable, closed for new
    // messages.
    leaves_school(&app, &student).await;
    let h: Value = t
        .get(&format!("/api/v1/chats/{chat}/messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["messages"].as_array().unwrap().len(), 2);
    assert_eq!(h["can_post"], false);
    problem(
        t.post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Ты где?"}),
        )
        .await,
        403,
    )
    .await;
}

/// A session cookie (`parta_session=…`) for a WebSocket client, and the session's CSRF
/// token.
async fn session_of(app: &TestApp, login: &str) -> (String, String) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"login": login, "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let me: Value = res.json().await.unwrap();
    (
        set.split(';').next().unwrap().to_string(),
        me["csrf_token"].as_str().unwrap().to_string(),
    )
}

async fn session_cookie(app: &TestApp, login: &str) -> String {
    session_of(app, login).await.0
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the chats' socket with these headers; the handshake's refusal (status) if any.
async fn open_socket(app: &TestApp, headers: &[(&str, &str)]) -> Result<Ws, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/api/v1/chats/socket",
        app.base.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn say(ws: &mut Ws, v: Value) {
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::text(v.to_string()))
        .await
        .unwrap();
}

/// The next JSON frame (10 s at most).
async fn frame(ws: &mut Ws) -> Value {
    use futures_util::StreamExt;
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("the socket open")
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Frames until one of `kind` (the others skipped: typing, acknowledgements).
async fn frame_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = frame(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
}

/// The WebSocket: refused without a session and from another site; a subscription
/// resumes from the last message the client has — nothing lost, nothing twice — and a
/// claimed place the chat has not reached is refused; a chat of another class is not
/// followed; messages, read marks and typing go through the socket with the same rules
/// as the HTTP API.
#[tokio::test]
async fn the_socket_resumes_and_refuses_what_it_must() {
    let app = spawn().await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s_cookie = session_cookie(&app, "student").await;
    let t_cookie = session_cookie(&app, "teacher").await;
    let mine = chats_of(&t).await;
    let chat = id_of(&mine, "class_students");
    let parents_chat = id_of(&mine, "class_parents");

    // No session; another site's page with the visitor's session.
    assert_eq!(open_socket(&app, &[]).await.err(), Some(401));
    let forged = open_socket(
        &app,
        &[("cookie", &s_cookie), ("origin", "http://evil.example")],
    )
    .await;
    assert_eq!(forged.err(), Some(403));

    let host = app.base.replace("http://", "");
    let origin = format!("http://{host}");
    let mut s = open_socket(&app, &[("cookie", &s_cookie), ("origin", &origin)])
        .await
        .unwrap();
    say(&mut s, json!({"op": "subscribe", "chat": chat, "after": 0})).await;
    let sub = frame(&mut s).await;
    assert_eq!(sub["type"], "subscribed", "{sub}");
    assert_eq!(sub["last_seq"], 0);

    // A message over HTTP reaches the socket; one over the teacher's socket too.
    let res = t
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            &json!({"text": "Первое <script>"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let m = frame_of(&mut s, "message").await;
    assert_eq!(
        (m["seq"].as_i64(), m["text"].as_str()),
        (Some(1), Some("Первое <script>"))
    );
    let mut ts = open_socket(&app, &[("cookie", &t_cookie)]).await.unwrap();
    say(&mut ts, json!({"op": "subscribe", "chat": chat})).await;
    assert_eq!(frame(&mut ts).await["type"], "subscribed");
    say(
        &mut ts,
        json!({"op": "send", "chat": chat, "text": "Второе", "ref": "a1"}),
    )
    .await;
    let sent = frame_of(&mut ts, "sent").await;
    assert_eq!(
        (sent["ref"].as_str(), sent["seq"].as_i64()),
        (Some("a1"), Some(2))
    );
    let m = frame_of(&mut s, "message").await;
    assert_eq!(m["seq"], 2);
    // Typing reaches the others.
    say(&mut ts, json!({"op": "typing", "chat": chat})).await;
    let typing = frame_of(&mut s, "typing").await;
    assert_eq!(typing["chat_id"], chat.as_str());

    // The student's connection drops; two messages come meanwhile; resuming from the
    // last one the student has gives exactly those, in order.
    drop(s);
    for text in ["Третье", "Четвёртое"] {
        say(&mut ts, json!({"op": "send", "chat": chat, "text": text})).await;
        frame_of(&mut ts, "sent").await;
    }
    let mut s = open_socket(&app, &[("cookie", &s_cookie)]).await.unwrap();
    say(&mut s, json!({"op": "subscribe", "chat": chat, "after": 2})).await;
    assert_eq!(frame(&mut s).await["type"], "subscribed");
    let a = frame_of(&mut s, "message").await;
    let b = frame_of(&mut s, "message").await;
    assert_eq!((a["seq"].as_i64(), b["seq"].as_i64()), (Some(3), Some(4)));
    say(&mut s, json!({"op": "ping"})).await;
    assert_eq!(frame(&mut s).await["type"], "pong", "nothing twice");

    // A forged place; another class's chat (the parents'); nonsense; an empty message;
    // a read mark past the end: each refused with the reason, the socket still open.
    say(
        &mut s,
        json!({"op": "subscribe", "chat": chat, "after": 999}),
    )
    .await;
    let e = frame(&mut s).await;
    assert_eq!(
        (e["type"].as_str(), e["problem"]["field"].as_str()),
        (Some("error"), Some("after")),
        "{e}"
    );
    say(
        &mut s,
        json!({"op": "subscribe", "chat": parents_chat, "after": 0}),
    )
    .await;
    let e = frame(&mut s).await;
    assert_eq!(e["problem"]["status"], 404, "{e}");
    say(
        &mut s,
        json!({"op": "send", "chat": parents_chat, "text": "чужой чат", "ref": "x"}),
    )
    .await;
    let e = frame(&mut s).await;
    assert_eq!(
        (e["ref"].as_str(), e["problem"]["status"].as_i64()),
        (Some("x"), Some(404)),
        "{e}"
    );
    use futures_util::SinkExt;
    s.send(tokio_tungstenite::tungstenite::Message::text("{oops"))
        .await
        .unwrap();
    let e = frame(&mut s).await;
    assert_eq!(e["problem"]["field"], "op", "{e}");
    say(
        &mut s,
        json!({"op": "send", "chat": chat, "text": "  ", "ref": "b"}),
    )
    .await;
    let e = frame(&mut s).await;
    assert_eq!(e["problem"]["field"], "text", "{e}");
    say(&mut s, json!({"op": "read", "chat": chat, "seq": 99})).await;
    let e = frame(&mut s).await;
    assert_eq!(e["problem"]["field"], "seq", "{e}");
    // An urgent announcement is the moderators' (the class teacher's), not a pupil's.
    say(
        &mut s,
        json!({"op": "send", "chat": chat, "text": "Срочно!", "urgent": true, "ref": "u"}),
    )
    .await;
    let e = frame(&mut s).await;
    assert_eq!(e["problem"]["status"], 403, "{e}");
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_messages").await, 4);
    // A read mark moves the student's unread count.
    say(&mut s, json!({"op": "read", "chat": chat, "seq": 4})).await;
    say(&mut s, json!({"op": "ping"})).await;
    assert_eq!(frame(&mut s).await["type"], "pong");
    let sc = app.login("student").await;
    assert_eq!(
        find(&chats_of(&sc).await, "class_students").unwrap()["unread"],
        0
    );
    // Signed out: the socket cannot be opened with the session any more.
    let (out_cookie, csrf) = session_of(&app, "student").await;
    let res = reqwest::Client::new()
        .delete(format!("{}/api/v1/session", app.base))
        .header("cookie", &out_cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        open_socket(&app, &[("cookie", &out_cookie)]).await.err(),
        Some(401)
    );
}

/// Urgent announcements: the class teacher asks the parents to confirm reading; each
/// parent's list and chat show what waits for them; a confirmation is counted once; the
/// teacher sees who has not confirmed. Edits and deletions keep the earlier text for
/// moderation; a moderator hides a message (audited), makes the chat read-only and pins a
/// message; a parent can do none of that.
#[tokio::test]
async fn urgent_announcements_are_confirmed_and_chats_moderated() {
    let app = spawn().await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let p = app.login("parent").await;
    let parent = app.person_of("parent").await;
    let chat = id_of(&chats_of(&t).await, "class_parents");
    let msgs = format!("/api/v1/chats/{chat}/messages");

    let res = t
        .post(
            &msgs,
            &json!({"text": "Родительское собрание в четверг в 18:00", "urgent": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let urgent: Value = res.json().await.unwrap();
    assert_eq!(urgent["urgent"], true);
    let seq = urgent["seq"].as_i64().unwrap();
    // The parent's list and chat show it waiting; a parent cannot send one.
    let list = chats_of(&p).await;
    let c = list.iter().find(|c| c["id"] == chat.as_str()).unwrap();
    assert_eq!(c["to_acknowledge"], 1, "{c}");
    let h: Value = p.get(&msgs).await.json().await.unwrap();
    assert_eq!(h["to_acknowledge"], json!([seq]));
    assert_eq!(h["messages"][0]["acknowledged"], false);
    assert!(
        h["messages"][0]["acks"].is_null(),
        "counts are the teacher's"
    );
    assert_eq!(h["moderator"], false);
    problem(
        p.post(&msgs, &json!({"text": "Срочно", "urgent": true}))
            .await,
        403,
    )
    .await;
    problem(p.get(&format!("{msgs}/{seq}/acks")).await, 403).await;
    // The teacher sees who has not confirmed: the parent among them.
    let r: Value = t
        .get(&format!("{msgs}/{seq}/acks"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        r["pending"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["person_id"] == parent.as_str()),
        "{r}"
    );
    assert_eq!(r["acknowledged"], json!([]));
    // The parent is told by a notification that leads to it (the hub: one per member);
    // its author is not.
    let mut told = None;
    for _ in 0..200 {
        let list: Value = p.get("/api/v1/notifications").await.json().await.unwrap();
        if let Some(n) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "announcement")
        {
            told = Some(n.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let told = told.expect("the parent is notified of the announcement");
    assert_eq!(told["link"], format!("/chats/{chat}/at/{seq}"));
    assert_eq!(told["body"], "Родительское собрание в четверг в 18:00");
    assert!(told["about_person_id"].is_null());
    let author = app.person_of("teacher").await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM notifications WHERE kind = 'announcement' AND person_id = '{author}'"
        ))
        .await,
        0
    );
    // The parent confirms (twice: counted once).
    for _ in 0..2 {
        let res = p.post(&format!("{msgs}/{seq}/ack"), &json!({})).await;
        assert_eq!(res.status(), 200);
    }
    let r: Value = t
        .get(&format!("{msgs}/{seq}/acks"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["acknowledged"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["acknowledged"][0]["person_id"], parent.as_str());
    assert!(!r["pending"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["person_id"] == parent.as_str()));
    let h: Value = t.get(&msgs).await.json().await.unwrap();
    assert_eq!(h["messages"][0]["acks"], 1);
    assert_eq!(h["moderator"], true);
    let list = chats_of(&p).await;
    assert_eq!(
        list.iter().find(|c| c["id"] == chat.as_str()).unwrap()["to_acknowledge"],
        0
    );

    // Edits and deletions: one's own only; the earlier text kept for moderation.
    let res = p.post(&msgs, &json!({"text": "Будем обязательно"})).await;
    let mine: Value = res.json().await.unwrap();
    let mseq = mine["seq"].as_i64().unwrap();
    let res = p
        .send(
            "PATCH",
            &format!("{msgs}/{mseq}"),
            Some(&json!({"text": "Будем, но опоздаем"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert!(edited["edited_at"].is_i64());
    problem(
        p.send(
            "PATCH",
            &format!("{msgs}/{seq}"),
            Some(&json!({"text": "подделка"})),
        )
        .await,
        403,
    )
    .await;
    problem(p.send("DELETE", &format!("{msgs}/{seq}"), None).await, 403).await;
    let bad = problem(
        p.send(
            "PATCH",
            &format!("{msgs}/{mseq}"),
            Some(&json!({"text": ""})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["text"]);
    // The teacher hides the parent's message: the members see it deleted, the history
    // keeps both texts, and the hiding is audited.
    let res = t.send("DELETE", &format!("{msgs}/{mseq}"), None).await;
    assert_eq!(res.status(), 200);
    let h: Value = p.get(&msgs).await.json().await.unwrap();
    let line = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["seq"] == mseq)
        .unwrap()
        .clone();
    assert_eq!(
        (line["deleted"].as_bool(), line["text"].as_str()),
        (Some(true), Some(""))
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM chat_message_history WHERE chat_id = '{chat}' AND seq = {mseq}"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'hide' AND object_id = '{chat}/{mseq}'"
        ))
        .await,
        1
    );

    // Read-only mode and a pinned message: the moderator's; then only they write.
    problem(
        p.send(
            "PATCH",
            &format!("/api/v1/chats/{chat}"),
            Some(&json!({"read_only": true})),
        )
        .await,
        403,
    )
    .await;
    let bad = problem(
        t.send(
            "PATCH",
            &format!("/api/v1/chats/{chat}"),
            Some(&json!({"pinned": 99})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["pinned"]);
    let res = t
        .send(
            "PATCH",
            &format!("/api/v1/chats/{chat}"),
            Some(&json!({"read_only": true, "pinned": seq})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let h: Value = p.get(&msgs).await.json().await.unwrap();
    assert_eq!(
        (h["can_post"].as_bool(), h["pinned"]["seq"].as_i64()),
        (Some(false), Some(seq))
    );
    problem(p.post(&msgs, &json!({"text": "можно?"})).await, 403).await;
    assert_eq!(
        t.post(&msgs, &json!({"text": "Только объявления"}))
            .await
            .status(),
        201
    );

    // The pages: the parent's chat shows the confirmation; the teacher's the count and the
    // list of who has not confirmed; a refused urgent form keeps the text.
    let html = p.get(&format!("/chats/{chat}")).await.text().await.unwrap();
    assert!(
        html.contains("Вы подтвердили прочтение") && html.contains("Закреплено"),
        "{html}"
    );
    let res = t.get(&format!("/chats/{chat}/acks/{seq}")).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Ещё не подтвердили"));
    let res = t
        .form(&format!("/chats/{chat}"), &[("text", " "), ("urgent", "1")])
        .await;
    assert_eq!(res.status(), 422);
}

/// Waits until `cond` holds of a search (the index commits within a second).
async fn found_by(c: &Client, url: &str, cond: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let res = c.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        let v: Value = res.json().await.unwrap();
        if cond(&v) {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url}: never as expected: {v}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn seqs(v: &Value) -> Vec<i64> {
    v["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"]["seq"].as_i64().unwrap())
        .collect()
}

fn search_url(q: &str, chat: Option<&str>) -> String {
    let mut u = format!("/api/v1/chats/search?q={}", urlencode(q));
    if let Some(c) = chat {
        u.push_str(&format!("&chat={c}"));
    }
    u
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn history_is_searched_by_word_forms_within_ones_own_chats() {
    let app = spawn().await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;
    let mine = chats_of(&t).await;
    let pupils = id_of(&mine, "class_students");
    let parents = id_of(&mine, "class_parents");
    let say = |chat: &str, text: &str| {
        let (t, chat, text) = (&t, chat.to_string(), text.to_string());
        async move {
            let res = t
                .post(
                    &format!("/api/v1/chats/{chat}/messages"),
                    &json!({ "text": text }),
                )
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap()
        }
    };
    let test = say(
        &parents,
        "Контрольная работа по математике в пятницу, повторите дроби.",
    )
    .await;
    let trip = say(
        &pupils,
        "Экскурсия в театр: сбор у школы в 9:00. Берём ёлочные игрушки <script>alert(1)</script>",
    )
    .await;
    let other = say(&pupils, "Завтра дежурят Петров и Сидорова.").await;

    // Another form of the word finds it; the parent sees the parents' chat only.
    let v = found_by(&p, &search_url("контрольную", None), |v| {
        !seqs(v).is_empty()
    })
    .await;
    assert_eq!(seqs(&v), vec![test]);
    assert_eq!(v["found"][0]["chat_id"], parents.as_str());
    assert_eq!(v["found"][0]["chat_kind"], "class_parents");
    let marked: Vec<&str> = v["found"][0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["found"] == true)
        .map(|x| x["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, vec!["Контрольная"]);
    // The student of the class does not find what was said to the parents…
    let v = found_by(&s, &search_url("экскурсии", None), |v| {
        !seqs(v).is_empty()
    })
    .await;
    assert_eq!(seqs(&v), vec![trip]);
    let v: Value = s
        .get(&search_url("контрольная", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seqs(&v), Vec::<i64>::new(), "{v}");
    // …nor can they name the parents' chat.
    problem(s.get(&search_url("контрольная", Some(&parents))).await, 404).await;
    // «ё» as «е», every word required, one typo forgiven when nothing matches exactly.
    let v = found_by(
        &s,
        &search_url("елочных игрушек", Some(&pupils)),
        |v| !seqs(v).is_empty(),
    )
    .await;
    assert_eq!(seqs(&v), vec![trip]);
    let v: Value = s
        .get(&search_url("театр дроби", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seqs(&v), Vec::<i64>::new());
    let v: Value = s
        .get(&search_url("экскурсея", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seqs(&v), vec![trip], "one typo: {v}");
    // Markup stays text (escaped on the page).
    let page = s
        .get(&format!("/chats/search?q={}", urlencode("театр")))
        .await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("<mark>театр</mark>"), "{html}");
    assert!(
        (html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"))
            && !html.contains("<script>alert"),
        "{html}"
    );
    assert!(html.contains(&format!("/chats/{pupils}/at/{trip}")));

    // Edits are found by their new text, deleted messages not at all.
    let res = t
        .send(
            "PATCH",
            &format!("/api/v1/chats/{pupils}/messages/{other}"),
            Some(&json!({"text": "Завтра дежурят Иванов и Смирнова."})),
        )
        .await;
    assert_eq!(res.status(), 200);
    found_by(&s, &search_url("Иванов", None), |v| {
        seqs(v) == vec![other]
    })
    .await;
    found_by(&s, &search_url("Петров", None), |v| {
        seqs(v).is_empty()
    })
    .await;
    let res = t
        .send(
            "DELETE",
            &format!("/api/v1/chats/{pupils}/messages/{trip}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = s
        .get(&search_url("театр", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        seqs(&v),
        Vec::<i64>::new(),
        "a deleted message is never shown: {v}"
    );

    // Bad input names the field; the page keeps what was typed.
    let bad = problem(s.get(&search_url(" ,.; ", None)).await, 422).await;
    assert_eq!(fields_of(&bad), vec!["q"]);
    let bad = problem(
        s.get(&search_url(
            "раз два три четыре пять шесть семь восемь девять",
            None,
        ))
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["q"]);
    let bad = problem(s.get(&search_url(&"я".repeat(201), None)).await, 422).await;
    assert_eq!(fields_of(&bad), vec!["q"]);
    let bad = problem(
        s.get(&format!("{}&offset=minus", search_url("театр", None)))
            .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["offset"]);
    let bad = problem(
        s.get(&format!("{}&offset=100000", search_url("театр", None)))
            .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["offset"]);
    let page = s.get("/chats/search?q=%2C%2C%3C%3E").await;
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("value=\",,&lt;&gt;\"") || html.contains("value=\",,&#60;&#62;\""),
        "{html}"
    );
    assert!(html.contains("Введите слово для поиска."));
}

#[tokio::test]
async fn the_search_index_catches_up_from_the_database_after_a_stop() {
    let app = spawn().await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let chat = id_of(&chats_of(&t).await, "class_students");
    let msgs = format!("/api/v1/chats/{chat}/messages");
    let res = t
        .post(&msgs, &json!({"text": "Олимпиада по физике во вторник"}))
        .await;
    let first = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();
    let id: parta_core::ids::ChatId = chat.parse().unwrap();

    // Another index of the same database (a node that was down): built from it at start.
    let dir = std::env::temp_dir().join(format!(
        "parta-test-index-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let wait_for = |index: parta_chat::search::SearchIndex, word: &'static str, want: Vec<i64>| async move {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let words = index.words(word).unwrap();
            let got: Vec<i64> = index
                .search(&[id], words, 0, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            if got == want {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{word}: {got:?}, not {want:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let index = parta_chat::search::open(&dir, app.db.clone()).unwrap();
    wait_for(index.clone(), "олимпиады", vec![first]).await;
    drop(index);
    // While it is stopped (its writer lets go of the directory within a commit's pause):
    // a new message, an edit, a deletion.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let res = t
        .post(&msgs, &json!({"text": "Олимпиада по химии в среду"}))
        .await;
    let second = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();
    let res = t
        .send(
            "PATCH",
            &format!("{msgs}/{first}"),
            Some(&json!({"text": "Олимпиада по астрономии во вторник"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Opened again on its directory, it catches up from its watermark.
    let index = parta_chat::search::open(&dir, app.db.clone()).unwrap();
    wait_for(index.clone(), "химии", vec![second]).await;
    wait_for(index.clone(), "астрономия", vec![first]).await;
    wait_for(index.clone(), "физика", vec![]).await;
    let res = t.send("DELETE", &format!("{msgs}/{second}"), None).await;
    assert_eq!(res.status(), 200);
    drop(index);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // A row older than the watermark's margin, written behind the index's back: the
    // catch-up does not read that far (it starts from its watermark, not from scratch)…
    let teacher = app.person_of("teacher").await;
    sqlx::query(
        "INSERT INTO chat_messages (chat_id, seq, id, author_id, body, created_at) \
         VALUES ($1, 1000, '00000000-0000-7000-8000-000000000000', $2, 'Архивная запись', 0)",
    )
    .bind(&chat)
    .bind(&teacher)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let index = parta_chat::search::open(&dir, app.db.clone()).unwrap();
    wait_for(index.clone(), "химии", vec![]).await;
    wait_for(index.clone(), "олимпиада", vec![first]).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    wait_for(index.clone(), "архивная", vec![]).await;
    drop(index);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // …and `parta reindex` reads everything.
    let n = parta_chat::search::rebuild(&dir, &app.db, |_| {})
        .await
        .unwrap();
    assert!(n >= 3, "{n}");
    let index = parta_chat::search::open(&dir, app.db.clone()).unwrap();
    wait_for(index.clone(), "архивная", vec![1000]).await;
    wait_for(index, "олимпиада", vec![first]).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn send_text(c: &Client, msgs: &str, text: &str) -> reqwest::Response {
    c.post(msgs, &json!({ "text": text })).await
}

async fn complain_on(c: &Client, msgs: &str, seq: i64, body: Value) -> reqwest::Response {
    c.post(&format!("{msgs}/{seq}/complaints"), &body).await
}

#[tokio::test]
async fn complaints_mutes_removals_and_slow_mode_keep_a_chat_safe() {
    let app = spawn().await;
    let (student, teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let d = app.login("director").await;
    let p = app.login("parent").await;
    let chat = id_of(&chats_of(&t).await, "class_students");
    let msgs = format!("/api/v1/chats/{chat}/messages");
    let res = send_text(&t, &msgs, "Завтра контрольная.").await;
    let tseq = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();
    let res = send_text(&s, &msgs, "Ну и дурацкая же контрольная").await;
    assert_eq!(res.status(), 201);
    let sseq = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();

    // A complaint: about someone else's message, with a reason; bad ones name the field.
    let bad = problem(
        complain_on(&s, &msgs, sseq, json!({"reason": "abuse"})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["seq"]);
    let res = complain_on(&s, &msgs, tseq, json!({"reason": "rude"})).await;
    assert_eq!(res.status(), 422);
    let bad = problem(
        complain_on(
            &s,
            &msgs,
            tseq,
            json!({"reason": "other", "comment": "я".repeat(501)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["comment"]);
    for _ in 0..2 {
        let res = complain_on(
            &t,
            &msgs,
            sseq,
            json!({"reason": "abuse", "comment": "грубость"}),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    // Seen by the class teacher and the school's administration, not by the family.
    let list: Value = t
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["seq"], sseq);
    assert_eq!(list[0]["reason"], "abuse");
    assert_eq!(list[0]["count"], 1, "a repeat changes nothing");
    let list: Value = d
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let list: Value = p
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'read' AND object_type = 'chat_complaints'")
            .await
            >= 2
    );

    // The class teacher hides it and mutes the student for an hour: they read, not write.
    let res = t
        .post(
            &format!("{msgs}/{sseq}/moderation"),
            &json!({"action": "mute", "hours": 1}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let list: Value = t
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]), "settled");
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    assert_eq!(
        (h["can_post"].as_bool(), h["muted"].as_bool()),
        (Some(false), Some(true))
    );
    let line = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["seq"] == sseq)
        .unwrap()
        .clone();
    assert_eq!(line["deleted"], true);
    let refused = problem(send_text(&s, &msgs, "А я всё равно напишу").await, 403).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("запретил"),
        "{refused}"
    );
    let page = s.get(&format!("/chats/{chat}")).await.text().await.unwrap();
    assert!(page.contains("запретил вам писать"));
    // Bad moderation input; nobody mutes a moderator or themselves.
    let bad = problem(
        t.post(
            &format!("{msgs}/{sseq}/moderation"),
            &json!({"action": "mute", "hours": 0}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["hours"]);
    problem(
        d.send(
            "PUT",
            &format!("/api/v1/chats/{chat}/restrictions/{teacher}"),
            Some(&json!({"kind": "mute", "hours": 5})),
        )
        .await,
        403,
    )
    .await;
    problem(
        s.post(
            &format!("{msgs}/{tseq}/moderation"),
            &json!({"action": "hide"}),
        )
        .await,
        403,
    )
    .await;
    let r: Value = t
        .get(&format!("/api/v1/chats/{chat}/restrictions"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r[0]["person_id"], student.as_str());
    assert_eq!(r[0]["kind"], "mute");
    // Lifted: they write again.
    let res = t
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}/restrictions/{student}"),
            Some(&json!({"kind": "none"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(send_text(&s, &msgs, "Извините.").await.status(), 201);
    // Nothing left to lift: an unknown person, or the same one again.
    for who in [student.as_str(), "01900000-0000-7000-8000-000000000000"] {
        problem(
            t.send(
                "PUT",
                &format!("/api/v1/chats/{chat}/restrictions/{who}"),
                Some(&json!({"kind": "none"})),
            )
            .await,
            404,
        )
        .await;
    }

    // A complaint about the moderator's own message goes to the administration only.
    let res = complain_on(
        &s,
        &msgs,
        tseq,
        json!({"reason": "other", "comment": "несправедливо"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let list: Value = t
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]), "not the teacher's own case");
    let list: Value = d
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array().unwrap().iter().any(|c| c["seq"] == tseq),
        "{list}"
    );
    problem(
        t.post(
            &format!("{msgs}/{tseq}/moderation"),
            &json!({"action": "dismiss"}),
        )
        .await,
        403,
    )
    .await;
    let res = d
        .post(
            &format!("{msgs}/{tseq}/moderation"),
            &json!({"action": "dismiss"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Slow mode: a member writes once in 10 s; the moderator is not slowed.
    let bad = problem(
        t.send(
            "PATCH",
            &format!("/api/v1/chats/{chat}"),
            Some(&json!({"slow_seconds": 7})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["slow_seconds"]);
    let res = t
        .send(
            "PATCH",
            &format!("/api/v1/chats/{chat}"),
            Some(&json!({"slow_seconds": 10})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(send_text(&s, &msgs, "Первое").await.status(), 201);
    let res = send_text(&s, &msgs, "Второе сразу").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    for _ in 0..3 {
        assert_eq!(
            send_text(&t, &msgs, "Учитель пишет без ожидания")
                .await
                .status(),
            201
        );
    }

    // Removed: the chat is gone from their list, its history, search and live stream.
    let res = t
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}/restrictions/{student}"),
            Some(&json!({"kind": "remove"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(chats_of(&s).await.iter().all(|c| c["id"] != chat.as_str()));
    problem(s.get(&msgs).await, 404).await;
    problem(s.get(&format!("/api/v1/chats/{chat}/events")).await, 404).await;
    problem(s.get(&search_url("контрольная", Some(&chat))).await, 404).await;
    let v: Value = s
        .get(&search_url("контрольная", None))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seqs(&v), Vec::<i64>::new(), "{v}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('moderate', 'restrict') AND organisation_id IS NOT NULL AND subject_person_id = '{student}'"
        ))
        .await,
        3
    );

    // A personal chat: a complaint reaches the school's administration, not the teacher.
    let parent = app.person_of("parent").await;
    let res = t
        .post("/api/v1/chats/personal", &json!({ "person": parent }))
        .await;
    assert_eq!(res.status(), 200);
    let pchat = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = t
        .post(
            &format!("/api/v1/chats/{pchat}/messages"),
            &json!({"text": "Ваш сын опять без формы"}),
        )
        .await;
    let pseq = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();
    let res = p
        .post(
            &format!("/api/v1/chats/{pchat}/messages/{pseq}/complaints"),
            &json!({"reason": "abuse"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let list: Value = d
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|c| c["chat_id"] == pchat.as_str() && c["chat_kind"] == "personal"),
        "{list}"
    );
    let list: Value = t
        .get("/api/v1/chats/complaints")
        .await
        .json()
        .await
        .unwrap();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["chat_id"] != pchat.as_str()));
    let res = d
        .post(
            &format!("/api/v1/chats/{pchat}/messages/{pseq}/moderation"),
            &json!({"action": "dismiss"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The administration settles complaints about it, and nothing more: no settings, no
    // hiding through the chat; its members moderate nothing there.
    for c in [&d, &t] {
        problem(
            c.send(
                "PATCH",
                &format!("/api/v1/chats/{pchat}"),
                Some(&json!({"read_only": true})),
            )
            .await,
            403,
        )
        .await;
    }
    problem(
        p.send(
            "DELETE",
            &format!("/api/v1/chats/{pchat}/messages/{pseq}"),
            None,
        )
        .await,
        403,
    )
    .await;
    // The complaints page of the administration, and the complaint form of a member.
    let html = d.get("/chats/complaints").await.text().await.unwrap();
    assert!(html.contains("Жалобы"), "{html}");
    let form = p.get(&format!("/chats/{pchat}/complain/{pseq}")).await;
    assert_eq!(form.status(), 200);
    let res = p
        .form(
            &format!("/chats/{pchat}/complain/{pseq}"),
            &[("comment", "без причины")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("без причины") && html.contains("Выберите, что не так"),
        "{html}"
    );
}

#[tokio::test]
async fn chat_activity_is_counted_by_week_for_the_school_and_its_operators() {
    let app = spawn().await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let p = app.login("parent").await;
    let mine = chats_of(&t).await;
    let pupils = id_of(&mine, "class_students");
    let parents = id_of(&mine, "class_parents");
    for i in 0..10 {
        let res = send_text(
            &t,
            &format!("/api/v1/chats/{pupils}/messages"),
            &format!("Сообщение {i}"),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let res = send_text(
        &p,
        &format!("/api/v1/chats/{parents}/messages"),
        "Добрый день!",
    )
    .await;
    assert_eq!(res.status(), 201);
    let school = app.director_school().await;

    let d = app.login("director").await;
    let rep: Value = d.get("/api/v1/chats/activity").await.json().await.unwrap();
    let row = rep["schools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["organisation_id"] == school.as_str())
        .unwrap_or_else(|| panic!("{rep}"))
        .clone();
    // Two chats of the class, led by its class teacher; one has 10 messages this week.
    assert_eq!(row["teacher_chats"], 2, "{row}");
    assert_eq!(row["teacher_chats_active"], 1, "{row}");
    assert_eq!(row["teacher_chats_share"], 0.5, "{row}");
    assert_eq!(row["messages"], 11, "{row}");
    assert_eq!(row["active_chats"], 2, "{row}");
    assert_eq!(row["active_members"], 2, "{row}");
    assert_eq!(row["active_teachers"], 1, "{row}");
    assert_eq!(rep["target_share"], 0.25);
    // Last week: nothing; the week is named by any of its days.
    let week = rep["week"].as_str().unwrap().to_string();
    let monday = chrono::NaiveDate::parse_from_str(&week, "%Y-%m-%d").unwrap();
    let before = (monday - chrono::Duration::days(3)).to_string();
    let old: Value = d
        .get(&format!("/api/v1/chats/activity?week={before}"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(old["week"], week.as_str());
    assert_eq!(old["total"]["messages"], 0, "{old}");
    let bad = problem(d.get("/api/v1/chats/activity?week=прошлая").await, 422).await;
    assert_eq!(fields_of(&bad), vec!["week"]);
    // The territory's operators see the school among theirs; its teachers do not.
    for login in ["municipality", "region"] {
        let o = app.login(login).await;
        let rep: Value = o.get("/api/v1/chats/activity").await.json().await.unwrap();
        assert!(
            rep["schools"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["organisation_id"] == school.as_str() && s["messages"] == 11),
            "{login}: {rep}"
        );
        let one: Value = o
            .get(&format!("/api/v1/chats/activity?org={school}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(one["schools"].as_array().unwrap().len(), 1);
    }
    problem(t.get("/api/v1/chats/activity").await, 403).await;
    let html = d.get("/chats/activity").await.text().await.unwrap();
    assert!(
        html.contains("Активность в чатах") && html.contains("50 %"),
        "{html}"
    );
}

async fn react_on(c: &Client, msgs: &str, seq: i64, body: Value) -> reqwest::Response {
    c.post(&format!("{msgs}/{seq}/reactions"), &body).await
}

#[tokio::test]
async fn reactions_and_polls_are_counted_once_a_person_and_seen_live() {
    let app = spawn().await;
    let (student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let chat = id_of(&chats_of(&t).await, "class_students");
    let msgs = format!("/api/v1/chats/{chat}/messages");
    let seq = send_text(&t, &msgs, "Завтра экскурсия в музей")
        .await
        .json::<Value>()
        .await
        .unwrap()["seq"]
        .as_i64()
        .unwrap();

    // The student listens; a reaction comes as an update with the counts.
    let cookie = session_cookie(&app, "student").await;
    let mut ws = open_socket(&app, &[("Cookie", &cookie)]).await.unwrap();
    say(
        &mut ws,
        json!({"op": "subscribe", "chat": chat, "after": seq}),
    )
    .await;
    frame_of(&mut ws, "subscribed").await;
    let res = react_on(&s, &msgs, seq, json!({"reaction": "like"})).await;
    assert_eq!(res.status(), 200);
    let u = frame_of(&mut ws, "update").await;
    assert_eq!(
        u["reactions"],
        json!([{"reaction": "like", "emoji": "👍", "count": 1}])
    );
    // Twice is once; the teacher adds theirs and a heart.
    react_on(&s, &msgs, seq, json!({"reaction": "like"})).await;
    react_on(&t, &msgs, seq, json!({"reaction": "like"})).await;
    let m: Value = react_on(&t, &msgs, seq, json!({"reaction": "heart"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["reactions"][0]["count"], 2, "{m}");
    assert_eq!(m["reactions"][1]["reaction"], "heart");
    // The history shows the counts and the reader's own.
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    let line = &h["messages"][0];
    assert_eq!(line["reactions"][0]["count"], 2);
    assert_eq!(line["my_reactions"], json!(["like"]));
    // Taken back.
    let m: Value = react_on(&t, &msgs, seq, json!({"reaction": "heart", "on": false}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        m["reactions"],
        json!([{"reaction": "like", "emoji": "👍", "count": 2}])
    );
    // Bad input: an unknown reaction, a message that is not there — the field named,
    // nothing written.
    let bad = problem(
        react_on(&s, &msgs, seq, json!({"reaction": "<script>"})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["reaction"]);
    let bad = problem(
        react_on(&s, &msgs, 999, json!({"reaction": "like"})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["seq"]);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM chat_reactions")
            .await,
        "2"
    );

    // A poll: the text is the question; bad options are named.
    for (options, why) in [
        (json!(["Суббота"]), "one option"),
        (json!(["Суббота", "суббота"]), "the same twice"),
        (
            json!((0..11).map(|i| format!("Вариант {i}")).collect::<Vec<_>>()),
            "eleven",
        ),
        (json!(["я".repeat(101), "Воскресенье"]), "too long"),
    ] {
        let res = t
            .post(
                &msgs,
                &json!({"text": "Когда собрание?", "poll": {"options": options}}),
            )
            .await;
        let bad = problem(res, 422).await;
        assert_eq!(fields_of(&bad), vec!["options"], "{why}");
    }
    let res = t
        .post(
            &msgs,
            &json!({"text": "Когда собрание?", "poll": {"options": ["Суббота", " Воскресенье ", ""]}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let m: Value = res.json().await.unwrap();
    let poll = m["seq"].as_i64().unwrap();
    assert_eq!(m["poll"]["options"][1]["text"], "Воскресенье");
    assert_eq!(m["poll"]["multiple"], false);
    let live = frame_of(&mut ws, "message").await;
    assert_eq!(live["poll"]["options"].as_array().unwrap().len(), 2);
    let vote = format!("{msgs}/{poll}/vote");
    // One option in a single-choice poll; an option that is not there is refused.
    let bad = problem(
        s.send("PUT", &vote, Some(&json!({"options": [0, 1]})))
            .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["options"]);
    let bad = problem(
        s.send("PUT", &vote, Some(&json!({"options": [2]}))).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["options"]);
    let res = s.send("PUT", &vote, Some(&json!({"options": [0]}))).await;
    assert_eq!(res.status(), 200);
    let u = frame_of(&mut ws, "update").await;
    assert_eq!(u["poll"]["voters"], 1);
    assert_eq!(u["poll"]["options"][0]["votes"], 1);
    // Changing one's mind moves the vote; the teacher votes too.
    s.send("PUT", &vote, Some(&json!({"options": [1]}))).await;
    let m: Value = t
        .send("PUT", &vote, Some(&json!({"options": [1]})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m["poll"]["options"][0]["votes"], 0, "{m}");
    assert_eq!(m["poll"]["options"][1]["votes"], 2);
    assert_eq!(m["poll"]["voters"], 2);
    // Who chose what (not anonymous): the class sees it.
    let who: Value = s.get(&vote).await.json().await.unwrap();
    assert_eq!(who["options"][1].as_array().unwrap().len(), 2, "{who}");
    assert!(who["options"][1]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["person_id"] == student.as_str()));
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    let line = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["seq"] == poll)
        .unwrap()
        .clone();
    assert_eq!(line["my_votes"], json!([1]));
    // Only its author or a moderator closes it; then no more votes.
    let close = format!("{msgs}/{poll}/close");
    assert_eq!(s.post(&close, &json!({})).await.status(), 403);
    let m: Value = t.post(&close, &json!({})).await.json().await.unwrap();
    assert_eq!(m["poll"]["closed"], true);
    let bad = problem(
        s.send("PUT", &vote, Some(&json!({"options": [0]}))).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["options"]);

    // An anonymous poll with several choices, from the page; who chose what stays hidden.
    let page = format!("/chats/{chat}");
    let res = t
        .form(
            &page,
            &[
                ("text", "Что взять в поход?"),
                ("options", "Палатку\r\nКотелок\r\nГитару"),
                ("multiple", "1"),
                ("anonymous", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let anon = poll + 1;
    let res = s
        .post_raw(
            &format!("/chats/{chat}/vote/{anon}"),
            "application/x-www-form-urlencoded",
            "option=0&option=2",
        )
        .await;
    assert_eq!(res.status(), 303);
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    let line = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["seq"] == anon)
        .unwrap()
        .clone();
    assert_eq!(line["poll"]["anonymous"], true);
    assert_eq!(line["poll"]["options"][2]["votes"], 1);
    assert_eq!(line["my_votes"], json!([0, 2]));
    assert_eq!(t.get(&format!("{msgs}/{anon}/vote")).await.status(), 403);
    // A refused poll on the page keeps what was typed.
    let res = t
        .form(
            &page,
            &[("text", "Куда?"), ("options", "Только один вариант")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Дайте хотя бы два варианта ответа."),
        "{html}"
    );
    assert!(html.contains("Только один вариант"));
    // The page shows the counts and a reaction's button; a reaction from the page.
    let html = s.get(&page).await.text().await.unwrap();
    assert!(html.contains("Что взять в поход?"));
    assert!(
        html.contains("value=\"like:off\""),
        "the student's own like"
    );
    let res = s
        .form(
            &format!("/chats/{chat}/react/{seq}"),
            &[("reaction", "thanks:on")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    assert_eq!(h["messages"][0]["my_reactions"], json!(["like", "thanks"]));

    // A deleted message loses its reactions and poll; none can be added.
    assert_eq!(
        t.send("DELETE", &format!("{msgs}/{seq}"), None)
            .await
            .status(),
        200
    );
    let bad = problem(
        react_on(&s, &msgs, seq, json!({"reaction": "like"})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["seq"]);
}

/// A picture of `w`×`h` as PNG (half transparent) or JPEG.
fn picture(w: u32, h: u32, png: bool) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            128,
            if x < w / 2 { 255 } else { 0 },
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    if png {
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    } else {
        image::DynamicImage::ImageRgba8(img)
            .to_rgb8()
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
    }
    out.into_inner()
}

/// A PNG of noise (it does not compress): about `w`×`h`×4 bytes.
fn noise(w: u32, h: u32) -> Vec<u8> {
    let mut x: u32 = 12345;
    let img = image::RgbaImage::from_fn(w, h, |_, _| {
        let mut next = || {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        };
        image::Rgba([next(), next(), next(), next()])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(c: &Client, chat: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    c.post_raw(
        &format!("/api/v1/chats/{chat}/files?file_name={name}"),
        "application/octet-stream",
        bytes,
    )
    .await
}

#[tokio::test]
async fn photos_and_documents_are_checked_stored_and_shown_to_the_chat_only() {
    let mut config = parta_core::config::Config::default();
    config.storage.student_quota_mb = 2;
    let app = crate::harness::spawn_with(config).await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;
    let chat = id_of(&chats_of(&t).await, "class_students");
    let parents = id_of(&chats_of(&t).await, "class_parents");
    let msgs = format!("/api/v1/chats/{chat}/messages");

    // A photo: its size read, a preview made.
    let res = upload(&t, &chat, "доска.png", picture(800, 600, true)).await;
    assert_eq!(res.status(), 201);
    let f: Value = res.json().await.unwrap();
    assert_eq!(
        (f["width"].as_i64(), f["height"].as_i64()),
        (Some(800), Some(600))
    );
    assert_eq!(f["preview"], true);
    assert_eq!(f["content_type"], "image/png");
    let photo = f["id"].as_str().unwrap().to_string();
    // Not sent yet: its uploader sees it, the class does not.
    let file_url = format!("/api/v1/chats/{chat}/files/{photo}");
    assert_eq!(t.get(&file_url).await.status(), 200);
    assert_eq!(s.get(&file_url).await.status(), 404);

    // Refused by content, size and name: the field named, nothing stored.
    for (name, bytes, why) in [
        (
            "virus.pdf",
            b"MZ\x90\x00rest".to_vec(),
            "an executable named .pdf",
        ),
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\nbroken".to_vec(),
            "a damaged picture",
        ),
        (
            "script.html",
            b"<script>alert(1)</script>".to_vec(),
            "a web page",
        ),
        ("empty.txt", Vec::new(), "empty"),
    ] {
        let bad = problem(upload(&t, &chat, name, bytes).await, 422).await;
        assert_eq!(fields_of(&bad), vec!["file"], "{why}");
    }
    let res = upload(
        &t,
        &chat,
        "big.pdf",
        [b"%PDF-".to_vec(), vec![b' '; 10 * 1024 * 1024]].concat(),
    )
    .await;
    assert_eq!(res.status(), 413);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM chat_files")
            .await,
        "1"
    );

    // Sent without words; it comes live with its file; the class sees it and its preview.
    let cookie = session_cookie(&app, "student").await;
    let mut ws = open_socket(&app, &[("Cookie", &cookie)]).await.unwrap();
    say(&mut ws, json!({"op": "subscribe", "chat": chat})).await;
    frame_of(&mut ws, "subscribed").await;
    let res = t.post(&msgs, &json!({"text": "", "files": [photo]})).await;
    let m: Value = res.json().await.unwrap();
    assert!(m["seq"].is_i64(), "{m}");
    assert_eq!(m["files"][0]["id"], photo.as_str());
    let live = frame_of(&mut ws, "message").await;
    assert_eq!(live["files"][0]["name"], "доска.png");
    let res = s.get(&file_url).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = s.get(&format!("{file_url}?preview=1")).await;
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let small = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (320, 240));
    // Sent once: the same file again, or someone else's, is refused.
    let bad = problem(
        t.post(&msgs, &json!({"text": "ещё раз", "files": [photo]}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["files"]);
    let doc = upload(&s, &chat, "ответ.txt", "Решение: 42".as_bytes().to_vec()).await;
    assert_eq!(doc.status(), 201);
    let doc = doc.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = problem(
        t.post(&msgs, &json!({"text": "чужой", "files": [doc]}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["files"]);
    // Nor in another chat, nor more than five.
    let bad = problem(
        t.post(
            &format!("/api/v1/chats/{parents}/messages"),
            &json!({"text": "x", "files": [photo]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["files"]);
    let six: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
    let bad = problem(
        t.post(&msgs, &json!({"text": "x", "files": six})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), vec!["files"]);
    // Another chat's reader — a parent — gets nothing, whichever chat the address names.
    assert_eq!(p.get(&file_url).await.status(), 404);
    assert_eq!(
        p.get(&format!("/api/v1/chats/{parents}/files/{photo}"))
            .await
            .status(),
        404
    );

    // The student's quota (2 MB here): a photo of a phone fits once, not twice.
    let big = noise(620, 620);
    assert!(big.len() > 1024 * 1024, "{}", big.len());
    let res = upload(&s, &chat, "фото.png", big.clone()).await;
    assert_eq!(res.status(), 201);
    let bad = problem(upload(&s, &chat, "фото2.png", big).await, 422).await;
    assert_eq!(bad["code"], "quota");
    assert_eq!(fields_of(&bad), vec!["file"]);

    // From the page: a JPEG with a caption, uploaded and sent in one go; the page shows
    // its preview.
    let csrf = s.csrf.clone().unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf.clone())
        .text("text", "Моё решение")
        .part(
            "file",
            reqwest::multipart::Part::bytes(picture(400, 300, false)).file_name("решение.jpg"),
        );
    let res = s
        .http
        .post(format!("{}/chats/{chat}/files", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = s.get(&format!("/chats/{chat}")).await.text().await.unwrap();
    assert!(html.contains("Моё решение"));
    assert!(
        html.contains("?preview=1\" width=\"320\" height=\"240\""),
        "{html}"
    );
    // A refused file from the page: the chat again with the caption kept and the reason.
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("text", "Подпись остаётся")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"MZ\x90\x00".to_vec()).file_name("игра.exe"),
        );
    let res = s
        .http
        .post(format!("{}/chats/{chat}/files", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Подпись остаётся"));
    assert!(html.contains("Такой файл не принимается"));

    // A deleted message takes its file out of sight.
    let seq = m["seq"].as_i64().unwrap();
    assert_eq!(
        t.send("DELETE", &format!("{msgs}/{seq}"), None)
            .await
            .status(),
        200
    );
    assert_eq!(s.get(&file_url).await.status(), 404);
}

#[tokio::test]
async fn a_subject_groups_chat_follows_the_group_and_its_teacher_moderates_it() {
    let app = spawn().await;
    let student = app.person_of("student").await;
    let teacher = app.person_of("teacher").await;
    let (class, org, year): (String, String, String) = sqlx::query_as(
        "SELECT c.id, c.organisation_id, c.academic_year_id FROM enrolments e JOIN classes c ON c.id = e.class_id \
         WHERE e.person_id = $1 AND e.ended_on IS NULL",
    )
    .bind(&student)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let group = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO study_groups (id, organisation_id, academic_year_id, class_id, name, subject_code) \
         VALUES ($1, $2, $3, $4, 'Группа 1', 'math')",
    )
    .bind(&group)
    .bind(&org)
    .bind(&year)
    .bind(&class)
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
        .bind(&group)
        .bind(&student)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO teaching_assignments (id, teacher_id, group_id, subject_code, academic_year_id) \
         VALUES ($1, $2, $3, 'math', $4)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&teacher)
    .bind(&group)
    .bind(&year)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;
    let d = app.login("director").await;

    // The group's teacher and student have it, titled by class, subject and group.
    let mine = chats_of(&t).await;
    let chat = id_of(&mine, "subject_group");
    let title = find(&mine, "subject_group").unwrap()["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        title.ends_with("Группа 1") && title.contains(" · "),
        "{title}"
    );
    assert_eq!(id_of(&chats_of(&s).await, "subject_group"), chat);
    // Not the family, not the administration (it moderates, it does not read along).
    assert!(find(&chats_of(&p).await, "subject_group").is_none());
    let msgs = format!("/api/v1/chats/{chat}/messages");
    assert_eq!(p.get(&msgs).await.status(), 404);
    assert_eq!(d.get(&msgs).await.status(), 404);

    // The student writes; the teacher reads and moderates — the student does not.
    let res = send_text(&s, &msgs, "Я не понял задачу №5").await;
    assert_eq!(res.status(), 201);
    let seq = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();
    let h: Value = t.get(&msgs).await.json().await.unwrap();
    assert_eq!(h["moderator"], true);
    assert_eq!(h["messages"][0]["text"], "Я не понял задачу №5");
    let settings = format!("/api/v1/chats/{chat}");
    assert_eq!(
        s.send("PATCH", &settings, Some(&json!({"slow_seconds": 30})))
            .await
            .status(),
        403
    );
    assert_eq!(
        t.send("PATCH", &settings, Some(&json!({"slow_seconds": 30})))
            .await
            .status(),
        200
    );
    // The school's administration settles complaints about it.
    assert_eq!(
        d.send("PATCH", &settings, Some(&json!({"slow_seconds": 0})))
            .await
            .status(),
        200
    );
    // An urgent announcement asks the group, not the whole class.
    let res = t
        .post(
            &msgs,
            &json!({"text": "Завтра самостоятельная", "urgent": true}),
        )
        .await;
    let useq = res.json::<Value>().await.unwrap()["seq"].as_i64().unwrap();
    let acks: Value = t
        .get(&format!("{msgs}/{useq}/acks"))
        .await
        .json()
        .await
        .unwrap();
    let pending: Vec<&str> = acks["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(pending, vec![student.as_str()], "{acks}");
    // The teacher may mute a student of the group, not the other way round.
    let res = t
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}/restrictions/{student}"),
            Some(&json!({"kind": "mute", "hours": 1})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(send_text(&s, &msgs, "ещё").await.status(), 403);
    let _ = seq;

    // Out of the group: the chat leaves the student's list and is closed to them.
    sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND person_id = $2")
        .bind(&group)
        .bind(&student)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(find(&chats_of(&s).await, "subject_group").is_none());
    assert_eq!(s.get(&msgs).await.status(), 404);
}

/// The platform's time `secs` from now as a scheduled message's `send_at`.
fn in_secs(secs: i64) -> String {
    let at = parta_core::time::now_ms() + secs * 1000;
    chrono::DateTime::from_timestamp_millis(at)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn scheduled_messages_go_out_at_their_time_if_their_author_may_still_write() {
    let app = spawn().await;
    let (student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let chat = id_of(&chats_of(&t).await, "class_students");
    let msgs = format!("/api/v1/chats/{chat}/messages");
    let later = format!("/api/v1/chats/{chat}/scheduled");

    // Bad times and texts name their field; nothing is scheduled.
    for (body, field) in [
        (json!({"text": "x", "send_at": "завтра"}), "send_at"),
        (json!({"text": "x", "send_at": in_secs(-60)}), "send_at"),
        (
            json!({"text": "x", "send_at": in_secs(93 * 86_400)}),
            "send_at",
        ),
        (json!({"text": " ", "send_at": in_secs(60)}), "text"),
    ] {
        let bad = problem(t.post(&later, &body).await, 422).await;
        assert_eq!(fields_of(&bad), vec![field], "{body}");
    }
    // Urgent: moderators only.
    let res = s
        .post(
            &later,
            &json!({"text": "x", "send_at": in_secs(60), "urgent": true}),
        )
        .await;
    assert_eq!(res.status(), 403);

    // The teacher schedules a reminder in two seconds and another for tomorrow; the
    // student sees neither until its time.
    let res = t
        .post(
            &later,
            &json!({"text": "Напоминаю: завтра экскурсия", "send_at": in_secs(2), "urgent": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = t
        .post(
            &later,
            &json!({"text": "Завтрашнее", "send_at": in_secs(86_400)}),
        )
        .await;
    let tomorrow = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mine: Value = t.get(&later).await.json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 2);
    assert_eq!(
        s.get(&later).await.json::<Value>().await.unwrap(),
        json!([])
    );
    // It goes out by itself, as the teacher's urgent message.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let sent = loop {
        let h: Value = s.get(&msgs).await.json().await.unwrap();
        if let Some(m) = h["messages"].as_array().unwrap().first() {
            break m.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "not sent in time");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(sent["text"], "Напоминаю: завтра экскурсия");
    assert_eq!(sent["urgent"], true);
    assert_eq!(sent["acknowledged"], false);
    let mine: Value = t.get(&later).await.json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    // Cancelled: gone; cancelling twice or someone else's is not found.
    let cancel = format!("{later}/{tomorrow}");
    assert_eq!(s.send("DELETE", &cancel, None).await.status(), 404);
    assert_eq!(t.send("DELETE", &cancel, None).await.status(), 200);
    assert_eq!(t.send("DELETE", &cancel, None).await.status(), 404);

    // The student schedules a message, then is muted: at its time it fails, with the
    // reason shown to them, and nothing reaches the chat.
    let res = s
        .post(
            &later,
            &json!({"text": "Отложенное", "send_at": in_secs(2)}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = t
        .send(
            "PUT",
            &format!("/api/v1/chats/{chat}/restrictions/{student}"),
            Some(&json!({"kind": "mute", "hours": 1})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let failed = loop {
        let mine: Value = s.get(&later).await.json().await.unwrap();
        if mine[0]["state"] == "failed" {
            break mine[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not tried in time: {mine}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(failed["failure"]
        .as_str()
        .unwrap()
        .contains("больше не можете писать"));
    let h: Value = t.get(&msgs).await.json().await.unwrap();
    assert_eq!(h["messages"].as_array().unwrap().len(), 1);

    // From the page: the time kept with the text when refused; listed once scheduled.
    let page = format!("/chats/{chat}");
    let res = t
        .form(&page, &[("text", "Позже"), ("send_at", "когда-нибудь")])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("когда-нибудь") && html.contains("Позже"));
    let at = in_secs(3600);
    let res = t
        .form(&page, &[("text", "Через час"), ("send_at", &at[..16])])
        .await;
    assert_eq!(res.status(), 303);
    let html = t.get(&page).await.text().await.unwrap();
    assert!(html.contains("Запланированные сообщения") && html.contains("Через час"));
}

#[tokio::test]
async fn old_messages_are_deleted_after_their_keeping_and_unsent_files_after_an_hour() {
    let app = spawn().await;
    let (_student, _teacher, _class) = teacher_leads_students_class(&app).await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let chat = id_of(&chats_of(&t).await, "class_students");
    let staff = id_of(&chats_of(&t).await, "staff_room");
    let msgs = format!("/api/v1/chats/{chat}/messages");
    for i in 1..=5 {
        assert_eq!(
            send_text(&t, &msgs, &format!("Сообщение {i}"))
                .await
                .status(),
            201
        );
    }
    assert_eq!(
        send_text(
            &t,
            &format!("/api/v1/chats/{staff}/messages"),
            "В учительской"
        )
        .await
        .status(),
        201
    );
    // A like on the second, a complaint (still open) on the fourth.
    react_on(&s, &msgs, 2, json!({"reaction": "like"})).await;
    assert_eq!(
        complain_on(&s, &msgs, 4, json!({"reason": "spam"}))
            .await
            .status(),
        201
    );
    // The first four (and the staff room's one) are 401 days old: past the class chats'
    // 400, not the staff room's 1100.
    let old = parta_core::time::now_ms() - 401 * 86_400_000;
    sqlx::query("UPDATE chat_messages SET created_at = $1 WHERE (chat_id = $2 AND seq <= 4) OR chat_id = $3")
        .bind(old)
        .bind(&chat)
        .bind(&staff)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let deleted = app.chats.apply_retention().await.unwrap();
    // Up to the one with an open complaint: 1–3.
    assert_eq!(deleted, 3);
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    let seqs: Vec<i64> = h["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![4, 5]);
    assert!(
        h["earlier"].is_null(),
        "nothing before what was deleted: {h}"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM chat_reactions")
            .await,
        "0"
    );
    // The staff room keeps its message; run again, nothing more goes.
    let h: Value = t
        .get(&format!("/api/v1/chats/{staff}/messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["messages"].as_array().unwrap().len(), 1);
    assert_eq!(app.chats.apply_retention().await.unwrap(), 0);
    // Once the complaint is settled (by the administration: it is about the teacher's
    // own message), the fourth goes too.
    let d = app.login("director").await;
    let res = d
        .post(
            &format!("{msgs}/4/moderation"),
            &json!({"action": "dismiss"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(app.chats.apply_retention().await.unwrap(), 1);

    // A file uploaded and not sent is forgotten after an hour, its content swept.
    let res = upload(&t, &chat, "доска.png", picture(40, 30, true)).await;
    let file = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    sqlx::query("UPDATE chat_files SET created_at = $1 WHERE id = $2")
        .bind(parta_core::time::now_ms() - 2 * 3_600_000)
        .bind(&file)
        .execute(&app.db.pool)
        .await
        .unwrap();
    app.chats.sweep_files().await.unwrap();
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM chat_files")
            .await,
        "0"
    );
    assert_eq!(
        t.get(&format!("/api/v1/chats/{chat}/files/{file}"))
            .await
            .status(),
        404
    );
}

/// The places of a page of history's messages.
fn places(v: &Value) -> Vec<i64> {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

async fn channels_of(c: &Client) -> Vec<Value> {
    let res = c.get("/api/v1/channels").await;
    assert_eq!(res.status(), 200);
    res.json::<Vec<Value>>().await.unwrap()
}

fn channel<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter().find(|c| c["id"] == id)
}

#[tokio::test]
async fn channels_reach_their_people_and_readers_comment_on_posts() {
    let app = spawn().await;
    let (student, _teacher, class) = teacher_leads_students_class(&app).await;
    let d = app.login("director").await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;

    // The school's news: the administration writes them; its staff, students and their
    // parents read them without subscribing, and find them in their chats.
    let mine = channels_of(&d).await;
    let news = mine
        .iter()
        .find(|c| c["kind"] == "school_channel")
        .expect("the school's news")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(channel(&mine, &news).unwrap()["author"], true);
    for c in [&t, &s, &p] {
        let list = channels_of(c).await;
        let n = channel(&list, &news).expect("the news reach everyone of the school");
        assert_eq!(
            (n["author"].clone(), n["optional"].clone()),
            (json!(false), json!(false))
        );
        assert_eq!(id_of(&chats_of(c).await, "school_channel"), news);
    }
    let msgs = format!("/api/v1/chats/{news}/messages");
    // A reader does not post.
    let refused = problem(p.post(&msgs, &json!({"text": "Моя запись"})).await, 403).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("авторы"),
        "{refused}"
    );
    let res = d
        .post(&msgs, &json!({"text": "В субботу ярмарка в спортзале"}))
        .await;
    assert_eq!(res.status(), 201);
    // Comments are off until the authors turn them on.
    let off = problem(
        p.post(&msgs, &json!({"text": "Придём!", "reply_to": 1}))
            .await,
        403,
    )
    .await;
    assert!(
        off["detail"].as_str().unwrap().contains("выключены"),
        "{off}"
    );
    let res = d
        .send(
            "PATCH",
            &format!("/api/v1/chats/{news}"),
            Some(&json!({"read_only": false})),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = p
        .post(
            &msgs,
            &json!({"text": "Придём всей семьёй!", "reply_to": 1}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // A comment is on a post: not on a comment, not on nothing; neither a poll nor urgent.
    for body in [
        json!({"text": "Ответ на ответ", "reply_to": 2}),
        json!({"text": "Куда?", "reply_to": 9}),
        json!({"text": "Когда?", "reply_to": 1, "poll": {"options": ["10:00", "12:00"]}}),
    ] {
        let bad = problem(p.post(&msgs, &body).await, 422).await;
        assert_eq!(fields_of(&bad), ["reply_to"], "{body}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM chat_messages WHERE chat_id = '{news}'"
        ))
        .await,
        2,
        "nothing written by the refused"
    );
    // The student has one unread post (the comment is not waiting for them); the page of
    // posts holds the post, with its views and comments; its thread, the comment.
    assert_eq!(
        find(&chats_of(&s).await, "school_channel").unwrap()["unread"],
        1
    );
    // Commenting, or opening a post's comments, does not read the posts between.
    let unread = |list: Vec<Value>| find(&list, "school_channel").unwrap()["unread"].clone();
    assert_eq!(unread(chats_of(&p).await), 1);
    assert_eq!(p.get(&format!("{msgs}?thread=1")).await.status(), 200);
    assert_eq!(unread(chats_of(&p).await), 1);
    assert_eq!(p.get(&msgs).await.status(), 200);
    assert_eq!(unread(chats_of(&p).await), 0);
    let h: Value = s.get(&msgs).await.json().await.unwrap();
    let posts = h["messages"].as_array().unwrap();
    assert_eq!(places(&h), [1]);
    assert_eq!(posts[0]["comments"], 1);
    // The parent and the student read it; its author is not counted.
    assert_eq!(posts[0]["views"], 2, "{h}");
    assert_eq!(
        find(&chats_of(&s).await, "school_channel").unwrap()["unread"],
        0
    );
    let th: Value = s
        .get(&format!("{msgs}?thread=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(places(&th), [1, 2]);
    assert_eq!(th["thread"], 1);
    let bad = problem(s.get(&format!("{msgs}?thread=2")).await, 422).await;
    assert_eq!(fields_of(&bad), ["thread"]);
    // On the pages: the post with its figures, the thread with the comment and a form
    // that comments; a comment sent from it goes back to the thread.
    let html = s.get(&format!("/chats/{news}")).await.text().await.unwrap();
    assert!(html.contains("Просмотры: 2"), "{html}");
    assert!(html.contains(&format!("href=\"/chats/{news}?thread=1\">Комментарии: 1")));
    assert!(
        !html.contains("Придём всей семьёй"),
        "comments stay in their thread"
    );
    let html = s
        .get(&format!("/chats/{news}?thread=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Придём всей семьёй"));
    assert!(html.contains("name=\"reply_to\" value=\"1\""));
    let res = s
        .form(
            &format!("/chats/{news}"),
            &[("text", "А можно с выпечкой?"), ("reply_to", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/chats/{news}?thread=1#m3").as_str()
    );
    // A comment's place: its thread.
    let res = s.get(&format!("/chats/{news}/at/3")).await;
    assert_eq!(
        res.headers()["location"],
        format!("/chats/{news}?thread=1#m3").as_str()
    );

    // A class's channel: its class teacher posts, the class's families read.
    let class_channel = id_of(&chats_of(&s).await, "class_channel");
    let led = chats_of(&t).await;
    let of_class = led
        .iter()
        .find(|c| c["kind"] == "class_channel" && c["class_id"] == class.as_str())
        .expect("the class teacher's class's channel");
    assert_eq!(of_class["id"], class_channel.as_str());
    assert!(chats_of(&p)
        .await
        .iter()
        .any(|c| c["id"] == class_channel.as_str()));
    let cm = format!("/api/v1/chats/{class_channel}/messages");
    assert_eq!(
        t.post(&cm, &json!({"text": "Консультация во вторник"}))
            .await
            .status(),
        201
    );
    problem(s.post(&cm, &json!({"text": "Ура"})).await, 403).await;
    // The director settles complaints there but does not read along.
    problem(d.get(&cm).await, 404).await;

    // A teacher's own channel: one in their school, a title needed.
    let bad = problem(
        t.post("/api/v1/channels", &json!({"title": "  "})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), ["title"]);
    let long = "Я".repeat(101);
    let bad = problem(
        t.post("/api/v1/channels", &json!({"title": long})).await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), ["title"]);
    let res = t
        .post(
            "/api/v1/channels",
            &json!({"title": "Математика без страха", "description": "Разборы задач и советы"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let own = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let again = problem(
        t.post("/api/v1/channels", &json!({"title": "Второй"}))
            .await,
        409,
    )
    .await;
    assert_eq!(fields_of(&again), ["channel"]);
    problem(
        d.post("/api/v1/channels", &json!({"title": "Директорский"}))
            .await,
        403,
    )
    .await;
    assert!(chats_of(&t).await.iter().any(|c| c["id"] == own.as_str()));
    // The administration moderates it, but does not publish in it — now or later.
    let posts = format!("/api/v1/chats/{own}/messages");
    problem(
        d.post(&posts, &json!({"text": "Слово директора"})).await,
        403,
    )
    .await;
    let later = json!({"text": "Позже", "send_at": in_secs(3600)});
    let sched = format!("/api/v1/chats/{own}/scheduled");
    problem(d.post(&sched, &later).await, 403).await;
    let html = d.get(&format!("/chats/{own}")).await.text().await.unwrap();
    assert!(
        !html.contains("id=\"send\""),
        "no post form for the administration"
    );
    // Nor does a reader of the school's news schedule a post there.
    problem(
        p.post(&format!("/api/v1/chats/{news}/scheduled"), &later)
            .await,
        403,
    )
    .await;
    // Its families may follow it; it comes into their chats when they do.
    let offered = channels_of(&s).await;
    let entry = channel(&offered, &own).expect("offered to the teacher's pupils");
    assert_eq!(
        (entry["optional"].clone(), entry["subscribed"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(entry["description"], "Разборы задач и советы");
    assert!(!chats_of(&s).await.iter().any(|c| c["id"] == own.as_str()));
    let sub = format!("/api/v1/channels/{own}/subscription");
    assert_eq!(s.send("PUT", &sub, None).await.status(), 204);
    assert!(chats_of(&s).await.iter().any(|c| c["id"] == own.as_str()));
    assert_eq!(
        t.post(
            &format!("/api/v1/chats/{own}/messages"),
            &json!({"text": "Первая задача недели"})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        find(&chats_of(&s).await, "teacher_channel").unwrap()["unread"],
        1
    );
    assert_eq!(s.send("DELETE", &sub, None).await.status(), 204);
    assert!(!chats_of(&s).await.iter().any(|c| c["id"] == own.as_str()));
    // The school's news are followed by all: not unsubscribed.
    let stay = problem(
        s.send(
            "DELETE",
            &format!("/api/v1/channels/{news}/subscription"),
            None,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(fields_of(&stay), ["channel"]);
    // The channels' page: follow from it.
    let html = s.get("/channels").await.text().await.unwrap();
    assert!(
        html.contains("Математика без страха") && html.contains("Подписаться"),
        "{html}"
    );
    let res = s
        .form(&format!("/channels/{own}/follow"), &[("on", "1")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(chats_of(&s).await.iter().any(|c| c["id"] == own.as_str()));
    // A teacher's page offers to open a channel until they have one; refused input is
    // kept with the reason.
    let html = t.get("/channels").await.text().await.unwrap();
    assert!(
        !html.contains("action=\"/channels\""),
        "one channel a teacher"
    );

    // A pupil who leaves the school no longer reads its channels, nor the teacher's.
    leaves_school(&app, &student).await;
    let s = app.login("student").await;
    problem(s.get(&msgs).await, 404).await;
    problem(s.get(&format!("/api/v1/chats/{own}/messages")).await, 404).await;
    assert!(!chats_of(&s).await.iter().any(|c| c["id"] == own.as_str()));
}

async fn communities_of(c: &Client) -> Vec<Value> {
    let res = c.get("/api/v1/communities").await;
    assert_eq!(res.status(), 200);
    res.json::<Vec<Value>>().await.unwrap()
}

async fn found(c: &Client, title: &str) -> Value {
    communities_of(c)
        .await
        .into_iter()
        .find(|x| x["title"] == title)
        .unwrap_or(Value::Null)
}

async fn new_community(c: &Client, title: &str, reach: &str, mode: &str) -> String {
    let res = c
        .post(
            "/api/v1/communities",
            &json!({"title": title, "description": "Встречи по средам", "reach": reach, "join_mode": mode}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn communities_are_found_by_their_reach_and_joined_by_their_mode() {
    let app = spawn().await;
    let student = app.person_of("student").await;
    let d = app.login("director").await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;

    // Staff found communities; children and parents do not.
    problem(
        s.post(
            "/api/v1/communities",
            &json!({"title": "Мой клуб", "reach": "school", "join_mode": "open"}),
        )
        .await,
        403,
    )
    .await;
    problem(
        p.post(
            "/api/v1/communities",
            &json!({"title": "Клуб", "reach": "school", "join_mode": "open"}),
        )
        .await,
        403,
    )
    .await;
    let bad = problem(
        t.post(
            "/api/v1/communities",
            &json!({"title": " ", "reach": "school", "join_mode": "open"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), ["title"]);
    assert_eq!(
        t.post(
            "/api/v1/communities",
            &json!({"title": "Клуб", "reach": "galaxy", "join_mode": "open"})
        )
        .await
        .status(),
        422
    );

    // An open club of the school: a pupil finds it and joins at once; it is in their chats.
    let chess = new_community(&t, "Шахматный клуб", "school", "open").await;
    assert_eq!(found(&t, "Шахматный клуб").await["standing"], "moderator");
    let entry = found(&s, "Шахматный клуб").await;
    assert_eq!(
        (entry["standing"].clone(), entry["members"].clone()),
        (json!("outside"), json!(1))
    );
    problem(s.get(&format!("/api/v1/chats/{chess}/messages")).await, 404).await;
    let joined: Value = s
        .post(
            &format!("/api/v1/communities/{chess}/membership"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(joined["standing"], "member");
    assert_eq!(id_of(&chats_of(&s).await, "community"), chess);
    let res = s
        .post(
            &format!("/api/v1/chats/{chess}/messages"),
            &json!({"text": "Я приду в среду"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    // Parents are not reached by a school's club.
    assert!(communities_of(&p).await.is_empty());

    // By request: the pupil asks, the moderator lets them in.
    let theatre = new_community(&t, "Театральная студия", "school", "request").await;
    let asked: Value = s
        .post(
            &format!("/api/v1/communities/{theatre}/membership"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(asked["standing"], "requested");
    problem(
        s.get(&format!("/api/v1/chats/{theatre}/messages")).await,
        404,
    )
    .await;
    let people: Value = t
        .get(&format!("/api/v1/communities/{theatre}/people"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(people["requests"][0]["person_id"], student.as_str());
    // Only its moderators manage its people; nobody changes their own standing.
    problem(
        s.get(&format!("/api/v1/communities/{theatre}/people"))
            .await,
        403,
    )
    .await;
    let me = app.person_of("teacher").await;
    let own = problem(
        t.send(
            "PUT",
            &format!("/api/v1/communities/{theatre}/people/{me}"),
            Some(&json!({"standing": "member"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&own), ["person"]);
    let res = t
        .send(
            "PUT",
            &format!("/api/v1/communities/{theatre}/people/{student}"),
            Some(&json!({"standing": "member"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        s.get(&format!("/api/v1/chats/{theatre}/messages"))
            .await
            .status(),
        200
    );
    // A pupil does not moderate; the founder's part is theirs; the last moderator stays.
    let put = |id: &str, person: &str| format!("/api/v1/communities/{id}/people/{person}");
    let bad = problem(
        t.send(
            "PUT",
            &put(&theatre, &student),
            Some(&json!({"standing": "moderator"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), ["standing"]);
    let last = problem(
        t.send(
            "DELETE",
            &format!("/api/v1/communities/{theatre}/membership"),
            None,
        )
        .await,
        409,
    )
    .await;
    assert_eq!(fields_of(&last), ["community"]);
    // A member removed stays out of an open club (until let back).
    let res = t
        .send(
            "PUT",
            &put(&chess, &student),
            Some(&json!({"standing": "outside"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    problem(s.get(&format!("/api/v1/chats/{chess}/messages")).await, 404).await;
    let out = problem(
        s.post(
            &format!("/api/v1/communities/{chess}/membership"),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    assert!(
        out["detail"].as_str().unwrap().contains("исключил"),
        "{out}"
    );
    let back = t
        .send(
            "PUT",
            &format!("/api/v1/chats/{chess}/restrictions/{student}"),
            Some(&json!({"kind": "none"})),
        )
        .await;
    assert!(back.status().is_success(), "{}", back.status());
    let rejoined: Value = s
        .post(
            &format!("/api/v1/communities/{chess}/membership"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejoined["standing"], "member");
    assert!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'community_member'")
            .await
            >= 1
    );

    // By invitation: not found until invited; the invited accepts.
    let team = new_community(&t, "Олимпиадная команда", "school", "invite").await;
    assert_eq!(found(&s, "Олимпиадная команда").await, Value::Null);
    problem(
        s.post(
            &format!("/api/v1/communities/{team}/membership"),
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    let res = t
        .send(
            "PUT",
            &format!("/api/v1/communities/{team}/people/{student}"),
            Some(&json!({"standing": "invited"})),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        found(&s, "Олимпиадная команда").await["standing"],
        "invited"
    );
    let html = s.get("/communities").await.text().await.unwrap();
    assert!(
        html.contains("Вас пригласили") && html.contains("Олимпиадная команда"),
        "{html}"
    );
    let res = s.form(&format!("/communities/{team}/join"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/chats/{team}").as_str());
    assert_eq!(found(&s, "Олимпиадная команда").await["standing"], "member");

    // A professional community of the municipality: its schools' staff, not pupils.
    let method = new_community(
        &d,
        "Методическое объединение учителей математики",
        "municipality",
        "open",
    )
    .await;
    assert_eq!(
        found(&t, "Методическое объединение учителей математики").await["standing"],
        "outside"
    );
    assert_eq!(
        found(&s, "Методическое объединение учителей математики").await,
        Value::Null
    );
    problem(
        s.post(
            &format!("/api/v1/communities/{method}/membership"),
            &json!({}),
        )
        .await,
        404,
    )
    .await;

    // The page: founding with a refused title keeps what was typed.
    let res = t
        .form(
            "/communities",
            &[
                ("title", ""),
                ("description", "Про роботов"),
                ("reach", "school"),
                ("join_mode", "open"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Назовите сообщество") && html.contains("Про роботов"),
        "{html}"
    );

    // A pupil who leaves the school leaves its clubs.
    leaves_school(&app, &student).await;
    let s = app.login("student").await;
    problem(s.get(&format!("/api/v1/chats/{chess}/messages")).await, 404).await;
    assert!(!chats_of(&s).await.iter().any(|c| c["id"] == chess.as_str()));
}

#[tokio::test]
async fn broadcasts_are_watched_and_commented_by_their_audience() {
    let app = spawn().await;
    let (_student, _teacher, class) = teacher_leads_students_class(&app).await;
    let d = app.login("director").await;
    let t = app.login("teacher").await;
    let s = app.login("student").await;
    let p = app.login("parent").await;
    let stream = "https://video.school.ru/live/index.m3u8";
    let new = |title: &str, class: Option<&str>| json!({"title": title, "starts_at": in_secs(3600), "stream_url": stream, "class_id": class});

    // Refused input names its field, and nothing is made.
    for (body, field) in [
        (
            json!({"title": " ", "starts_at": in_secs(60), "stream_url": stream}),
            "title",
        ),
        (
            json!({"title": "Концерт", "starts_at": "завтра", "stream_url": stream}),
            "starts_at",
        ),
        (
            json!({"title": "Концерт", "starts_at": in_secs(60), "stream_url": "ftp://video.school.ru/a"}),
            "stream_url",
        ),
        (
            json!({"title": "Концерт", "starts_at": in_secs(60), "stream_url": "https://t.me/school_live"}),
            "stream_url",
        ),
        (
            json!({"title": "Концерт", "starts_at": in_secs(60), "stream_url": "https://t.me\\@video.school.ru/live"}),
            "stream_url",
        ),
        (
            json!({"title": "Концерт", "starts_at": in_secs(60), "stream_url": "javascript:alert(1)"}),
            "stream_url",
        ),
    ] {
        let bad = problem(d.post("/api/v1/broadcasts", &body).await, 422).await;
        assert_eq!(fields_of(&bad), [field], "{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM chat_broadcasts").await, 0);
    // The school's broadcast is its administration's; a class's its teachers'.
    problem(
        t.post("/api/v1/broadcasts", &new("Концерт", None)).await,
        403,
    )
    .await;
    problem(
        s.post("/api/v1/broadcasts", &new("Мой стрим", Some(&class)))
            .await,
        403,
    )
    .await;
    problem(
        p.post("/api/v1/broadcasts", &new("Собрание", Some(&class)))
            .await,
        403,
    )
    .await;
    let res = d
        .post("/api/v1/broadcasts", &new("Новогодний концерт", None))
        .await;
    assert_eq!(res.status(), 201);
    let show = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = t
        .post(
            "/api/v1/broadcasts",
            &new("Открытый урок математики", Some(&class)),
        )
        .await;
    assert_eq!(res.status(), 201);
    let lesson = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The school's people see the school's; the class's families its own.
    for c in [&s, &p, &t] {
        let list: Vec<Value> = c.get("/api/v1/broadcasts").await.json().await.unwrap();
        let ids: Vec<&str> = list.iter().filter_map(|b| b["id"].as_str()).collect();
        assert!(
            ids.contains(&show.as_str()) && ids.contains(&lesson.as_str()),
            "{list:?}"
        );
    }
    let b: Value = s
        .get(&format!("/api/v1/broadcasts/{show}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (b["organiser"].clone(), b["stream_url"].clone()),
        (json!(false), json!(stream))
    );
    // Who follows its comments live counts as watching.
    let mut live = s.get(&format!("/api/v1/chats/{show}/events")).await;
    assert_eq!(live.status(), 200);
    let b: Value = d
        .get(&format!("/api/v1/broadcasts/{show}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["viewers"], 1, "{b}");
    // Comments: the audience writes, at a slow pace.
    let msgs = format!("/api/v1/chats/{show}/messages");
    assert_eq!(s.post(&msgs, &json!({"text": "Ждём!"})).await.status(), 201);
    read_until(&mut live, "Ждём!").await;
    problem(s.post(&msgs, &json!({"text": "Очень ждём!"})).await, 429).await;
    assert_eq!(
        p.post(&msgs, &json!({"text": "Мы тоже"})).await.status(),
        201
    );
    // The audience comments in words: no polls.
    let poll = json!({"text": "Что споём?", "poll": {"options": ["Ёлочка", "Снежинка"]}});
    let bad = problem(t.post(&msgs, &poll).await, 422).await;
    assert_eq!(fields_of(&bad), ["text"]);
    // Not past the slow mode by scheduling either.
    let later = json!({"text": "Позже", "send_at": in_secs(600)});
    problem(
        p.post(&format!("/api/v1/chats/{show}/scheduled"), &later)
            .await,
        403,
    )
    .await;
    drop(live);

    // On its page: the stream plays, and opens apart.
    let html = s.get(&format!("/chats/{show}")).await.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "<video class=\"stream\" controls playsinline preload=\"none\" src=\"{stream}\""
        )),
        "{html}"
    );
    assert!(html.contains("Открыть трансляцию"));
    // Its organiser ends it with the recording; the audience cannot.
    problem(
        s.post(&format!("/api/v1/broadcasts/{show}/end"), &json!({}))
            .await,
        403,
    )
    .await;
    let bad = problem(
        d.post(
            &format!("/api/v1/broadcasts/{show}/end"),
            &json!({"recording_url": "запись"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&bad), ["recording_url"]);
    let ended: Value = d
        .post(
            &format!("/api/v1/broadcasts/{show}/end"),
            &json!({"recording_url": "https://video.school.ru/rec/concert.mp4"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(ended["ended_at"].is_i64(), "{ended}");
    let html = p.get(&format!("/chats/{show}")).await.text().await.unwrap();
    assert!(
        html.contains("Запись трансляции")
            && html.contains("https://video.school.ru/rec/concert.mp4")
    );
    assert!(!html.contains("<video"), "no stream once it is over");
}
