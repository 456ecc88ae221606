//! `/api/v1/lessons/{id}/video` and the engines' callbacks.

use super::Web;
use crate::{ApplyAttendance, JoinLink, NewVideoLesson, VideoLesson, VideoListItem, VideoPage};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use parta_core::ids::LessonId;
use parta_core::Problem;
use parta_http::{path_id, ApiJson, ApiResult, Caller};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest callback body read: the attendance of a very full meeting.
pub const MAX_CALLBACK_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(video_lessons))
        .routes(routes!(video, schedule))
        .routes(routes!(join))
        .routes(routes!(end))
        .routes(routes!(recording))
        .routes(routes!(apply_attendance))
        .routes(routes!(bbb_recording_ready))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(bbb_analytics))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_CALLBACK_BYTES)),
        )
}

/// The caller's video lessons from a week back: a student's, a teacher's own, a school's
/// for its administration.
#[utoipa::path(get, path = "/api/v1/video-lessons", security(("session" = []), ("token" = ["schedule:read"])), tag = "video",
    responses((status = 200, body = [VideoListItem])))]
async fn video_lessons(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<VideoListItem>>> {
    Ok(Json(st.videos.list(&c.principal).await?))
}

/// A lesson's video lesson (if scheduled), what the caller may do, and — for those who
/// lead it — who of the students was there, with the suggestion for the journal.
#[utoipa::path(get, path = "/api/v1/lessons/{id}/video", security(("session" = []), ("token" = ["schedule:read"])), tag = "video",
    params(("id" = LessonId, Path)),
    responses((status = 200, body = VideoPage), (status = 404, body = Problem)))]
async fn video(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<VideoPage>> {
    Ok(Json(
        st.videos
            .page(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// Schedules a video lesson for the lesson (who may write its journal), in the engine
/// named or the first configured.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/video", security(("session" = []), ("token" = ["schedule:write"])), tag = "video",
    params(("id" = LessonId, Path)), request_body = NewVideoLesson,
    responses((status = 201, body = VideoLesson), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn schedule(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewVideoLesson>,
) -> ApiResult<(StatusCode, Json<VideoLesson>)> {
    let v = st
        .videos
        .schedule(&c.principal, &c.origin, path_id(&id)?, &req)
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The caller's own address into the room (the lesson's teacher leads; its students
/// attend), on the lesson's day until it ends. Follow it at once; do not keep it.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/video/join", security(("session" = []), ("token" = ["schedule:read"])), tag = "video",
    params(("id" = LessonId, Path)),
    responses((status = 200, body = JoinLink), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 502, body = Problem)))]
async fn join(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<JoinLink>> {
    Ok(Json(
        st.videos
            .join(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// Ends the video lesson for everyone.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/video/end", security(("session" = []), ("token" = ["schedule:write"])), tag = "video",
    params(("id" = LessonId, Path)),
    responses((status = 200, body = VideoLesson), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 502, body = Problem)))]
async fn end(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<VideoLesson>> {
    Ok(Json(
        st.videos
            .end(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// Asks the engine for the lesson's recording now.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/video/recording", security(("session" = []), ("token" = ["schedule:write"])), tag = "video",
    params(("id" = LessonId, Path)),
    responses((status = 200, body = VideoLesson), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 502, body = Problem)))]
async fn recording(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<VideoLesson>> {
    Ok(Json(
        st.videos
            .refresh_recording(&c.principal, path_id(&id)?)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Applied {
    /// Absences written into the journal.
    pub written: usize,
}

/// Takes the teacher's choice from the video lesson's attendance into the journal: the
/// students named absent, the attendance taken (the journal's own marks stay). A token
/// needs `journal:write` as well: the journal's own save writes it.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/video/attendance", security(("session" = []), ("token" = ["schedule:write"])), tag = "video",
    params(("id" = LessonId, Path)), request_body = ApplyAttendance,
    responses((status = 200, body = Applied), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn apply_attendance(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ApplyAttendance>,
) -> ApiResult<Json<Applied>> {
    let written = st
        .videos
        .apply_attendance(&c.principal, &c.origin, path_id(&id)?, &req)
        .await?;
    Ok(Json(Applied { written }))
}

/// BigBlueButton's analytics callback (`meta_analytics-callback-url`): the meeting's
/// attendance after it ends, signed by the server (`Authorization: Bearer`, HS512 with the
/// shared secret).
#[utoipa::path(post, path = "/api/v1/video/bbb/analytics", security(()), tag = "video",
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn bbb_analytics(
    State(st): State<Web>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    st.videos.bbb_analytics(bearer, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RecordingReady {
    /// A JWT (HS256, the shared secret) naming the meeting and the recording.
    pub signed_parameters: String,
}

/// BigBlueButton's recording-ready callback (`meta_bbb-recording-ready-url`).
#[utoipa::path(post, path = "/api/v1/video/bbb/recording-ready", security(()), tag = "video",
    request_body(content = RecordingReady, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn bbb_recording_ready(State(st): State<Web>, body: String) -> ApiResult<StatusCode> {
    // Read by hand: whatever comes, the answer is a problem, not a rejection page.
    let signed = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "signed_parameters")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    st.videos.bbb_recording_ready(&signed).await?;
    Ok(StatusCode::NO_CONTENT)
}
