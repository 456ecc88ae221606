//! The chat pages: the list and a chat. They work without JavaScript (read a page, post
//! through a form); `static/chat.js` adds messages as they come and sends without a reload.

use super::strings::{strings, Strings};
use super::Web;
use crate::{ChatKind, ChatSummary, History};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use parta_core::ids::ChatId;
use parta_core::Problem;
use parta_http::{render, Ctx, PageCaller, PageReq, PageResult, Pages};
use serde::Deserialize;

const CHAT_JS: &str = include_str!("../../static/chat.js");

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/chats", chats)
        .get("/chats/contacts", contacts)
        .post("/chats/personal", start_personal)
        .get("/chats/{id}", chat)
        .post("/chats/{id}", post)
        .get("/static/chat.js", chat_js)
}

async fn chat_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CHAT_JS,
    )
        .into_response()
}

/// A chat's title in the reader's language: «5А — ученики», «Учительская».
fn title(t: &Strings, c: &ChatSummary) -> String {
    match c.kind {
        ChatKind::ClassStudents => format!("{} — {}", c.title, t.students_of),
        ChatKind::ClassParents => format!("{} — {}", c.title, t.parents_of),
        ChatKind::StaffRoom => format!("{} — {}", t.staff_room, c.title),
        ChatKind::Personal => c.title.clone(),
    }
}

/// «12:05» today, «30.11 12:05» otherwise (the platform's time, as elsewhere on it).
fn when(at: i64) -> String {
    let full = parta_core::time::format_ms(at); // 30.11.2026 12:05
    let today = parta_core::time::today().format("%d.%m.%Y").to_string();
    match full.split_once(' ') {
        Some((day, time)) if day == today => time.to_string(),
        Some((day, time)) => format!("{} {time}", day.get(..5).unwrap_or(day)),
        None => full,
    }
}

#[derive(Template)]
#[template(path = "chats.html")]
struct ChatsPage {
    ctx: Ctx,
    t: &'static Strings,
    /// (chat, its title, when its last message came)
    chats: Vec<(ChatSummary, String, String)>,
}

async fn chats(State(st): State<Web>, headers: HeaderMap, uri: Uri, pc: PageCaller) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let list = st.chats.list(&r.caller.principal).await?;
    let chats = list
        .into_iter()
        .map(|c| {
            let (name, at) = (
                title(t, &c),
                if c.last_at > 0 {
                    when(c.last_at)
                } else {
                    String::new()
                },
            );
            (c, name, at)
        })
        .collect();
    Ok(private(render(&ChatsPage {
        ctx: r.ctx(),
        t,
        chats,
    })))
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    ctx: Ctx,
    t: &'static Strings,
    /// (group title, people)
    groups: Vec<(&'static str, Vec<crate::Contact>)>,
}

async fn contacts(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let c = st.chats.contacts(&r.caller.principal).await?;
    let groups = [
        (t.group_teachers, c.teachers),
        (t.group_staff, c.staff),
        (t.group_students, c.students),
        (t.group_parents, c.parents),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    Ok(private(render(&ContactsPage {
        ctx: r.ctx(),
        t,
        groups,
    })))
}

#[derive(Deserialize)]
struct StartForm {
    person: String,
}

async fn start_personal(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<StartForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let person = f.person.parse().map_err(|_| Problem::not_found())?;
    let id = st.chats.start(&r.caller.principal, person).await?;
    Ok(Redirect::to(&format!("/chats/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    ctx: Ctx,
    t: &'static Strings,
    title: String,
    history: History,
    /// (seq, author, time, text, own)
    lines: Vec<(i64, String, String, String, bool)>,
    /// Paging back (the newest page has no `before`).
    paged: bool,
    /// What the caller typed, kept when it was refused.
    draft: String,
    /// The caller's person id: the script marks their own messages by it.
    me: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ChatQuery {
    before: Option<i64>,
}

fn page(
    r: &PageReq,
    t: &'static Strings,
    history: History,
    paged: bool,
    draft: String,
    error: Option<String>,
) -> ChatPage {
    let me = r.caller.principal.person_id;
    let lines = history
        .messages
        .iter()
        .map(|m| {
            (
                m.seq,
                m.author.clone(),
                when(m.at),
                m.text.clone(),
                m.author_id == me,
            )
        })
        .collect();
    ChatPage {
        ctx: r.ctx(),
        t,
        title: title(t, &history.chat),
        history,
        lines,
        paged,
        draft,
        error,
        me: me.to_string(),
    }
}

async fn chat(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<ChatQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let id: ChatId = id.parse().map_err(|_| Problem::not_found())?;
    let history = st.chats.history(&r.caller.principal, id, q.before).await?;
    Ok(private(render(&page(
        &r,
        t,
        history,
        q.before.is_some(),
        String::new(),
        None,
    ))))
}

#[derive(Deserialize)]
struct PostForm {
    text: String,
}

async fn post(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PostForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let id: ChatId = id.parse().map_err(|_| Problem::not_found())?;
    match st.chats.post(&r.caller.principal, id, &f.text, None).await {
        Ok(m) => Ok(Redirect::to(&format!("/chats/{id}#m{}", m.seq)).into_response()),
        // A refused message: the chat again with the text kept and the reason.
        Err(p) if p.status == 422 || p.status == 429 => {
            let history = st.chats.history(&r.caller.principal, id, None).await?;
            let reason = parta_http::page::messages(&p, r.ctx().lang).join(" ");
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            Ok((
                status,
                private(render(&page(&r, t, history, false, f.text, Some(reason)))),
            )
                .into_response())
        }
        Err(p) => Err(p.into()),
    }
}

/// Conversations are personal: never kept by a cache.
fn private(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}
