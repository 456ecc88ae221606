//! `/api/v1` of roster exchange: OneRoster import and export, the school's template.

use super::Web;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parta_core::ids::OrganisationId;
use parta_core::Problem;
use parta_http::Caller;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use parta_http::{path_id, ApiResult};

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(roster_template))
        .routes(routes!(letters))
        .routes(routes!(match_orgs))
        .merge(super::rest::router())
        .merge(
            OpenApiRouter::new()
                .routes(routes!(export_roster, import_roster))
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::service::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .merge(OpenApiRouter::new().routes(routes!(import_several)).layer(
            axum::extract::DefaultBodyLimit::max(crate::limits::MAX_REGION_UPLOAD + 64 * 1024),
        ))
}

// ---- roster exchange ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only validate and report what would change; write nothing.
    pub dry_run: Option<bool>,
}

/// Import a OneRoster 1.2 CSV bulk package (ZIP) or the Russian CSV template into a
/// school. Validated whole first; written all or nothing; idempotent.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/roster", security(("session" = []), ("token" = ["registry:write"])), tag = "roster", params(("id" = OrganisationId, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 200, body = crate::ImportReport), (status = 422, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem)))]
async fn import_roster(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<crate::ImportReport>> {
    let report = st
        .roster
        .import(
            Some(&c.principal),
            c.origin.ip.clone(),
            path_id(&id)?,
            &body,
            q.dry_run.unwrap_or(false),
            &|_| {},
        )
        .await?;
    Ok(Json(report))
}

/// Import a OneRoster package of several schools (a district with its schools, a region's
/// export) into the caller's territory (a municipal or regional operator). Each
/// organisation is matched to a school of the territory — an earlier match, our id, or
/// the INN in `identifier`; an unmatched one is a row with `unmatched_org` (match it with
/// `PUT /api/v1/roster/orgs`). Validated whole; written all or nothing; idempotent.
#[utoipa::path(post, path = "/api/v1/roster", security(("session" = []), ("token" = ["registry:write"])), tag = "roster", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 200, body = crate::region::RegionReport), (status = 422, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem)))]
async fn import_several(
    State(st): State<Web>,
    c: Caller,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<crate::region::RegionReport>> {
    let report = st
        .roster
        .import_region(
            Some(&c.principal),
            c.origin.ip.clone(),
            None,
            body.to_vec(),
            q.dry_run.unwrap_or(false),
            &|_, _| {},
        )
        .await?;
    Ok(Json(report))
}

/// One match of a package's organisation to a school of the territory.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OrgMatch {
    /// The organisation's sourcedId in the package.
    pub source: String,
    /// The school's id on the platform.
    pub organisation: String,
}

/// Records which school of the caller's territory each organisation of its packages is.
#[utoipa::path(put, path = "/api/v1/roster/orgs", security(("session" = []), ("token" = ["registry:write"])), tag = "roster", request_body = [OrgMatch],
    responses((status = 200, body = usize), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn match_orgs(
    State(st): State<Web>,
    c: Caller,
    parta_http::ApiJson(req): parta_http::ApiJson<Vec<OrgMatch>>,
) -> ApiResult<Json<usize>> {
    let pairs: Vec<(String, String)> = req
        .into_iter()
        .map(|m| (m.source, m.organisation))
        .collect();
    let n = st
        .roster
        .map_orgs(&c.principal, c.origin.ip.clone(), &pairs)
        .await?;
    Ok(Json(n))
}

/// The school's roster as a OneRoster 1.2 CSV bulk package.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/roster", security(("session" = []), ("token" = ["registry:read"])), tag = "roster", params(("id" = OrganisationId, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_roster(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let zip = st
        .roster
        .export(Some(&c.principal), c.origin.ip.clone(), path_id(&id)?)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"oneroster.zip\"".to_string(),
            ),
        ],
        zip,
    )
        .into_response())
}

/// The blank Russian CSV template (UTF-8 with BOM, `;`-separated) with an example row.
#[utoipa::path(get, path = "/api/v1/roster/template", security(("session" = []), ("token" = ["registry:read"])), tag = "roster", responses((status = 200, content_type = "text/csv", body = String)))]
async fn roster_template(_c: Caller) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"shablon-uchenikov.csv\"",
            ),
        ],
        crate::template::blank(),
    )
        .into_response()
}

// ---- accounts ----

/// Request: sign-in letters for these people.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LettersRequest {
    #[schema(value_type = Vec<String>)]
    pub person_ids: Vec<parta_core::ids::PersonId>,
}

/// Sign-in letters (письма со входом): an account for each person who has none and a new
/// one-time password for each, to be changed at the first sign-in. Their old passwords
/// and sessions end. For people of the caller's school only; in a session only (an API
/// token cannot mint passwords). The passwords are in this answer only.
#[utoipa::path(post, path = "/api/v1/letters", security(("session" = [])), tag = "roster", request_body = LettersRequest,
    responses((status = 200, body = [crate::accounts::PrintedLetter]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn letters(
    State(st): State<Web>,
    c: Caller,
    parta_http::ApiJson(req): parta_http::ApiJson<LettersRequest>,
) -> ApiResult<Response> {
    let letters = crate::accounts::letters(
        &st.registry,
        &st.identity,
        &c.principal,
        &c.origin,
        &req.person_ids,
    )
    .await?;
    let mut res = Json(letters).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
