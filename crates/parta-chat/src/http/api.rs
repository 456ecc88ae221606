//! `/api/v1/chats`: the caller's chats, a chat's history, a message, a read mark, and the
//! live stream (Server-Sent Events; a reconnecting client sends `Last-Event-ID` — the
//! last `seq` it has — and gets what it missed before what is new).

use super::Web;
use crate::{ChatSummary, Contacts, History, Message};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use parta_core::ids::ChatId;
use parta_core::Problem;
use parta_http::{path_id, ApiJson, ApiResult, Caller};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(chats))
        .routes(routes!(contacts))
        .routes(routes!(start_personal))
        .routes(routes!(history, post_message))
        .routes(routes!(read))
        .routes(routes!(events))
}

/// The caller's chats (their classes' chats and their school's staff room), the most
/// recent first, with unread counts.
#[utoipa::path(get, path = "/api/v1/chats", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    responses((status = 200, body = [ChatSummary])))]
async fn chats(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<ChatSummary>>> {
    Ok(Json(st.chats.list(&c.principal).await?))
}

/// The people the caller may start a personal chat with: a student — the staff of their
/// school; a parent — the teachers of their children's classes; a teacher — colleagues and
/// the students and parents of the classes they teach; the administration — its staff.
#[utoipa::path(get, path = "/api/v1/chats/contacts", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    responses((status = 200, body = Contacts)))]
async fn contacts(State(st): State<Web>, c: Caller) -> ApiResult<Json<Contacts>> {
    Ok(Json(st.chats.contacts(&c.principal).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StartPersonal {
    /// The person to write to.
    pub person: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    pub id: ChatId,
}

/// The caller's personal chat with someone (made if new), if roles and the registry let
/// the caller write to them.
#[utoipa::path(post, path = "/api/v1/chats/personal", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    request_body = StartPersonal,
    responses((status = 200, body = Started), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn start_personal(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<StartPersonal>,
) -> ApiResult<Json<Started>> {
    let person = req
        .person
        .parse()
        .map_err(|_| Problem::invalid("person", "Неверный идентификатор человека."))?;
    Ok(Json(Started {
        id: st.chats.start(&c.principal, person).await?,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `earlier` of the page after this one: the messages before this place.
    pub before: Option<i64>,
    /// Instead of a page back: the messages after this place (catching up).
    pub after: Option<i64>,
}

/// A chat's messages: the newest page (or the one before `before`), oldest first; or,
/// with `after`, what came after that place. Reading moves the caller's read mark.
#[utoipa::path(get, path = "/api/v1/chats/{id}/messages", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path), HistoryQuery),
    responses((status = 200, body = History), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn history(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let id: ChatId = path_id(&id)?;
    Ok(match q.after {
        Some(after) => Json(st.chats.after(&c.principal, id, after).await?).into_response(),
        None => Json(st.chats.history(&c.principal, id, q.before).await?).into_response(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessage {
    /// Up to 4000 characters; markup is kept as text.
    pub text: String,
    /// The `seq` of the message answered.
    pub reply_to: Option<i64>,
}

/// Sends a message to the chat; its members listening get it at once.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)), request_body = NewMessage,
    responses((status = 201, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn post_message(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewMessage>,
) -> ApiResult<(axum::http::StatusCode, Json<Message>)> {
    let m = st
        .chats
        .post(&c.principal, path_id(&id)?, &req.text, req.reply_to)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(m)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadMark {
    /// The last message read.
    pub seq: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// Moves the caller's read mark in the chat.
#[utoipa::path(post, path = "/api/v1/chats/{id}/read", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)), request_body = ReadMark,
    responses((status = 200, body = Done), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn read(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReadMark>,
) -> ApiResult<Json<Done>> {
    st.chats
        .mark_read(&c.principal, path_id(&id)?, req.seq)
        .await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The last `seq` the client has (the `Last-Event-ID` header wins when both are sent).
    pub after: Option<i64>,
}

/// The chat's new messages as they come (`text/event-stream`; each event's id is its
/// `seq`, its data the message as JSON). A reconnecting client gets what it missed first:
/// nothing lost, nothing twice.
#[utoipa::path(get, path = "/api/v1/chats/{id}/events", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path), EventsQuery),
    responses((status = 200, description = "text/event-stream of messages", content_type = "text/event-stream"), (status = 404, body = Problem)))]
async fn events(
    State(st): State<Web>,
    c: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<(
    [(axum::http::HeaderName, &'static str); 1],
    Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>,
)> {
    let id: ChatId = path_id(&id)?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.after);
    if last.is_some_and(|l| l < 0) {
        return Err(Problem::invalid("after", "Неверная позиция в чате.").into());
    }
    st.chats.may_listen(&c.principal, id).await?;
    // Listening first, then catching up: a message sent in between comes by either way
    // and is passed on once (by its seq).
    let rx = st.chats.hub().subscribe(id);
    let backlog = match last {
        Some(after) => st.chats.after(&c.principal, id, after).await?,
        None => Vec::new(),
    };
    let state = Stream {
        chats: st.chats.clone(),
        principal: c.principal,
        chat: id,
        sent: last.unwrap_or(i64::MAX),
        behind: backlog.len() as i64 >= crate::PAGE,
        until: tokio::time::Instant::now() + STREAM_LIFETIME,
        queue: backlog.into_iter().map(Arc::new).collect(),
        rx,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        let next = s.next().await?;
        Some((Ok(next), s))
    });
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Sse::new(stream).keep_alive(KeepAlive::default()),
    ))
}

/// How long one connection of the stream lives: the client reconnects by itself (with
/// `Last-Event-ID`), and the reconnection asks the policy again with the caller's current
/// classes and session — a pupil who left the class, or a signed-out session, is cut off
/// within this time.
const STREAM_LIFETIME: std::time::Duration = std::time::Duration::from_secs(120);

struct Stream {
    chats: crate::Chats,
    principal: parta_core::principal::Principal,
    chat: ChatId,
    /// The last seq passed on (`i64::MAX` until the first live one: a client that asked
    /// for no history gets only what is new).
    sent: i64,
    /// More is waiting in the database than the last page read (a long absence), or a
    /// message came live before one it follows.
    behind: bool,
    /// When this connection ends (see [`STREAM_LIFETIME`]).
    until: tokio::time::Instant,
    queue: VecDeque<Arc<Message>>,
    rx: broadcast::Receiver<Arc<Message>>,
}

impl Stream {
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(m) = self.queue.pop_front() {
                if self.sent != i64::MAX && m.seq <= self.sent {
                    continue;
                }
                self.sent = m.seq;
                let data = serde_json::to_string(&*m).ok()?;
                return Some(
                    Event::default()
                        .id(m.seq.to_string())
                        .event("message")
                        .data(data),
                );
            }
            if self.behind {
                let missed = self
                    .chats
                    .after(&self.principal, self.chat, self.sent)
                    .await
                    .ok()?;
                self.behind = missed.len() as i64 >= crate::PAGE;
                self.queue.extend(missed.into_iter().map(Arc::new));
                continue;
            }
            let received = tokio::time::timeout_at(self.until, self.rx.recv())
                .await
                .ok()?;
            match received {
                Ok(m) => {
                    if self.sent == i64::MAX {
                        self.sent = m.seq - 1;
                    }
                    if m.seq > self.sent + 1 {
                        // Two messages published out of their order: the one between is
                        // committed (places are taken in order), so it is read from the
                        // database with this one.
                        self.behind = true;
                    } else {
                        self.queue.push_back(m);
                    }
                }
                // Fell behind the channel: catch up from the database.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if self.sent != i64::MAX {
                        self.behind = true;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
