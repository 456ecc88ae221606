//! `/api/v1/chats`: the caller's chats, a chat's history, a message, a read mark, and the
//! live stream (Server-Sent Events; a reconnecting client sends `Last-Event-ID` — the
//! last `seq` it has — and gets what it missed before what is new).

use super::Web;
use crate::live::Follower;
use crate::{
    AckReport, ActivityReport, Broadcast, ChannelEntry, ChatSettings, ChatSummary, CommunityEntry,
    CommunityPeople, Complaint, ComplaintReason, Contacts, FileRef, History, Message, NewBroadcast,
    NewChannel, NewCommunity, NewPoll, Outgoing, PollVoters, Resolution, Restricted, Scheduled,
    SearchResults, Standing,
};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use parta_core::ids::ChatId;
use parta_core::Problem;
use parta_http::{path_id, ApiJson, ApiResult, Caller};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(chats))
        .routes(routes!(contacts))
        .routes(routes!(search))
        .routes(routes!(activity))
        .routes(routes!(start_personal))
        .routes(routes!(channels, create_channel))
        .routes(routes!(subscribe, unsubscribe))
        .routes(routes!(broadcasts, create_broadcast))
        .routes(routes!(broadcast))
        .routes(routes!(end_broadcast))
        .routes(routes!(communities, create_community))
        .routes(routes!(join_community, leave_community))
        .routes(routes!(community_people))
        .routes(routes!(set_member))
        .routes(routes!(history, post_message))
        .routes(routes!(read))
        .routes(routes!(events))
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(acknowledge))
        .routes(routes!(react))
        .routes(routes!(vote))
        .routes(routes!(voters))
        .routes(routes!(close_poll))
        .routes(routes!(acks))
        .routes(routes!(settle))
        .routes(routes!(complain))
        .routes(routes!(complaints))
        .routes(routes!(moderate))
        .routes(routes!(restricted))
        .routes(routes!(restrict))
        .routes(routes!(download))
        .routes(routes!(scheduled, schedule))
        .routes(routes!(cancel_scheduled))
        .merge(OpenApiRouter::new().routes(routes!(upload)).layer(
            axum::extract::DefaultBodyLimit::max(crate::MAX_FILE_BYTES + 64 * 1024),
        ))
        .merge(super::socket::router())
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find, in any of their forms (up to 8 words, 200 characters).
    #[serde(default)]
    pub q: String,
    /// Only this chat.
    pub chat: Option<String>,
    /// `more` of the previous page.
    pub offset: Option<String>,
}

/// Parses the search's optional chat and offset, naming the field when they are wrong.
pub(crate) fn search_args(
    chat: Option<&str>,
    offset: Option<&str>,
) -> Result<(Option<ChatId>, usize), Problem> {
    let chat = match chat.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(path_id(c).map_err(|_| Problem::not_found())?),
        None => None,
    };
    let offset = match offset.map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => o
            .parse()
            .map_err(|_| Problem::invalid("offset", "Неверная страница результатов."))?,
        None => 0,
    };
    Ok((chat, offset))
}

/// Messages of the caller's chats (or of one) with every word in any of its forms
/// («контрольную» finds «контрольная»; one typo forgiven when nothing matches exactly),
/// the newest first, 30 a page.
#[utoipa::path(get, path = "/api/v1/chats/search", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn search(
    State(st): State<Web>,
    c: Caller,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let (chat, offset) = search_args(q.chat.as_deref(), q.offset.as_deref())?;
    Ok(Json(
        st.chats.search(&c.principal, &q.q, chat, offset).await?,
    ))
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

