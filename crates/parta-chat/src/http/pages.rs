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
    let uploads = Pages::new().post("/chats/{id}/files", send_file).layer(
        axum::extract::DefaultBodyLimit::max(crate::MAX_FILE_BYTES + 64 * 1024),
    );
    Pages::new()
        .merge(uploads)
        .get("/chats", chats)
        .get("/chats/contacts", contacts)
        .get("/chats/search", search)
        .post("/chats/personal", start_personal)
        .get("/channels", channels)
        .post("/channels", create_channel)
        .post("/channels/{id}/follow", follow)
        .get("/broadcasts", broadcasts)
        .post("/broadcasts", create_broadcast)
        .post("/broadcasts/{id}/end", end_broadcast)
        .get("/communities", communities)
        .post("/communities", create_community)
        .post("/communities/{id}/join", join_community)
        .post("/communities/{id}/leave", leave_community)
        .get("/communities/{id}/people", community_people)
        .post("/communities/{id}/invite", invite)
        .post("/communities/{id}/people/{person}", set_member)
        .get("/chats/{id}", chat)
        .get("/chats/{id}/at/{seq}", at)
        .post("/chats/{id}", post)
        .post("/chats/{id}/ack/{seq}", acknowledge)
        .post("/chats/{id}/react/{seq}", react)
        .post("/chats/{id}/vote/{seq}", vote)
        .get("/chats/{id}/vote/{seq}", voters)
        .post("/chats/{id}/close/{seq}", close_poll)
        .post("/chats/{id}/scheduled/{scheduled}/cancel", cancel_scheduled)
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
        ChatKind::SchoolChannel => format!("{}: {name}", t.school_news),
        ChatKind::ClassChannel => format!("{name} — {}", t.class_channel),
        ChatKind::SubjectGroup
        | ChatKind::Personal
        | ChatKind::TeacherChannel
        | ChatKind::Community
        | ChatKind::Broadcast => name.to_string(),
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
    /// A parent: communities are for the school's staff and students.
    parent: bool,
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
        parent: role == parta_core::principal::Role::Parent,
        figures: matches!(
            role,
            parta_core::principal::Role::SchoolAdmin
                | parta_core::principal::Role::MunicipalOperator
                | parta_core::principal::Role::RegionalOperator
        ),
    })))
}

/// A channel on the channels' page.
struct ChannelView {
    id: ChatId,
    title: String,
    description: String,
    owner: Option<String>,
    subscribed: bool,
    optional: bool,
    author: bool,
    when: String,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    ctx: Ctx,
    t: &'static Strings,
    channels: Vec<ChannelView>,
    /// A teacher without a channel of their own in this school opens one here.
    may_create: bool,
    error: Option<String>,
    draft_title: String,
    draft_description: String,
}

async fn channels_page(
    st: &Web,
    r: &PageReq,
    draft: crate::NewChannel,
    error: Option<String>,
) -> Result<ChannelsPage, Problem> {
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    let list = st.chats.channels(p).await?;
    let may_create = p.role() == parta_core::principal::Role::Teacher
        && !list
            .iter()
            .any(|c| c.author && c.kind == ChatKind::TeacherChannel);
    Ok(ChannelsPage {
        ctx: r.ctx(),
        t,
        channels: list
            .into_iter()
            .map(|c| ChannelView {
                id: c.id,
                title: title_of(t, c.kind, &c.title),
                description: c.description,
                owner: c.owner,
                subscribed: c.subscribed,
                optional: c.optional,
                author: c.author,
                when: if c.last_at > 0 {
                    when(c.last_at)
                } else {
                    String::new()
                },
            })
            .collect(),
        may_create,
        error,
        draft_title: draft.title,
        draft_description: draft.description,
    })
}

/// The channels the caller reads, follows or may follow; a teacher opens their own.
async fn channels(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let pg = channels_page(&st, &r, crate::NewChannel::default(), None).await?;
    Ok(private(render(&pg)))
}

