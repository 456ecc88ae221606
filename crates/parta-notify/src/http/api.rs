//! `/api/v1/notifications`: the list, unread count, read marks and preferences.

use super::Web;
use crate::{DeliverySettings, NotificationList, Preference, SettingsChange};
use axum::extract::{Path, Query, State};
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
