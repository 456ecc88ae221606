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
        .get("/chats/search", search)
        .post("/chats/personal", start_personal)
        .get("/chats/{id}", chat)
        .post("/chats/{id}", post)
        .post("/chats/{id}/ack/{seq}", acknowledge)
        .get("/chats/{id}/acks/{seq}", acks)
        .post("/chats/{id}/delete/{seq}", delete)
        .post("/chats/{id}/pin/{seq}", pin)
        .post("/chats/{id}/settings", settings)
        .get("/chats/{id}/edit/{seq}", edit_form)
        .post("/chats/{id}/edit/{seq}", edit)
        .get("/chats/complaints", complaints)
        .get("/chats/activity", activity)
        .get("/chats/{id}/complain/{seq}", complain_form)
        .post("/chats/{id}/complain/{seq}", complain)
        .post("/chats/{id}/moderate/{seq}", moderate)
        .get("/chats/{id}/restrictions", restrictions)
        .post("/chats/{id}/restrictions/{person}", restrict)
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
    title_of(t, c.kind, &c.title)
}

fn title_of(t: &Strings, kind: ChatKind, name: &str) -> String {
    match kind {
        ChatKind::ClassStudents => format!("{name} — {}", t.students_of),
        ChatKind::ClassParents => format!("{name} — {}", t.parents_of),
        ChatKind::StaffRoom => format!("{} — {name}", t.staff_room),
        ChatKind::Personal => name.to_string(),
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
    /// A teacher or the administration: the complaints page is theirs.
    moderates: bool,
    /// The administration and the operators: the activity figures are theirs.
    figures: bool,
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
    let role = r.caller.principal.role();
    Ok(private(render(&ChatsPage {
        ctx: r.ctx(),
        t,
        chats,
        moderates: matches!(
            role,
            parta_core::principal::Role::Teacher | parta_core::principal::Role::SchoolAdmin
        ),
        figures: matches!(
            role,
            parta_core::principal::Role::SchoolAdmin
                | parta_core::principal::Role::MunicipalOperator
                | parta_core::principal::Role::RegionalOperator
        ),
    })))
}

/// A found message as the results page shows it.
struct FoundView {
    chat: ChatId,
    chat_title: String,
    seq: i64,
    author: String,
    at: String,
    parts: Vec<crate::TextPart>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    ctx: Ctx,
    t: &'static Strings,
    q: String,
    /// Searching one chat: its id (the form keeps it).
    chat: String,
    /// Whether a search was made (the form alone otherwise).
    searched: bool,
    found: Vec<FoundView>,
    /// The next page's link.
    more: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct SearchForm {
    q: Option<String>,
    chat: Option<String>,
    offset: Option<String>,
}

/// Search in the caller's chats (or one of them): the form, and what it found.
async fn search(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(f): Query<SearchForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let q = f.q.unwrap_or_default();
    let chat_raw = f.chat.unwrap_or_default();
    let mut page = SearchPage {
        ctx: r.ctx(),
        t,
        q: q.clone(),
        chat: chat_raw.clone(),
        searched: false,
        found: Vec::new(),
        more: None,
        error: None,
    };
    let (chat, offset) = super::api::search_args(Some(&chat_raw), f.offset.as_deref())?;
    if q.trim().is_empty() {
        return Ok(private(render(&page)));
    }
    match st.chats.search(&r.caller.principal, &q, chat, offset).await {
        Ok(res) => {
            page.searched = true;
            page.more = res.more.map(|o| {
                let mut u = form_urlencoded::Serializer::new(String::new());
                u.append_pair("q", &q);
                if !chat_raw.is_empty() {
                    u.append_pair("chat", &chat_raw);
                }
                u.append_pair("offset", &o.to_string());
                format!("/chats/search?{}", u.finish())
            });
            page.found = res
                .found
                .into_iter()
                .map(|f| FoundView {
                    chat: f.chat_id,
                    chat_title: title_of(t, f.chat_kind, &f.chat_title),
                    seq: f.message.seq,
                    author: f.message.author,
                    at: when(f.message.at),
                    parts: f.parts,
                })
                .collect();
            Ok(private(render(&page)))
        }
        // A query it cannot look for: the form again with it kept and the reason.
        Err(e) if e.status == 422 => {
            page.error = Some(parta_http::page::messages(&e, r.ctx().lang).join(" "));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, private(render(&page))).into_response())
        }
        Err(e) => Err(e.into()),
    }
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

/// A message as the chat page shows it.
struct LineView {
    seq: i64,
    author: String,
    at: String,
    text: String,
    own: bool,
    urgent: bool,
    edited: bool,
    deleted: bool,
    acknowledged: Option<bool>,
    acks: Option<i64>,
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    ctx: Ctx,
    t: &'static Strings,
    title: String,
    history: History,
    lines: Vec<LineView>,
    /// Paging back (the newest page has no `before`).
    paged: bool,
    /// What the caller typed, kept when it was refused.
    draft: String,
    urgent: bool,
    /// The caller's person id: the script marks their own messages by it.
    me: String,
    error: Option<String>,
    /// Slow modes to choose from: (seconds, label).
    slow_modes: Vec<(i64, String)>,
    /// The chat's slow mode in words.
    slow_label: String,
}

/// «30 с», «5 мин», «выключен».
fn slow_label(t: &Strings, secs: i64) -> String {
    match secs {
        0 => t.slow_off.to_string(),
        s if s % 60 == 0 => format!("{} {}", s / 60, t.minutes),
        s => format!("{s} {}", t.seconds),
    }
}

#[derive(Deserialize)]
struct ChatQuery {
    before: Option<i64>,
}

/// What the caller sent, kept when it was refused.
struct Draft {
    text: String,
    urgent: bool,
    error: Option<String>,
}

fn page(r: &PageReq, t: &'static Strings, history: History, paged: bool, draft: Draft) -> ChatPage {
    let me = r.caller.principal.person_id;
    let lines = history
        .messages
        .iter()
        .map(|l| {
            let m = &l.message;
            LineView {
                seq: m.seq,
                author: m.author.clone(),
                at: when(m.at),
                text: m.text.clone(),
                own: m.author_id == me,
                urgent: m.urgent,
                edited: m.edited_at.is_some(),
                deleted: m.deleted,
                acknowledged: l.acknowledged,
                acks: l.acks,
            }
        })
        .collect();
    let slow = slow_label(t, history.chat.slow_seconds);
    ChatPage {
        ctx: r.ctx(),
        t,
        title: title(t, &history.chat),
        history,
        lines,
        paged,
        draft: draft.text,
        urgent: draft.urgent,
        error: draft.error,
        me: me.to_string(),
        slow_label: slow,
        slow_modes: crate::SLOW_MODES
            .iter()
            .map(|s| (*s, slow_label(t, *s)))
            .collect(),
    }
}

fn chat_id(raw: &str) -> Result<ChatId, Problem> {
    raw.parse().map_err(|_| Problem::not_found())
}

fn seq_of(raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|s| *s >= 0)
        .ok_or_else(Problem::not_found)
}

