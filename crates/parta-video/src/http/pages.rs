//! The video pages: a lesson's video lesson (schedule, enter, end, recording, attendance)
//! and the caller's list. Forms only; entering is a form that answers with a redirect to
//! the person's own address into the room.

use super::strings::{strings, Strings};
use super::Web;
use crate::{ApplyAttendance, Attendee, Engine, NewVideoLesson, VideoListItem, VideoPage};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use parta_core::ids::{LessonId, PersonId};
use parta_core::Problem;
use parta_http::{render, Ctx, PageCaller, PageReq, PageResult, Pages};
use parta_schoolday::service::ru_date;

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/video", list)
        .get("/lessons/{id}/video", page)
        .post("/lessons/{id}/video", schedule)
        .post("/lessons/{id}/video/join", join)
        .post("/lessons/{id}/video/end", end)
        .post("/lessons/{id}/video/recording", recording)
        .post("/lessons/{id}/video/attendance", attendance)
}

fn private(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

fn lesson_id(raw: &str) -> Result<LessonId, Problem> {
    raw.parse().map_err(|_| Problem::not_found())
}

/// A student's row: their presence in words.
struct Row {
    a: Attendee,
    seen: String,
    journal: String,
}

#[derive(Template)]
#[template(path = "video_lesson.html")]
struct LessonPage {
    ctx: Ctx,
    t: &'static Strings,
    pg: VideoPage,
    day: String,
    rows: Vec<Row>,
    engines: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    /// The engine's report arrived.
    reported: bool,
}

fn clock(ms: i64) -> String {
    let full = parta_core::time::format_ms(ms);
    full.split_once(' ')
        .map(|(_, t)| t.to_string())
        .unwrap_or(full)
}

async fn lesson_page(st: &Web, r: &PageReq, id: LessonId, error: Option<Problem>) -> PageResult {
    let t = strings(&r.headers);
    let pg = st
        .videos
        .page(&r.caller.principal, &r.caller.origin, id)
        .await?;
    let reported = pg.attendance.iter().any(|a| a.engine_seconds.is_some());
    let rows = pg
        .attendance
        .iter()
        .map(|a| Row {
            seen: match (a.engine_seconds, a.joined_at) {
                (Some(s), _) => format!("{} {}", s / 60, t.minutes),
                (None, Some(at)) => format!("{} {}", t.joined_at, clock(at)),
                (None, None) => t.never_joined.to_string(),
            },
            journal: a
                .journal_status
                .as_deref()
                .map(|s| parta_schoolday::journal::model::attendance_label(s).to_string())
                .unwrap_or_default(),
            a: a.clone(),
        })
        .collect();
    let status = error
        .as_ref()
        .map(|p| p.status_code())
        .unwrap_or(StatusCode::OK);
    let ctx = r.ctx();
    let error = error.map(|p| parta_http::page::messages(&p, ctx.lang).join(" "));
    let page = LessonPage {
        ctx,
        t,
        day: ru_date(&pg.lesson.day),
        engines: pg.engines.iter().map(|e| (e.code(), e.name())).collect(),
        pg,
        rows,
        error,
        reported,
    };
    Ok((status, private(render(&page))).into_response())
}

async fn page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    lesson_page(&st, &r, lesson_id(&id)?, None).await
}

/// A refusal the page explains (bad input, a conflict, the engine down) is shown on it;
/// the rest (not found, forbidden) is the error page.
fn explained(p: &Problem) -> bool {
    matches!(p.status, 409 | 422 | 502)
}

#[derive(serde::Deserialize)]
struct ScheduleForm {
    #[serde(default)]
    engine: String,
}

async fn schedule(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ScheduleForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = lesson_id(&id)?;
    let req = NewVideoLesson {
        engine: Engine::parse(&f.engine),
    };
    match st
        .videos
        .schedule(&r.caller.principal, &r.caller.origin, id, &req)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/lessons/{id}/video?n=created")).into_response()),
        Err(e) if explained(&e) => lesson_page(&st, &r, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn join(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = lesson_id(&id)?;
    match st
        .videos
        .join(&r.caller.principal, &r.caller.origin, id)
        .await
    {
        // 303: the browser goes to the room with a GET; the address is not kept here.
        Ok(link) => Ok(private(Redirect::to(&link.url).into_response())),
        Err(e) if explained(&e) => lesson_page(&st, &r, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn end(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = lesson_id(&id)?;
    match st
        .videos
        .end(&r.caller.principal, &r.caller.origin, id)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/lessons/{id}/video?n=saved")).into_response()),
        Err(e) if explained(&e) => lesson_page(&st, &r, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn recording(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = lesson_id(&id)?;
    match st.videos.refresh_recording(&r.caller.principal, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/lessons/{id}/video")).into_response()),
        Err(e) if explained(&e) => lesson_page(&st, &r, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

/// The ticked students (`absent`, repeated) go into the journal as absent.
async fn attendance(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    body: String,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = lesson_id(&id)?;
    let mut absent = Vec::new();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        if k == "absent" {
            absent.push(
                v.parse::<PersonId>()
                    .map_err(|_| Problem::invalid("absent", "Неизвестный ученик."))?,
            );
        }
    }
    match st
        .videos
        .apply_attendance(
            &r.caller.principal,
            &r.caller.origin,
            id,
            &ApplyAttendance { absent },
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/lessons/{id}/video?n=saved")).into_response()),
        Err(e) if explained(&e) => lesson_page(&st, &r, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "video_list.html")]
struct ListPage {
    ctx: Ctx,
    t: &'static Strings,
    list: Vec<(VideoListItem, String)>,
}

async fn list(State(st): State<Web>, headers: HeaderMap, uri: Uri, pc: PageCaller) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let list = st.videos.list(&r.caller.principal).await?;
    let page = ListPage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        list: list
            .into_iter()
            .map(|v| {
                let day = ru_date(&v.lesson.day);
                (v, day)
            })
            .collect(),
    };
    Ok(private(render(&page)))
}