/// The channels the caller reads (каналы): their school's news and their classes'
/// channels, followed by all their people, and the teachers' channels of their schools
/// they may follow (`optional`; `subscribed`: in their list of chats). Posts and comments
/// are a chat's messages: `/api/v1/chats/{id}/messages` (`thread` for a post's comments).
#[utoipa::path(get, path = "/api/v1/channels", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    responses((status = 200, body = [ChannelEntry])))]
async fn channels(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<ChannelEntry>>> {
    Ok(Json(st.chats.channels(&c.principal).await?))
}

/// Opens the caller's own channel (a teacher, one in their school); comments are off
/// until they turn them on (`PATCH /api/v1/chats/{id}` with `read_only: false`).
#[utoipa::path(post, path = "/api/v1/channels", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    request_body = NewChannel,
    responses((status = 201, body = Started), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_channel(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<NewChannel>,
) -> ApiResult<(axum::http::StatusCode, Json<Started>)> {
    let id = st.chats.create_channel(&c.principal, &req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(Started { id })))
}

/// Follows a teacher's channel: it comes into the caller's list of chats.
#[utoipa::path(put, path = "/api/v1/channels/{id}/subscription", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn subscribe(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    st.chats
        .subscribe(&c.principal, path_id(&id)?, true)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Stops following a teacher's channel.
#[utoipa::path(delete, path = "/api/v1/channels/{id}/subscription", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn unsubscribe(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    st.chats
        .subscribe(&c.principal, path_id(&id)?, false)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The broadcasts the caller may watch (трансляции) from a week back, the soonest first:
/// the school's and their classes'. A broadcast's comments are its chat's messages
/// (`/api/v1/chats/{id}/messages`).
#[utoipa::path(get, path = "/api/v1/broadcasts", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    responses((status = 200, body = [Broadcast])))]
async fn broadcasts(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<Broadcast>>> {
    Ok(Json(st.chats.broadcasts(&c.principal).await?))
}

/// Schedules a broadcast: the school's (its administration) or a class's (`class_id`: its
/// class teacher, a teacher of it, the administration), with its stream's address.
#[utoipa::path(post, path = "/api/v1/broadcasts", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    request_body = NewBroadcast,
    responses((status = 201, body = Started), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_broadcast(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<NewBroadcast>,
) -> ApiResult<(axum::http::StatusCode, Json<Started>)> {
    let id = st.chats.create_broadcast(&c.principal, &req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(Started { id })))
}

/// A broadcast with who follows it now.
#[utoipa::path(get, path = "/api/v1/broadcasts/{id}", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 200, body = Broadcast), (status = 404, body = Problem)))]
async fn broadcast(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Broadcast>> {
    Ok(Json(st.chats.broadcast(&c.principal, path_id(&id)?).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EndBroadcast {
    /// The recording's address, if there is one (may be given later).
    pub recording_url: Option<String>,
}

/// Ends a broadcast (its organiser or the administration), with the recording's address.
#[utoipa::path(post, path = "/api/v1/broadcasts/{id}/end", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)), request_body = EndBroadcast,
    responses((status = 200, body = Broadcast), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn end_broadcast(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EndBroadcast>,
) -> ApiResult<Json<Broadcast>> {
    Ok(Json(
        st.chats
            .end_broadcast(&c.principal, path_id(&id)?, req.recording_url.as_deref())
            .await?,
    ))
}

/// The communities the caller may find (сообщества): their school's clubs and interest
/// groups (staff and students), and for staff the professional communities of their
/// municipality and region — invitation-only ones when they are in them or invited — with
/// the caller's standing. A community's messages: `/api/v1/chats/{id}/messages`.
#[utoipa::path(get, path = "/api/v1/communities", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    responses((status = 200, body = [CommunityEntry])))]
async fn communities(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<CommunityEntry>>> {
    Ok(Json(st.chats.communities(&c.principal).await?))
}

/// Founds a community in the caller's school (a teacher or the administration), with its
/// reach (`school`, `municipality`, `region`) and how one joins (`open`, `request`,
/// `invite`); the founder moderates it.
#[utoipa::path(post, path = "/api/v1/communities", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    request_body = NewCommunity,
    responses((status = 201, body = Started), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_community(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<NewCommunity>,
) -> ApiResult<(axum::http::StatusCode, Json<Started>)> {
    let id = st.chats.create_community(&c.principal, &req).await?;
    Ok((axum::http::StatusCode::CREATED, Json(Started { id })))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StandingIs {
    /// `outside`, `member`, `moderator`, `requested`, `invited`.
    pub standing: Standing,
}

/// Joins a community: an open one at once, one by request asks its moderators
/// (`requested`), an invitation accepted.
#[utoipa::path(post, path = "/api/v1/communities/{id}/membership", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 200, body = StandingIs), (status = 404, body = Problem), (status = 429, body = Problem)))]
async fn join_community(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<StandingIs>> {
    let standing = st.chats.join(&c.principal, path_id(&id)?).await?;
    Ok(Json(StandingIs { standing }))
}

/// Leaves a community, takes back a request or declines an invitation.
#[utoipa::path(delete, path = "/api/v1/communities/{id}/membership", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn leave_community(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    st.chats.leave(&c.principal, path_id(&id)?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A community's members, requests and invitations, and whom its moderator may invite:
/// its moderators.
#[utoipa::path(get, path = "/api/v1/communities/{id}/people", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 200, body = CommunityPeople), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn community_people(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CommunityPeople>> {
    Ok(Json(
        st.chats
            .community_people(&c.principal, path_id(&id)?)
            .await?,
    ))
}

/// A moderator's decision: let a request in (`member`), make a member a moderator or back
/// (`moderator`, `member`), invite someone the community reaches (`invited`), turn a
/// request away, take an invitation back or remove a member (`outside`). Audited.
#[utoipa::path(put, path = "/api/v1/communities/{id}/people/{person}", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("person" = String, Path)), request_body = StandingIs,
    responses((status = 200, body = StandingIs), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_member(
    State(st): State<Web>,
    c: Caller,
    Path((id, person)): Path<(String, String)>,
    ApiJson(req): ApiJson<StandingIs>,
) -> ApiResult<Json<StandingIs>> {
    let standing = st
        .chats
        .set_member(
            &c.principal,
            path_id(&id)?,
            path_id(&person)?,
            req.standing,
            c.origin.ip,
        )
        .await?;
    Ok(Json(StandingIs { standing }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `earlier` of the page after this one: the messages before this place.
    pub before: Option<i64>,
    /// Instead of a page back: the messages after this place (catching up).
    pub after: Option<i64>,
    /// A message and its replies (a channel's post and its comments). Without it a
    /// channel's page holds its posts only.
    pub thread: Option<i64>,
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
        None => Json(
            st.chats
                .history(&c.principal, id, q.before, q.thread)
                .await?,
        )
        .into_response(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMessage {
    /// Up to 4000 characters; markup is kept as text.
    pub text: String,
    /// The `seq` of the message answered.
    pub reply_to: Option<i64>,
    /// An urgent announcement: each member is asked to confirm reading it (the chat's
    /// moderators only).
    #[serde(default)]
    pub urgent: bool,
    /// A poll whose question is the text: 2–10 options.
    pub poll: Option<NewPoll>,
    /// Files uploaded to this chat (`POST /api/v1/chats/{id}/files`) to send with it, up
    /// to 5; then the text may be empty.
    #[serde(default)]
    pub files: Vec<String>,
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
        .post_as(
            &c.principal,
            path_id(&id)?,
            Outgoing {
                text: &req.text,
                reply_to: req.reply_to,
                urgent: req.urgent,
                poll: req.poll.as_ref(),
                files: &req.files,
            },
            None,
        )
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
    st.chats.listen(&c.principal, id, last).await?;
    let follower = Follower::start(&st.chats, c.principal, id, last).await?;
    let until = tokio::time::Instant::now() + STREAM_LIFETIME;
    let stream = futures_util::stream::unfold(follower, move |mut f| async move {
        let p = tokio::time::timeout_at(until, f.next()).await.ok()??;
        let event = match p.seq() {
            Some(seq) => Event::default().id(seq.to_string()).event("message"),
            None => Event::default().event("typing"),
        };
        Some((Ok(event.data(p.frame.as_str())), f))
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditMessage {
    /// The new text (up to 4000 characters).
    pub text: String,
}

/// Edits one's own message; the earlier text is kept for the school's moderation, and the
/// members listening get `update`.
#[utoipa::path(patch, path = "/api/v1/chats/{id}/messages/{seq}", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)), request_body = EditMessage,
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn edit_message(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
    ApiJson(req): ApiJson<EditMessage>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        st.chats
            .edit(&c.principal, path_id(&id)?, seq_of(&seq)?, &req.text)
            .await?,
    ))
}

/// Deletes one's own message, or — a moderator — hides anyone's (audited). Its text is
/// kept for the school's moderation.
#[utoipa::path(delete, path = "/api/v1/chats/{id}/messages/{seq}", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)),
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn delete_message(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        st.chats
            .delete(&c.principal, path_id(&id)?, seq_of(&seq)?, c.origin.ip)
            .await?,
    ))
}

/// Confirms reading an urgent announcement.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages/{seq}/ack", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)),
    responses((status = 200, body = Done), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn acknowledge(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Json<Done>> {
    st.chats
        .acknowledge(&c.principal, path_id(&id)?, seq_of(&seq)?)
        .await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Reaction {
    /// `like`, `heart`, `laugh`, `wow`, `sad` or `thanks`.
    pub reaction: String,
    /// Put (true) or take back (false).
    #[serde(default = "yes")]
    pub on: bool,
}

fn yes() -> bool {
    true
}

/// Puts or takes back the caller's reaction to a message (each kind once); the members
/// listening see the new counts. A muted member does not react.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages/{seq}/reactions", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)), request_body = Reaction,
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn react(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
    ApiJson(req): ApiJson<Reaction>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        st.chats
            .react(
                &c.principal,
                path_id(&id)?,
                seq_of(&seq)?,
                &req.reaction,
                req.on,
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Vote {
    /// The options chosen, by their index from 0 (one unless the poll allows several);
    /// empty takes the vote back.
    pub options: Vec<i64>,
}

/// Votes in a poll (a second vote replaces the first); the members listening see the
/// new counts.
#[utoipa::path(put, path = "/api/v1/chats/{id}/messages/{seq}/vote", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)), request_body = Vote,
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn vote(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
    ApiJson(req): ApiJson<Vote>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        st.chats
            .vote(&c.principal, path_id(&id)?, seq_of(&seq)?, &req.options)
            .await?,
    ))
}

/// Who chose which option of a poll that is not anonymous.
#[utoipa::path(get, path = "/api/v1/chats/{id}/messages/{seq}/vote", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)),
    responses((status = 200, body = PollVoters), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn voters(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Json<PollVoters>> {
    Ok(Json(
        st.chats
            .voters(&c.principal, path_id(&id)?, seq_of(&seq)?)
            .await?,
    ))
}

/// Closes a poll (its author or the chat's moderators): no more votes.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages/{seq}/close", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)),
    responses((status = 200, body = Message), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn close_poll(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        st.chats
            .close_poll(&c.principal, path_id(&id)?, seq_of(&seq)?)
            .await?,
    ))
}

/// Who confirmed an urgent announcement and who has not yet (its author and the chat's
/// moderators).
#[utoipa::path(get, path = "/api/v1/chats/{id}/messages/{seq}/acks", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)),
    responses((status = 200, body = AckReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn acks(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
) -> ApiResult<Json<AckReport>> {
    Ok(Json(
        st.chats
            .acks(&c.principal, path_id(&id)?, seq_of(&seq)?)
            .await?,
    ))
}

/// A moderator's change of the chat: read-only mode (only moderators write), the pinned
/// message (0 unpins). Audited.
#[utoipa::path(patch, path = "/api/v1/chats/{id}", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)), request_body = ChatSettings,
    responses((status = 200, body = Done), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn settle(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ChatSettings>,
) -> ApiResult<Json<Done>> {
    st.chats
        .settle(&c.principal, path_id(&id)?, &req, c.origin.ip)
        .await?;
    Ok(Json(Done { ok: true }))
}

/// A message's place from the path.
fn seq_of(raw: &str) -> Result<i64, Problem> {
    raw.parse::<i64>()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| Problem::invalid("seq", "В чате нет сообщения с таким номером."))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewComplaint {
    pub reason: ComplaintReason,
    /// Up to 500 characters.
    #[serde(default)]
    pub comment: String,
}

/// A complaint about someone's message: the chat's moderators and the school's
/// administration settle it. Once a person and message (a repeat changes nothing); 20 a
/// day at most.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages/{seq}/complaints", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)), request_body = NewComplaint,
    responses((status = 201, body = Done), (status = 404, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn complain(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
    ApiJson(req): ApiJson<NewComplaint>,
) -> ApiResult<(axum::http::StatusCode, Json<Done>)> {
    st.chats
        .complain(
            &c.principal,
            path_id(&id)?,
            seq_of(&seq)?,
            req.reason.as_str(),
            &req.comment,
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(Done { ok: true })))
}

/// The open complaints the caller settles (the chats they moderate; for a school's
/// administration every chat of its school), the oldest first. Audited.
#[utoipa::path(get, path = "/api/v1/chats/complaints", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    responses((status = 200, body = [Complaint])))]
async fn complaints(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<Complaint>>> {
    Ok(Json(st.chats.complaints(&c.principal, c.origin.ip).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Decision {
    pub action: Resolution,
    /// With `mute`: for how many hours (1…2880).
    pub hours: Option<i64>,
}

/// A moderator's decision about a message: `dismiss` (the complaints closed), `hide`,
/// `mute` (hidden, and its author reads but does not write for `hours`), `remove` (hidden,
/// and its author is out of the chat). Audited.
#[utoipa::path(post, path = "/api/v1/chats/{id}/messages/{seq}/moderation", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("seq" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Done), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn moderate(
    State(st): State<Web>,
    c: Caller,
    Path((id, seq)): Path<(String, String)>,
    ApiJson(req): ApiJson<Decision>,
) -> ApiResult<Json<Done>> {
    st.chats
        .moderate(
            &c.principal,
            path_id(&id)?,
            seq_of(&seq)?,
            req.action,
            req.hours,
            c.origin.ip,
        )
        .await?;
    Ok(Json(Done { ok: true }))
}

/// Who is muted or removed in the chat now (its moderators).
#[utoipa::path(get, path = "/api/v1/chats/{id}/restrictions", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 200, body = [Restricted]), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn restricted(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Restricted>>> {
    Ok(Json(
        st.chats.restricted(&c.principal, path_id(&id)?).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Restriction {
    /// `mute`, `remove` or `none` (lifts what was imposed).
    pub kind: String,
    /// With `mute`: for how many hours (1…2880).
    pub hours: Option<i64>,
}

/// Mutes a member for some hours, removes them from the chat, or lets them back. Not a
/// moderator, not oneself. Audited.
#[utoipa::path(put, path = "/api/v1/chats/{id}/restrictions/{person}", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("person" = String, Path)), request_body = Restriction,
    responses((status = 200, body = Done), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn restrict(
    State(st): State<Web>,
    c: Caller,
    Path((id, person)): Path<(String, String)>,
    ApiJson(req): ApiJson<Restriction>,
) -> ApiResult<Json<Done>> {
    st.chats
        .restrict(
            &c.principal,
            path_id(&id)?,
            path_id(&person)?,
            &req.kind,
            req.hours,
            c.origin.ip,
        )
        .await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// A day of the week (YYYY-MM-DD); this week when absent.
    pub week: Option<String>,
    /// One school.
    pub org: Option<String>,
}

/// Activity in the chats by week (MON-3, MON-4): per school — chats, chats with messages,
/// teacher-led chats and how many of them had at least 10 messages (the target: 25 %),
/// messages, people and staff who wrote. The school's administration sees its school, an
/// operator the schools of their territory. Figures only: no messages, no names.
#[utoipa::path(get, path = "/api/v1/chats/activity", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(ActivityQuery),
    responses((status = 200, body = ActivityReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn activity(
    State(st): State<Web>,
    c: Caller,
    Query(q): Query<ActivityQuery>,
) -> ApiResult<Json<ActivityReport>> {
    let org = match q.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(o) => Some(path_id(o)?),
        None => None,
    };
    Ok(Json(
        st.chats
            .activity(&c.principal, q.week.as_deref(), org)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name with its extension (the type is checked by content and must match).
    pub file_name: Option<String>,
}

/// Uploads a photo (JPG, PNG, GIF: a preview is made) or a document (PDF, office
/// formats, TXT) up to 10 MB to send in the chat: then name it in a new message's
/// `files`. Not sent within an hour, it is removed. Counted against the caller's and the
/// school's quotas for chat files.
#[utoipa::path(post, path = "/api/v1/chats/{id}/files", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileRef), (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn upload(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<FileRef>)> {
    let name = q.file_name.unwrap_or_default();
    let f = st
        .chats
        .upload(&c.principal, path_id(&id)?, &name, &body)
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(f)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// `1`: the picture's small preview.
    pub preview: Option<String>,
}

/// A file sent in the chat (a picture shown, a document saved), or a picture's preview.
#[utoipa::path(get, path = "/api/v1/chats/{id}/files/{file}", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path), ("file" = String, Path), DownloadQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 206, description = "The part asked for by `Range: bytes=…`"), (status = 404, body = Problem), (status = 416, body = Problem)))]
async fn download(
    State(st): State<Web>,
    c: Caller,
    headers: axum::http::HeaderMap,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
) -> ApiResult<axum::response::Response> {
    let small = q.preview.as_deref() == Some("1");
    let range = parta_http::ByteRange::of(&headers);
    let (f, part) = st
        .chats
        .file(&c.principal, path_id(&id)?, &file, small, range)
        .await?;
    let (content_type, name) = if small {
        ("image/jpeg".to_string(), format!("preview-{}.jpg", f.id))
    } else {
        (f.content_type.clone(), f.name.clone())
    };
    let inline = content_type.starts_with("image/");
    Ok(parta_http::file_part_response(
        &content_type,
        &name,
        inline,
        part,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewScheduled {
    /// Up to 4000 characters.
    pub text: String,
    /// When to send it: `2026-12-02T09:00` in the platform's time; in the future, at most
    /// 92 days ahead.
    pub send_at: String,
    /// An urgent announcement (the chat's moderators).
    #[serde(default)]
    pub urgent: bool,
}

/// Schedules a message to be sent later (at most 50 waiting a person). At its time it is
/// sent if its author may still write there; otherwise it fails with the reason.
#[utoipa::path(post, path = "/api/v1/chats/{id}/scheduled", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path)), request_body = NewScheduled,
    responses((status = 201, body = Scheduled), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn schedule(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewScheduled>,
) -> ApiResult<(axum::http::StatusCode, Json<Scheduled>)> {
    let s = st
        .chats
        .schedule(
            &c.principal,
            path_id(&id)?,
            &req.text,
            &req.send_at,
            req.urgent,
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(s)))
}

/// The caller's messages scheduled in the chat: waiting, and those that failed.
#[utoipa::path(get, path = "/api/v1/chats/{id}/scheduled", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    params(("id" = ChatId, Path)),
    responses((status = 200, body = [Scheduled]), (status = 404, body = Problem)))]
async fn scheduled(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Scheduled>>> {
    Ok(Json(st.chats.scheduled(&c.principal, path_id(&id)?).await?))
}

/// Cancels one of the caller's scheduled messages.
#[utoipa::path(delete, path = "/api/v1/chats/{id}/scheduled/{scheduled}", security(("session" = []), ("token" = ["chats:write"])), tag = "chats",
    params(("id" = ChatId, Path), ("scheduled" = String, Path)),
    responses((status = 200, body = Done), (status = 404, body = Problem)))]
async fn cancel_scheduled(
    State(st): State<Web>,
    c: Caller,
    Path((id, scheduled)): Path<(String, String)>,
) -> ApiResult<Json<Done>> {
    st.chats
        .cancel_scheduled(&c.principal, path_id(&id)?, &scheduled)
        .await?;
    Ok(Json(Done { ok: true }))
}