/// Back to the message in the chat (its page of history).
fn back_to(id: ChatId, seq: i64) -> Response {
    Redirect::to(&format!("/chats/{id}?before={}#m{seq}", seq + 1)).into_response()
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
    let id = chat_id(&id)?;
    let history = st.chats.history(&r.caller.principal, id, q.before).await?;
    let draft = Draft {
        text: String::new(),
        urgent: false,
        error: None,
    };
    Ok(private(render(&page(
        &r,
        t,
        history,
        q.before.is_some(),
        draft,
    ))))
}

#[derive(Deserialize)]
struct PostForm {
    text: String,
    urgent: Option<String>,
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
    let id = chat_id(&id)?;
    let urgent = f.urgent.is_some();
    let p = &r.caller.principal;
    match st.chats.post_as(p, id, &f.text, None, urgent, None).await {
        Ok(m) => Ok(Redirect::to(&format!("/chats/{id}#m{}", m.seq)).into_response()),
        // A refused message: the chat again with the text kept and the reason.
        Err(e) if e.status == 422 || e.status == 429 || (urgent && e.status == 403) => {
            let history = st.chats.history(p, id, None).await?;
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let draft = Draft {
                text: f.text,
                urgent,
                error: Some(reason),
            };
            Ok((status, private(render(&page(&r, t, history, false, draft)))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn acknowledge(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    st.chats.acknowledge(&pc.0.principal, id, seq).await?;
    Ok(back_to(id, seq))
}

#[derive(Template)]
#[template(path = "acks.html")]
struct AcksPage {
    ctx: Ctx,
    t: &'static Strings,
    chat: ChatId,
    report: crate::AckReport,
    /// (name, when)
    acked: Vec<(String, String)>,
}

async fn acks(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let report = st.chats.acks(&r.caller.principal, id, seq).await?;
    let acked = report
        .acknowledged
        .iter()
        .map(|a| (a.name.clone(), when(a.at)))
        .collect();
    Ok(private(render(&AcksPage {
        ctx: r.ctx(),
        t,
        chat: id,
        report,
        acked,
    })))
}

async fn delete(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let c = pc.0;
    st.chats.delete(&c.principal, id, seq, c.origin.ip).await?;
    Ok(back_to(id, seq))
}

async fn pin(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let c = pc.0;
    let settings = crate::ChatSettings {
        pinned: Some(seq),
        ..Default::default()
    };
    st.chats
        .settle(&c.principal, id, &settings, c.origin.ip)
        .await?;
    Ok(Redirect::to(&format!("/chats/{id}")).into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    read_only: Option<String>,
    slow_seconds: Option<String>,
}

async fn settings(
    State(st): State<Web>,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<SettingsForm>,
) -> PageResult {
    let id = chat_id(&id)?;
    let c = pc.0;
    let slow_seconds = match f.slow_seconds.as_deref() {
        Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
            Problem::invalid(
                "slow_seconds",
                "Медленный режим: выберите 0 (выключен), 10, 30, 60 или 300 секунд.",
            )
        })?),
        None => None,
    };
    let settings = crate::ChatSettings {
        read_only: f.read_only.map(|r| r == "1"),
        pinned: None,
        slow_seconds,
    };
    st.chats
        .settle(&c.principal, id, &settings, c.origin.ip)
        .await?;
    Ok(Redirect::to(&format!("/chats/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    ctx: Ctx,
    t: &'static Strings,
    chat: ChatId,
    seq: i64,
    text: String,
    error: Option<String>,
}

async fn edit_form(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let text = st.chats.own_text(&r.caller.principal, id, seq).await?;
    Ok(private(render(&EditPage {
        ctx: r.ctx(),
        t,
        chat: id,
        seq,
        text,
        error: None,
    })))
}

async fn edit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
    Form(f): Form<PostForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    match st.chats.edit(&r.caller.principal, id, seq, &f.text).await {
        Ok(_) => Ok(back_to(id, seq)),
        Err(e) if e.status == 422 => {
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                private(render(&EditPage {
                    ctx: r.ctx(),
                    t,
                    chat: id,
                    seq,
                    text: f.text,
                    error: Some(reason),
                })),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
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

#[derive(Template)]
#[template(path = "complain.html")]
struct ComplainPage {
    ctx: Ctx,
    t: &'static Strings,
    chat: ChatId,
    seq: i64,
    author: String,
    text: String,
    /// (value, label)
    reasons: Vec<(&'static str, &'static str)>,
    reason: String,
    comment: String,
    sent: bool,
    error: Option<String>,
}

fn reasons(t: &Strings) -> Vec<(&'static str, &'static str)> {
    use crate::ComplaintReason as R;
    R::ALL
        .iter()
        .map(|r| {
            (
                r.as_str(),
                match r {
                    R::Abuse => t.reason_abuse,
                    R::Spam => t.reason_spam,
                    R::PersonalData => t.reason_personal_data,
                    R::Inappropriate => t.reason_inappropriate,
                    R::Other => t.reason_other,
                },
            )
        })
        .collect()
}

fn reason_label(t: &Strings, r: crate::ComplaintReason) -> &'static str {
    reasons(t)
        .into_iter()
        .find(|(v, _)| *v == r.as_str())
        .map(|(_, l)| l)
        .unwrap_or(t.reason_other)
}

async fn complain_page(
    st: &Web,
    r: &PageReq,
    id: ChatId,
    seq: i64,
) -> Result<ComplainPage, Problem> {
    let t = strings(&r.headers);
    let m = st.chats.message_of(&r.caller.principal, id, seq).await?;
    Ok(ComplainPage {
        ctx: r.ctx(),
        t,
        chat: id,
        seq,
        author: m.author,
        text: m.text,
        reasons: reasons(t),
        reason: String::new(),
        comment: String::new(),
        sent: false,
        error: None,
    })
}

async fn complain_form(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    Ok(private(render(&complain_page(&st, &r, id, seq).await?)))
}

#[derive(Deserialize)]
struct ComplainForm {
    reason: Option<String>,
    #[serde(default)]
    comment: String,
}

async fn complain(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
    Form(f): Form<ComplainForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let reason = f.reason.unwrap_or_default();
    let mut page = complain_page(&st, &r, id, seq).await?;
    match st
        .chats
        .complain(&r.caller.principal, id, seq, &reason, &f.comment)
        .await
    {
        Ok(()) => {
            page.sent = true;
            Ok(private(render(&page)))
        }
        // Refused: the form again with what was chosen and typed, and the reason.
        Err(e) if e.status == 422 || e.status == 429 => {
            page.error = Some(parta_http::page::messages(&e, r.ctx().lang).join(" "));
            page.reason = reason;
            page.comment = f.comment;
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            Ok((status, private(render(&page))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// An open complaint as the page shows it.
struct ComplaintView {
    chat: ChatId,
    chat_title: String,
    seq: i64,
    author: String,
    text: String,
    earlier: Vec<String>,
    reason: &'static str,
    comment: String,
    by: String,
    at: String,
    count: i64,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    ctx: Ctx,
    t: &'static Strings,
    items: Vec<ComplaintView>,
}

async fn complaints(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let list = st
        .chats
        .complaints(&r.caller.principal, r.caller.origin.ip.clone())
        .await?;
    let items = list
        .into_iter()
        .map(|c| ComplaintView {
            chat: c.chat_id,
            chat_title: if c.chat_kind == ChatKind::Personal {
                t.personal_chat.to_string()
            } else {
                title_of(t, c.chat_kind, &c.chat_title)
            },
            seq: c.seq,
            author: c.author,
            text: c.text,
            earlier: c.earlier,
            reason: reason_label(t, c.reason),
            comment: c.comment,
            by: c.by,
            at: when(c.at),
            count: c.count,
        })
        .collect();
    Ok(private(render(&ComplaintsPage {
        ctx: r.ctx(),
        t,
        items,
    })))
}

#[derive(Deserialize)]
struct ModerateForm {
    action: String,
    hours: Option<String>,
    /// "complaints": back to the complaints page (else to the message).
    back: Option<String>,
}

async fn moderate(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
    Form(f): Form<ModerateForm>,
) -> PageResult {
    use crate::Resolution as R;
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let action = match f.action.as_str() {
        "dismiss" => R::Dismiss,
        "hide" => R::Hide,
        "mute" => R::Mute,
        "remove" => R::Remove,
        _ => return Err(Problem::invalid("action", "Выберите, что сделать с сообщением.").into()),
    };
    let hours = match f.hours.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => Some(h.parse::<i64>().map_err(|_| {
            Problem::invalid(
                "hours",
                "Укажите, на сколько часов запретить писать: от 1 до 2880.",
            )
        })?),
        None => None,
    };
    let c = pc.0;
    st.chats
        .moderate(&c.principal, id, seq, action, hours, c.origin.ip)
        .await?;
    Ok(if f.back.as_deref() == Some("complaints") {
        Redirect::to("/chats/complaints").into_response()
    } else {
        back_to(id, seq)
    })
}

#[derive(Template)]
#[template(path = "restrictions.html")]
struct RestrictionsPage {
    ctx: Ctx,
    t: &'static Strings,
    chat: ChatId,
    /// (name, what, person id)
    items: Vec<(String, String, String)>,
}

async fn restrictions(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let id = chat_id(&id)?;
    let list = st.chats.restricted(&r.caller.principal, id).await?;
    let items = list
        .into_iter()
        .map(|x| {
            let what = match (x.kind.as_str(), x.until) {
                ("remove", _) => t.removed.to_string(),
                (_, Some(u)) => format!("{} {}", t.muted_until, parta_core::time::format_ms(u)),
                _ => t.muted_forever.to_string(),
            };
            (x.name, what, x.person_id.to_string())
        })
        .collect();
    Ok(private(render(&RestrictionsPage {
        ctx: r.ctx(),
        t,
        chat: id,
        items,
    })))
}

#[derive(Deserialize)]
struct RestrictForm {
    kind: String,
    hours: Option<String>,
}

async fn restrict(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, person)): Path<(String, String)>,
    Form(f): Form<RestrictForm>,
) -> PageResult {
    let id = chat_id(&id)?;
    let person = person.parse().map_err(|_| Problem::not_found())?;
    let hours = f.hours.as_deref().and_then(|h| h.trim().parse().ok());
    let c = pc.0;
    st.chats
        .restrict(&c.principal, id, person, &f.kind, hours, c.origin.ip)
        .await?;
    Ok(Redirect::to(&format!("/chats/{id}/restrictions")).into_response())
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    ctx: Ctx,
    t: &'static Strings,
    report: crate::ActivityReport,
    /// (the school's figures, its share in per cent, whether it reaches the target)
    rows: Vec<(crate::SchoolActivity, String, bool)>,
    total_share: String,
    total_ok: bool,
    /// The weeks before and after (YYYY-MM-DD).
    prev: String,
    next: String,
    /// The week as «23.11–29.11.2026».
    label: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ActivityForm {
    week: Option<String>,
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

async fn activity(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(f): Query<ActivityForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    let (report, error) = match st.chats.activity(p, f.week.as_deref(), None).await {
        Ok(rep) => (rep, None),
        // A week it cannot read: this week, and the reason.
        Err(e) if e.status == 422 => (
            st.chats.activity(p, None, None).await?,
            Some(parta_http::page::messages(&e, r.ctx().lang).join(" ")),
        ),
        Err(e) => return Err(e.into()),
    };
    let monday = parta_core::time::parse_day(&report.week).unwrap_or_default();
    let day = |n: i64| monday + chrono::Duration::days(n);
    let target = report.target_share;
    let rows = report
        .schools
        .iter()
        .map(|a| {
            (
                a.clone(),
                percent(a.teacher_chats_share),
                a.teacher_chats_share >= target,
            )
        })
        .collect();
    let page = ActivityPage {
        ctx: r.ctx(),
        t,
        total_share: percent(report.total.teacher_chats_share),
        total_ok: report.total.teacher_chats_share >= target,
        prev: day(-7).to_string(),
        next: day(7).to_string(),
        label: format!("{}–{}", day(0).format("%d.%m"), day(6).format("%d.%m.%Y")),
        rows,
        report,
        error: error.clone(),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, private(render(&page))).into_response())
}