async fn create_channel(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<crate::NewChannel>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    match st.chats.create_channel(&r.caller.principal, &f).await {
        Ok(id) => Ok(Redirect::to(&format!("/chats/{id}")).into_response()),
        // Refused: the form again with what was typed and the reason.
        Err(e) if matches!(e.status, 409 | 422) => {
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let pg = channels_page(&st, &r, f, Some(reason)).await?;
            Ok((status, private(render(&pg))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct FollowForm {
    on: String,
}

async fn follow(
    State(st): State<Web>,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<FollowForm>,
) -> PageResult {
    let id = chat_id(&id)?;
    st.chats.subscribe(&pc.0.principal, id, f.on == "1").await?;
    Ok(Redirect::to("/channels").into_response())
}

/// A broadcast in the list and on its page.
struct BroadcastView {
    id: ChatId,
    title: String,
    description: String,
    audience: String,
    /// «05.12.2026 15:00».
    when: String,
    /// soon, live now, over — in words.
    status: &'static str,
    stream_url: String,
    /// The stream plays on the page (an HLS or MP4 address); otherwise it opens apart.
    playable: bool,
    recording_url: Option<String>,
    ended: bool,
    viewers: i64,
    organiser: bool,
}

fn broadcast_view(t: &Strings, b: crate::Broadcast) -> BroadcastView {
    let now = parta_core::time::now_ms();
    // One not ended six hours after its start is over all the same.
    let status = match b.ended_at {
        Some(_) => t.status_over,
        None if b.starts_at + 6 * 3_600_000 < now => t.status_over,
        None if b.starts_at <= now => t.status_live,
        None => t.status_soon,
    };
    let path = b
        .stream_url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    BroadcastView {
        id: b.id,
        title: b.title,
        description: b.description,
        audience: b.audience,
        when: parta_core::time::format_ms(b.starts_at),
        status,
        playable: b.stream_url.starts_with("https://")
            && (path.ends_with(".m3u8") || path.ends_with(".mp4")),
        stream_url: b.stream_url,
        recording_url: b.recording_url,
        ended: b.ended_at.is_some(),
        viewers: b.viewers,
        organiser: b.organiser,
    }
}

#[derive(Template)]
#[template(path = "broadcasts.html")]
struct BroadcastsPage {
    ctx: Ctx,
    t: &'static Strings,
    list: Vec<BroadcastView>,
    /// Whom the caller may hold a broadcast for: (class id or "" for the school, name).
    classes: Vec<(String, String)>,
    error: Option<String>,
    draft: BroadcastDraft,
}

#[derive(Deserialize, Default)]
struct BroadcastDraft {
    title: String,
    #[serde(default)]
    description: String,
    starts_at: String,
    stream_url: String,
    #[serde(default)]
    class_id: String,
}

async fn broadcasts_page(
    st: &Web,
    r: &PageReq,
    draft: BroadcastDraft,
    error: Option<String>,
) -> Result<BroadcastsPage, Problem> {
    use parta_core::principal::Role;
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    let list = st.chats.broadcasts(p).await?;
    let classes = match p.role() {
        Role::SchoolAdmin => vec![(String::new(), t.whole_school.to_string())],
        Role::Teacher => {
            let mut ids: Vec<parta_core::ids::ClassId> = p
                .scope
                .led_classes
                .iter()
                .chain(&p.scope.taught_classes)
                .copied()
                .collect();
            ids.sort_by_key(|c| c.to_string());
            ids.dedup();
            st.chats.class_names(&ids, &p.scope.organisations).await?
        }
        _ => Vec::new(),
    };
    Ok(BroadcastsPage {
        ctx: r.ctx(),
        t,
        list: list.into_iter().map(|b| broadcast_view(t, b)).collect(),
        classes,
        error,
        draft,
    })
}

/// The broadcasts the caller may watch; staff schedule one here.
async fn broadcasts(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let pg = broadcasts_page(&st, &r, BroadcastDraft::default(), None).await?;
    Ok(private(render(&pg)))
}

async fn create_broadcast(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<BroadcastDraft>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let class_id = match f.class_id.trim() {
        "" => None,
        raw => Some(raw.parse().map_err(|_| Problem::not_found())?),
    };
    let new = crate::NewBroadcast {
        title: f.title.clone(),
        description: f.description.clone(),
        starts_at: f.starts_at.clone(),
        stream_url: f.stream_url.clone(),
        class_id,
    };
    match st.chats.create_broadcast(&r.caller.principal, &new).await {
        Ok(id) => Ok(Redirect::to(&format!("/chats/{id}")).into_response()),
        // Refused: the form again with what was typed and the reason.
        Err(e) if e.status == 422 => {
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            let pg = broadcasts_page(&st, &r, f, Some(reason)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, private(render(&pg))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct EndForm {
    #[serde(default)]
    recording_url: String,
}

async fn end_broadcast(
    State(st): State<Web>,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<EndForm>,
) -> PageResult {
    let id = chat_id(&id)?;
    st.chats
        .end_broadcast(&pc.0.principal, id, Some(&f.recording_url))
        .await?;
    Ok(Redirect::to(&format!("/chats/{id}")).into_response())
}

/// A community in the directory.
struct CommunityView {
    id: ChatId,
    title: String,
    description: String,
    school: String,
    /// «12 участников».
    members: String,
    /// How one joins, in words.
    mode: &'static str,
    open: bool,
    moderator: bool,
    requested: bool,
}

#[derive(Template)]
#[template(path = "communities.html")]
struct CommunitiesPage {
    ctx: Ctx,
    t: &'static Strings,
    invited: Vec<CommunityView>,
    mine: Vec<CommunityView>,
    others: Vec<CommunityView>,
    may_create: bool,
    error: Option<String>,
    /// What was typed: title, description, reach, join mode.
    draft: (String, String, String, String),
    reaches: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
}

fn mode_words(t: &Strings, m: crate::JoinMode) -> &'static str {
    match m {
        crate::JoinMode::Open => t.mode_open,
        crate::JoinMode::Request => t.mode_request,
        crate::JoinMode::Invite => t.mode_invite,
    }
}

async fn communities_page(
    st: &Web,
    r: &PageReq,
    draft: (String, String, String, String),
    error: Option<String>,
) -> Result<CommunitiesPage, Problem> {
    use crate::Standing;
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    let list = st.chats.communities(p).await?;
    let (mut invited, mut mine, mut others) = (Vec::new(), Vec::new(), Vec::new());
    for c in list {
        let v = CommunityView {
            id: c.id,
            title: c.title,
            description: c.description,
            school: c.school,
            members: super::strings::members(t, c.members),
            mode: mode_words(t, c.join_mode),
            open: c.join_mode == crate::JoinMode::Open,
            moderator: c.standing == Standing::Moderator,
            requested: c.standing == Standing::Requested,
        };
        match c.standing {
            Standing::Invited => invited.push(v),
            Standing::Member | Standing::Moderator => mine.push(v),
            _ => others.push(v),
        }
    }
    Ok(CommunitiesPage {
        ctx: r.ctx(),
        t,
        invited,
        mine,
        others,
        may_create: matches!(
            p.role(),
            parta_core::principal::Role::Teacher | parta_core::principal::Role::SchoolAdmin
        ),
        error,
        draft,
        reaches: vec![
            ("school", t.reach_school),
            ("municipality", t.reach_municipality),
            ("region", t.reach_region),
        ],
        modes: vec![
            ("open", t.mode_open),
            ("request", t.mode_request),
            ("invite", t.mode_invite),
        ],
    })
}

/// The communities the caller is in, is invited to, or may join; staff found one here.
async fn communities(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let draft = (String::new(), String::new(), "school".into(), "open".into());
    Ok(private(render(
        &communities_page(&st, &r, draft, None).await?,
    )))
}

#[derive(Deserialize)]
struct CommunityForm {
    title: String,
    #[serde(default)]
    description: String,
    reach: String,
    join_mode: String,
}

async fn create_community(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<CommunityForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let new = match (
        crate::Reach::parse(&f.reach),
        crate::JoinMode::parse(&f.join_mode),
    ) {
        (Some(reach), Some(join_mode)) => Ok(crate::NewCommunity {
            title: f.title.clone(),
            description: f.description.clone(),
            reach,
            join_mode,
        }),
        (None, _) => Err(Problem::invalid("reach", "Выберите, для кого сообщество.")),
        (_, None) => Err(Problem::invalid(
            "join_mode",
            "Выберите, как в него вступить.",
        )),
    };
    let made = match new {
        Ok(new) => st.chats.create_community(&r.caller.principal, &new).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(id) => Ok(Redirect::to(&format!("/chats/{id}")).into_response()),
        // Refused: the form again with what was typed and the reason.
        Err(e) if e.status == 422 => {
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            let draft = (f.title, f.description, f.reach, f.join_mode);
            let pg = communities_page(&st, &r, draft, Some(reason)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, private(render(&pg))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn join_community(
    State(st): State<Web>,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let id = chat_id(&id)?;
    let standing = st.chats.join(&pc.0.principal, id).await?;
    Ok(match standing {
        crate::Standing::Member | crate::Standing::Moderator => {
            Redirect::to(&format!("/chats/{id}"))
        }
        _ => Redirect::to("/communities"),
    }
    .into_response())
}

async fn leave_community(
    State(st): State<Web>,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    st.chats.leave(&pc.0.principal, chat_id(&id)?).await?;
    Ok(Redirect::to("/communities").into_response())
}

#[derive(Template)]
#[template(path = "community_people.html")]
struct CommunityPeoplePage {
    ctx: Ctx,
    t: &'static Strings,
    id: ChatId,
    people: crate::CommunityPeople,
    me: String,
}

async fn community_people(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = chat_id(&id)?;
    let people = st.chats.community_people(&r.caller.principal, id).await?;
    Ok(private(render(&CommunityPeoplePage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        id,
        people,
        me: r.caller.principal.person_id.to_string(),
    })))
}

#[derive(Deserialize)]
struct InviteForm {
    person: String,
}

async fn invite(
    State(st): State<Web>,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> PageResult {
    let id = chat_id(&id)?;
    let person = f.person.parse().map_err(|_| Problem::not_found())?;
    let c = &pc.0;
    st.chats
        .set_member(
            &c.principal,
            id,
            person,
            crate::Standing::Invited,
            c.origin.ip.clone(),
        )
        .await?;
    Ok(Redirect::to(&format!("/communities/{id}/people")).into_response())
}

#[derive(Deserialize)]
struct MemberForm {
    standing: String,
}

async fn set_member(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, person)): Path<(String, String)>,
    Form(f): Form<MemberForm>,
) -> PageResult {
    let id = chat_id(&id)?;
    let person = person.parse().map_err(|_| Problem::not_found())?;
    let to = match f.standing.as_str() {
        "member" => crate::Standing::Member,
        "moderator" => crate::Standing::Moderator,
        "outside" => crate::Standing::Outside,
        _ => return Err(Problem::invalid("standing", "Неизвестное действие.").into()),
    };
    let c = &pc.0;
    st.chats
        .set_member(&c.principal, id, person, to, c.origin.ip.clone())
        .await?;
    Ok(Redirect::to(&format!("/communities/{id}/people")).into_response())
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
    /// A channel's post: who read up to it, and its comments.
    views: Option<i64>,
    comments: Option<i64>,
    /// Reactions someone chose: (name, emoji, count, the caller's own, its words).
    reactions: Vec<(String, String, i64, bool, &'static str)>,
    /// Reactions the caller has not put yet: (name, emoji, its words).
    more_reactions: Vec<(&'static str, &'static str, &'static str)>,
    poll: Option<PollView>,
    files: Vec<FileView>,
}

/// A file under a message: a picture's preview (its size fitted in 320 px) or a
/// document's name and size.
struct FileView {
    id: String,
    name: String,
    size: String,
    /// A preview to show: (width, height).
    preview: Option<(u32, u32)>,
}

/// A reaction in words (a title for screen readers and fonts without emoji).
fn reaction_words(t: &Strings, name: &str) -> &'static str {
    match name {
        "like" => t.r_like,
        "heart" => t.r_heart,
        "laugh" => t.r_laugh,
        "wow" => t.r_wow,
        "sad" => t.r_sad,
        _ => t.r_thanks,
    }
}

/// «2,4 МБ», «36 КБ».
fn size_label(t: &Strings, bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} {}", bytes as f64 / 1048576.0, t.mb).replace('.', ",")
    } else {
        format!("{} {}", (bytes + 1023) / 1024, t.kb)
    }
}

/// A poll on the page.
struct PollView {
    /// (index, text, votes, share in whole percent, the caller chose it)
    options: Vec<(i64, String, i64, i64, bool)>,
    multiple: bool,
    anonymous: bool,
    closed: bool,
    voters: i64,
    /// The caller may close it (its author or a moderator).
    can_close: bool,
    /// The caller has voted.
    voted: bool,
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
    draft: Draft,
    /// The caller's person id: the script marks their own messages by it.
    me: String,
    /// Slow modes to choose from: (seconds, label).
    slow_modes: Vec<(i64, String)>,
    /// The chat's slow mode in words.
    slow_label: String,
    /// The caller's messages scheduled here: (id, when, text, why it failed).
    scheduled: Vec<(String, String, String, Option<String>)>,
    /// The earliest time to schedule for, as the form's input wants it.
    schedule_min: String,
    /// A channel: its posts on the page (or a post's comments, in a thread).
    channel: bool,
    /// The send form is there: a chat's member, a channel's author on its posts' page, a
    /// reader in a post's thread when comments are on.
    show_form: bool,
    /// A broadcast: its stream above its comments.
    broadcast: Option<BroadcastView>,
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
    /// A post and its comments.
    thread: Option<i64>,
}

/// What the caller sent, kept when it was refused.
#[derive(Default)]
struct Draft {
    text: String,
    urgent: bool,
    /// A poll's options as typed, one a line.
    options: String,
    multiple: bool,
    anonymous: bool,
    error: Option<String>,
    /// The time to send at, as typed.
    send_at: String,
    /// The caption of a file that was refused, and why.
    caption: String,
    file_error: Option<String>,
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
                views: l.views,
                comments: l.comments,
                reactions: m
                    .reactions
                    .iter()
                    .map(|r| {
                        let mine = l.my_reactions.contains(&r.reaction);
                        let words = reaction_words(t, &r.reaction);
                        (r.reaction.clone(), r.emoji.clone(), r.count, mine, words)
                    })
                    .collect(),
                more_reactions: crate::REACTIONS
                    .iter()
                    .filter(|r| !l.my_reactions.iter().any(|m| m == r.0))
                    .map(|(name, emoji)| (*name, *emoji, reaction_words(t, name)))
                    .collect(),
                poll: m.poll.as_ref().map(|p| PollView {
                    options: p
                        .options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| {
                            let i = i as i64;
                            let share = if p.voters > 0 {
                                o.votes * 100 / p.voters
                            } else {
                                0
                            };
                            (i, o.text.clone(), o.votes, share, l.my_votes.contains(&i))
                        })
                        .collect(),
                    multiple: p.multiple,
                    anonymous: p.anonymous,
                    closed: p.closed,
                    voters: p.voters,
                    can_close: m.author_id == me || history.moderator,
                    voted: !l.my_votes.is_empty(),
                }),
                files: m
                    .files
                    .iter()
                    .map(|f| FileView {
                        id: f.id.clone(),
                        name: f.name.clone(),
                        size: size_label(t, f.size),
                        preview: match (f.preview, f.width, f.height) {
                            (true, Some(w), Some(h)) if w > 0 && h > 0 => {
                                let scale = (320.0 / w.max(h) as f64).min(1.0);
                                Some((
                                    ((w as f64 * scale).round() as u32).max(1),
                                    ((h as f64 * scale).round() as u32).max(1),
                                ))
                            }
                            _ => None,
                        },
                    })
                    .collect(),
            }
        })
        .collect();
    let slow = slow_label(t, history.chat.slow_seconds);
    let channel = history.chat.kind.is_channel();
    let show_form = history.can_post && (!channel || history.thread.is_some() || history.author);
    ChatPage {
        broadcast: None,
        channel,
        show_form,
        ctx: r.ctx(),
        t,
        title: title(t, &history.chat),
        history,
        lines,
        paged,
        draft,
        me: me.to_string(),
        slow_label: slow,
        slow_modes: crate::SLOW_MODES
            .iter()
            .map(|s| (*s, slow_label(t, *s)))
            .collect(),
        scheduled: Vec::new(),
        schedule_min: chrono::DateTime::from_timestamp_millis(parta_core::time::now_ms())
            .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
    }
}

/// The chat page with the caller's scheduled messages.
async fn page_with_scheduled(
    st: &Web,
    r: &PageReq,
    t: &'static Strings,
    history: History,
    paged: bool,
    draft: Draft,
) -> Result<ChatPage, Problem> {
    let id = history.chat.id;
    let kind = history.chat.kind;
    let mut pg = page(r, t, history, paged, draft);
    if kind == ChatKind::Broadcast {
        let b = st.chats.broadcast(&r.caller.principal, id).await?;
        pg.broadcast = Some(broadcast_view(t, b));
    }
    pg.scheduled = st
        .chats
        .scheduled(&r.caller.principal, id)
        .await?
        .into_iter()
        .map(|s| (s.id, when(s.send_at), s.text, s.failure))
        .collect();
    Ok(pg)
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

/// Back to the message in the chat (its page of history, or its post's comments).
fn back_to(id: ChatId, seq: i64) -> Response {
    Redirect::to(&format!("/chats/{id}/at/{seq}")).into_response()
}

/// Where a message is shown: its page of the chat, or — a comment — its post's thread.
async fn at(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    Ok(match st.chats.thread_of(&pc.0.principal, id, seq).await? {
        Some(post) => Redirect::to(&format!("/chats/{id}?thread={post}#m{seq}")),
        None => Redirect::to(&format!("/chats/{id}?before={}#m{seq}", seq + 1)),
    }
    .into_response())
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
    let history = st
        .chats
        .history(&r.caller.principal, id, q.before, q.thread)
        .await?;
    let draft = Draft::default();
    let pg = page_with_scheduled(&st, &r, t, history, q.before.is_some(), draft).await?;
    Ok(private(render(&pg)))
}

#[derive(Deserialize)]
struct PostForm {
    text: String,
    urgent: Option<String>,
    /// A poll's options, one a line (empty: no poll).
    #[serde(default)]
    options: String,
    multiple: Option<String>,
    anonymous: Option<String>,
    /// Send later, at this time (empty: now).
    #[serde(default)]
    send_at: String,
    /// A comment on this post (a channel's thread).
    #[serde(default)]
    reply_to: String,
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
    let lines: Vec<String> = f.options.lines().map(str::to_string).take(64).collect();
    let poll = (!f.options.trim().is_empty()).then(|| crate::NewPoll {
        options: lines,
        multiple: f.multiple.is_some(),
        anonymous: f.anonymous.is_some(),
    });
    let reply_to = match f.reply_to.trim() {
        "" => None,
        raw => Some(seq_of(raw)?),
    };
    let out = crate::Outgoing {
        text: &f.text,
        reply_to,
        urgent,
        poll: poll.as_ref(),
        files: &[],
    };
    let later = !f.send_at.trim().is_empty();
    let sent = match (later && reply_to.is_none(), poll.is_some()) {
        (true, true) => Err(Problem::invalid(
            "send_at",
            "Опрос отправляется сразу: уберите время отправки или варианты ответа.",
        )),
        (true, false) => st
            .chats
            .schedule(p, id, &f.text, &f.send_at, urgent)
            .await
            .map(|_| None),
        (false, _) => st
            .chats
            .post_as(p, id, out, None)
            .await
            .map(|m| Some(m.seq)),
    };
    match sent {
        Ok(Some(seq)) => Ok(match reply_to {
            Some(post) => Redirect::to(&format!("/chats/{id}?thread={post}#m{seq}")),
            None => Redirect::to(&format!("/chats/{id}#m{seq}")),
        }
        .into_response()),
        Ok(None) => Ok(Redirect::to(&format!("/chats/{id}#scheduled")).into_response()),
        // A refused message: the chat again with the text kept and the reason.
        // A comment refused because comments were just turned off keeps its text too.
        Err(e)
            if e.status == 422
                || e.status == 429
                || ((urgent || reply_to.is_some()) && e.status == 403) =>
        {
            let history = st.chats.history(p, id, None, reply_to).await?;
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let draft = Draft {
                text: f.text,
                urgent,
                multiple: f.multiple.is_some(),
                anonymous: f.anonymous.is_some(),
                options: f.options,
                send_at: f.send_at,
                error: Some(reason),
                ..Default::default()
            };
            let pg = page_with_scheduled(&st, &r, t, history, false, draft).await?;
            Ok((status, private(render(&pg))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct ReactForm {
    /// `like:on` or `like:off`
    reaction: String,
}

async fn react(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
    Form(f): Form<ReactForm>,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let (name, on) = match f.reaction.split_once(':') {
        Some((name, "off")) => (name, false),
        Some((name, _)) => (name, true),
        None => (f.reaction.as_str(), true),
    };
    st.chats.react(&pc.0.principal, id, seq, name, on).await?;
    Ok(back_to(id, seq))
}

/// A vote from the page: `option` once (a single choice) or several times.
async fn vote(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
    body: String,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let mut options = Vec::new();
    for (k, v) in form_urlencoded::parse(body.as_bytes()).take(64) {
        if k == "option" {
            let o = v
                .parse::<i64>()
                .map_err(|_| Problem::invalid("options", "Такого варианта ответа в опросе нет."))?;
            options.push(o);
        }
    }
    st.chats.vote(&pc.0.principal, id, seq, &options).await?;
    Ok(back_to(id, seq))
}

async fn close_poll(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    st.chats.close_poll(&pc.0.principal, id, seq).await?;
    Ok(back_to(id, seq))
}

/// A photo or document from the page, with an optional caption: uploaded and sent in
/// one go. Refused: the chat again with the caption kept and the reason.
async fn send_file(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let id = chat_id(&id)?;
    let p = &r.caller.principal;
    let mut text = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut refusal: Option<Problem> = None;
    match form {
        Ok(mut form) => loop {
            match form.next_field().await {
                Ok(Some(field)) => match field.name() {
                    Some("file") => {
                        let name = field.file_name().unwrap_or_default().to_string();
                        match field.bytes().await {
                            Ok(b) if !name.is_empty() || !b.is_empty() => {
                                file = Some((name, b.to_vec()))
                            }
                            Ok(_) => {}
                            Err(_) => {
                                refusal = Some(Problem::payload_too_large(crate::MAX_FILE_BYTES));
                                break;
                            }
                        }
                    }
                    Some("text") => text = field.text().await.unwrap_or_default(),
                    _ => {}
                },
                Ok(None) => break,
                Err(_) => {
                    refusal = Some(Problem::payload_too_large(crate::MAX_FILE_BYTES));
                    break;
                }
            }
        },
        Err(_) => {
            refusal = Some(Problem::invalid(
                "file",
                "Отправьте файл формой (multipart/form-data).",
            ))
        }
    }
    let sent = match (refusal, file) {
        (Some(e), _) => Err(e),
        (None, None) => Err(Problem::invalid("file", "Выберите файл.")),
        (None, Some((name, bytes))) => st.chats.send_file(p, id, &name, &bytes, &text).await,
    };
    match sent {
        Ok(m) => Ok(Redirect::to(&format!("/chats/{id}#m{}", m.seq)).into_response()),
        Err(e) if matches!(e.status, 413 | 422 | 429) => {
            let history = st.chats.history(p, id, None, None).await?;
            let reason = parta_http::page::messages(&e, r.ctx().lang).join(" ");
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let draft = Draft {
                caption: text,
                file_error: Some(reason),
                ..Default::default()
            };
            let pg = page_with_scheduled(&st, &r, t, history, false, draft).await?;
            Ok((status, private(render(&pg))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn cancel_scheduled(
    State(st): State<Web>,
    pc: PageCaller,
    Path((id, scheduled)): Path<(String, String)>,
) -> PageResult {
    let id = chat_id(&id)?;
    st.chats
        .cancel_scheduled(&pc.0.principal, id, &scheduled)
        .await?;
    Ok(Redirect::to(&format!("/chats/{id}#scheduled")).into_response())
}

#[derive(Template)]
#[template(path = "voters.html")]
struct VotersPage {
    ctx: Ctx,
    t: &'static Strings,
    chat: ChatId,
    seq: i64,
    question: String,
    /// (option, who chose it)
    options: Vec<(String, Vec<String>)>,
}

async fn voters(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, seq)): Path<(String, String)>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let (id, seq) = (chat_id(&id)?, seq_of(&seq)?);
    let p = &r.caller.principal;
    let voters = st.chats.voters(p, id, seq).await?;
    let m = st.chats.message_of(p, id, seq).await?;
    let texts: Vec<String> = m
        .poll
        .map(|poll| poll.options.into_iter().map(|o| o.text).collect())
        .unwrap_or_default();
    let options = texts
        .into_iter()
        .zip(voters.options)
        .map(|(text, people)| (text, people.into_iter().map(|c| c.name).collect()))
        .collect();
    Ok(private(render(&VotersPage {
        ctx: r.ctx(),
        t,
        chat: id,
        seq,
        question: m.text,
        options,
    })))
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
    /// A territory's operator: the figures are all they have of the chats (no list to go
    /// back to).
    operator: bool,
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
        operator: matches!(
            r.caller.principal.role(),
            parta_core::principal::Role::MunicipalOperator
                | parta_core::principal::Role::RegionalOperator
        ),
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
