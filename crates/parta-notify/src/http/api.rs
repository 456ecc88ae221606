//! `/api/v1/notifications`: the list, unread count, read marks and preferences.

use super::Web;
use crate::push::Subscription;
use crate::{
    DeliverySettings, NotificationList, Preference, PushDevice, PushStatus, PushUnsubscribe,
    SettingsChange,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use parta_core::Problem;
use parta_http::ApiResult;
use parta_http::Caller;
use parta_http::{path_id, ApiJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(notifications))
        .routes(routes!(unread))
        .routes(routes!(read_notification))
        .routes(routes!(read_all))
        .routes(routes!(preferences, set_preferences))
        .routes(routes!(settings, set_settings))
        .routes(routes!(push_status))
        .routes(routes!(subscribe_push))
        .routes(routes!(unsubscribe_push))
        .routes(routes!(forget_push))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

// ---- notifications ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `next_cursor` of the previous page.
    pub before: Option<String>,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", security(("session" = []), ("token" = ["notifications:read"])), tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = NotificationList)))]
async fn notifications(
    State(st): State<Web>,
    c: Caller,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationList>> {
    Ok(Json(
        st.notifications
            .list(&c.principal, q.before.as_deref())
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unread {
    pub unread: i64,
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread", security(("session" = []), ("token" = ["notifications:read"])), tag = "notifications", responses((status = 200, body = Unread)))]
async fn unread(State(st): State<Web>, c: Caller) -> ApiResult<Json<Unread>> {
    Ok(Json(Unread {
        unread: st.notifications.unread(&c.principal).await?,
    }))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications",
    params(("id" = parta_core::ids::NotificationId, Path)),
    responses((status = 200, body = Done), (status = 404, body = Problem)))]
async fn read_notification(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Done>> {
    st.notifications
        .mark_read(&c.principal, path_id(&id)?)
        .await?;
    Ok(Json(Done { ok: true }))
}

/// Marks all the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications", responses((status = 200, body = Done)))]
async fn read_all(State(st): State<Web>, c: Caller) -> ApiResult<Json<Done>> {
    st.notifications.mark_all_read(&c.principal).await?;
    Ok(Json(Done { ok: true }))
}

/// Which kinds of notifications the caller receives, and by which channels.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", security(("session" = []), ("token" = ["notifications:read"])), tag = "notifications", responses((status = 200, body = [Preference])))]
async fn preferences(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(st.notifications.preferences(&c.principal).await?))
}

/// Switches kinds of notifications on or off for the caller, and their e-mail and
/// messenger delivery (a channel left out is kept as it is).
#[utoipa::path(put, path = "/api/v1/notifications/preferences", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications", request_body = [Preference],
    responses((status = 200, body = [Preference]), (status = 422, body = Problem)))]
async fn set_preferences(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<Vec<Preference>>,
) -> ApiResult<Json<Vec<Preference>>> {
    Ok(Json(
        st.notifications.set_preferences(&c.principal, &req).await?,
    ))
}

/// Quiet hours (no e-mail or messenger then; a student's nights always), the daily
/// digest, and where e-mail goes.
#[utoipa::path(get, path = "/api/v1/notifications/settings", security(("session" = []), ("token" = ["notifications:read"])), tag = "notifications", responses((status = 200, body = DeliverySettings)))]
async fn settings(State(st): State<Web>, c: Caller) -> ApiResult<Json<DeliverySettings>> {
    Ok(Json(st.notifications.settings(&c.principal).await?))
}

/// Sets quiet hours (`HH:MM`, both or neither) and the digest.
#[utoipa::path(put, path = "/api/v1/notifications/settings", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications", request_body = SettingsChange,
    responses((status = 200, body = DeliverySettings), (status = 422, body = Problem)))]
async fn set_settings(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<SettingsChange>,
) -> ApiResult<Json<DeliverySettings>> {
    Ok(Json(
        st.notifications.set_settings(&c.principal, &req).await?,
    ))
}

// ---- Web Push ----

/// Web Push on this platform: its public key (the browser's `applicationServerKey`) and
/// the caller's browsers that receive pushes.
#[utoipa::path(get, path = "/api/v1/notifications/push", security(("session" = []), ("token" = ["notifications:read"])), tag = "notifications", responses((status = 200, body = PushStatus)))]
async fn push_status(State(st): State<Web>, c: Caller) -> ApiResult<Json<PushStatus>> {
    Ok(Json(st.notifications.push_status(&c.principal).await?))
}

/// Subscribes the caller's browser to pushes: the `PushSubscription` it gave
/// (`endpoint` at a known push service, `keys.p256dh`, `keys.auth`).
#[utoipa::path(post, path = "/api/v1/notifications/push/subscriptions", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications", request_body = Subscription,
    responses((status = 201, body = PushDevice), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn subscribe_push(
    State(st): State<Web>,
    c: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<Subscription>,
) -> ApiResult<(StatusCode, Json<PushDevice>)> {
    let ua = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let device = st
        .notifications
        .subscribe_push(&c.principal, &req, ua)
        .await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// Switches pushes off for one of the caller's browsers.
#[utoipa::path(delete, path = "/api/v1/notifications/push/subscriptions/{id}", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications",
    params(("id" = parta_core::ids::PushSubscriptionId, Path)),
    responses((status = 200, body = Done), (status = 404, body = Problem)))]
async fn forget_push(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Done>> {
    st.notifications
        .unsubscribe_push(&c.principal, Some(path_id(&id)?), None)
        .await?;
    Ok(Json(Done { ok: true }))
}

/// Switches pushes off for the browser at this address (the browser knows its own).
#[utoipa::path(post, path = "/api/v1/notifications/push/unsubscribe", security(("session" = []), ("token" = ["notifications:write"])), tag = "notifications", request_body = PushUnsubscribe,
    responses((status = 200, body = Done), (status = 404, body = Problem)))]
async fn unsubscribe_push(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<PushUnsubscribe>,
) -> ApiResult<Json<Done>> {
    st.notifications
        .unsubscribe_push(&c.principal, None, Some(&req.endpoint))
        .await?;
    Ok(Json(Done { ok: true }))
}
