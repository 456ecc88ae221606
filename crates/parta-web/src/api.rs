//! `/api/v1`: JSON handlers (extract, call one service function, render) and the
//! OpenAPI 3.1 document generated from them.

use crate::auth::{self, Caller};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::Json;
use parta_core::ids::{MunicipalityId, OrganisationId, PersonId, RoleAssignmentId};
use parta_core::principal::{Role, RoleAssignment};
use parta_core::Problem;
use parta_db::audit::AuditRecord;
use parta_registry::model::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use parta_http::ApiResult;

#[derive(OpenApi)]
#[openapi(
    info(title = "Parta API", version = "1", description = "Цифровая образовательная среда: реестр, вход, персональные данные."),
    tags(
        (name = "identity", description = "Вход, сессии, роли, токены"),
        (name = "registry", description = "Реестр: территории, организации, классы, люди"),
        (name = "personal-data", description = "Персональные данные: выгрузка, исправление, журнал доступа"),
        (name = "roster", description = "Обмен списками: OneRoster 1.2 CSV и шаблон для школы"),
        (name = "school-day", description = "Календарь, звонки, расписание, замены"),
        (name = "journal", description = "Электронный журнал: отметки, посещаемость, темы, итоговые отметки, отчёты"),
        (name = "diary", description = "Электронный дневник и домашние задания"),
        (name = "notifications", description = "Уведомления и их настройки"),
        (name = "gradebook", description = "OneRoster 1.2 Gradebook: отметки для других систем")
    ),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

/// `session`: the sign-in cookie (with `X-CSRF-Token` on changes); `token`: an API token
/// (`Authorization: Bearer parta_…`) whose scopes each operation names.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "Сеанс пользователя (вход на /api/v1/session)",
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(format!(
                        "API-токен с областями: {}",
                        parta_core::policy::TOKEN_SCOPES.join(", ")
                    )))
                    .build(),
            ),
        );
    }
}

/// What each operation accepts from API tokens, read from the document's `security`:
/// `Some(scopes)` (empty: any token) or `None` (sessions only).
pub fn token_access() -> std::collections::HashMap<String, Option<Vec<String>>> {
    let (_, doc) = router().split_for_parts();
    let json = serde_json::to_value(&doc).unwrap_or_default();
    let mut out = std::collections::HashMap::new();
    if let Some(paths) = json["paths"].as_object() {
        for (path, item) in paths {
            for m in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(m) else { continue };
                let token = op["security"].as_array().and_then(|reqs| {
                    reqs.iter().find_map(|r| {
                        r.get("token").and_then(|t| t.as_array()).map(|scopes| {
                            scopes
                                .iter()
                                .filter_map(|s| s.as_str().map(str::to_string))
                                .collect::<Vec<_>>()
                        })
                    })
                });
                out.insert(format!("{} {path}", m.to_uppercase()), token);
            }
        }
    }
    out
}

/// The API router with its document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(switch_role))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(regions))
        .routes(routes!(municipalities))
        .routes(routes!(organisations, create_organisation))
        .routes(routes!(organisation))
        .routes(routes!(classes, create_class))
        .routes(routes!(staff))
        .routes(routes!(privacy, set_privacy))
        .routes(routes!(organisation_audit))
        .routes(routes!(end_enrolment))
        .routes(routes!(enrol))
        .routes(routes!(class))
        .routes(routes!(person))
        .routes(routes!(update_contacts))
        .routes(routes!(request_change))
        .routes(routes!(person_audit))
        .routes(routes!(export))
        .routes(routes!(tokens, issue_token))
        .routes(routes!(revoke_token))
        .routes(routes!(roster_template))
        .routes(routes!(reference, add_reference))
        .routes(routes!(change_requests))
        .routes(routes!(decide_change))
        .routes(routes!(create_academic_year))
        .routes(routes!(create_person))
        .merge(crate::school_day_api::router())
        .merge(
            OpenApiRouter::new()
                .routes(routes!(export_roster, import_roster))
                .layer(axum::extract::DefaultBodyLimit::max(
                    parta_roster::service::MAX_UPLOAD + 64 * 1024,
                )),
        )
}

/// `GET /api/v1/...` operations in the document, as `METHOD /path`.
pub fn documented_operations() -> HashSet<String> {
    let (_, doc) = router().split_for_parts();
    let mut out = HashSet::new();
    out.insert("GET /api/v1/openapi.json".to_string());
    for (path, item) in doc.paths.paths {
        let ops = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (m, present) in ops {
            if present {
                out.insert(format!("{m} {path}"));
            }
        }
    }
    out
}

pub fn openapi_json() -> String {
    let (_, doc) = router().split_for_parts();
    doc.to_pretty_json().unwrap_or_default()
}

pub use parta_http::json::{path_id, ApiJson};

// ---- identity ----

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignInRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub person_id: PersonId,
    pub display_name: String,
    pub role: Role,
    pub active_role_id: RoleAssignmentId,
    pub roles: Vec<RoleAssignment>,
    /// Send back in `X-CSRF-Token` with every state-changing request of this session.
    pub csrf_token: Option<String>,
}

fn me_view(c: &Caller) -> Me {
    Me {
        person_id: c.principal.person_id,
        display_name: c.principal.display_name.clone(),
        role: c.principal.role(),
        active_role_id: c.principal.active.id,
        roles: c.principal.roles.clone(),
        csrf_token: c.session.as_ref().map(|s| s.csrf_token.clone()),
    }
}

/// Sign in with login and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", security(()), tag = "identity", request_body = SignInRequest,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn sign_in(
    State(st): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<Response> {
    let ip = auth::client_ip(&parts, &st.door);
    let device = auth::cookie(&parts.headers, auth::DEVICE_COOKIE);
    let signed = st
        .identity
        .sign_in(&req.login, &req.password, &ip, device.as_deref())
        .await?;
    let me = Me {
        person_id: signed.person_id,
        display_name: signed.display_name.clone(),
        role: signed.active.role,
        active_role_id: signed.active.id,
        roles: signed.roles.clone(),
        csrf_token: Some(signed.csrf_token.clone()),
    };
    let mut res = Json(me).into_response();
    for c in auth::sign_in_cookies(&signed, st.config.secure_cookies()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// Sign out: the session is revoked.
#[utoipa::path(delete, path = "/api/v1/session", security(("session" = [])), tag = "identity", responses((status = 204), (status = 401, body = Problem)))]
async fn sign_out(State(st): State<AppState>, caller: Caller) -> ApiResult<Response> {
    if let Some(s) = &caller.session {
        st.identity.sign_out(s).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, auth::clear_session_cookie())]),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SwitchRole {
    pub role_id: RoleAssignmentId,
}

/// Act in another of one's roles (a teacher who is also a parent).
#[utoipa::path(put, path = "/api/v1/session/role", security(("session" = [])), tag = "identity", request_body = SwitchRole,
    responses((status = 204), (status = 422, body = Problem)))]
async fn switch_role(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SwitchRole>,
) -> ApiResult<StatusCode> {
    let session = caller.session.as_ref().ok_or_else(Problem::forbidden)?;
    st.identity.switch_role(session, req.role_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in person and their roles.
#[utoipa::path(get, path = "/api/v1/me", security(("session" = []), ("token" = [])), tag = "identity", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(caller: Caller) -> Json<Me> {
    Json(me_view(&caller))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

/// Change one's password; every session is revoked and a new one opened.
#[utoipa::path(post, path = "/api/v1/me/password", security(("session" = [])), tag = "identity", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = Problem)))]
async fn change_password(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<Response> {
    let session = caller.session.as_ref().ok_or_else(Problem::forbidden)?;
    let ip = caller.origin.ip.clone().unwrap_or_default();
    let signed = st
        .identity
        .change_password(session, &req.old_password, &req.new_password, &ip)
        .await?;
    let cookie = auth::session_cookie(&signed.session_token, st.config.secure_cookies());
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, cookie)]),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    /// The role the token acts in.
    pub role_id: RoleAssignmentId,
    /// Scopes: `registry:read`, `registry:write`, `reference:write`, `schedule:read`,
    /// `schedule:write`, `journal:read`, `journal:write`, `notifications:read`,
    /// `notifications:write`.
    pub scopes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: String,
    /// Shown once; only a hash is stored.
    pub token: String,
}

/// API tokens for integrations.
#[utoipa::path(get, path = "/api/v1/tokens", security(("session" = [])), tag = "identity", responses((status = 200, body = [parta_identity::store::ApiTokenRow]), (status = 403, body = Problem)))]
async fn tokens(
    State(st): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<parta_identity::store::ApiTokenRow>>> {
    Ok(Json(st.identity.tokens(&caller.principal).await?))
}

/// Issue an API token (platform admin).
#[utoipa::path(post, path = "/api/v1/tokens", security(("session" = [])), tag = "identity", request_body = NewToken,
    responses((status = 201, body = IssuedToken), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn issue_token(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let (id, token) = st
        .identity
        .issue_token(&caller.principal, &req.name, req.role_id, &req.scopes)
        .await?;
    Ok((StatusCode::CREATED, Json(IssuedToken { id, token })))
}

/// Revoke an API token.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", security(("session" = [])), tag = "identity", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    st.identity.revoke_token(&caller.principal, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- registry ----

/// Subjects of the Russian Federation (reference book).
#[utoipa::path(get, path = "/api/v1/regions", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", responses((status = 200, body = [Region])))]
async fn regions(State(st): State<AppState>, _c: Caller) -> ApiResult<Json<Vec<Region>>> {
    Ok(Json(st.registry.regions().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MunicipalityQuery {
    /// Region code, e.g. `77`.
    pub region: Option<String>,
}

/// Municipalities, optionally of one region.
#[utoipa::path(get, path = "/api/v1/municipalities", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(MunicipalityQuery), responses((status = 200, body = [Municipality])))]
async fn municipalities(
    State(st): State<AppState>,
    _c: Caller,
    Query(q): Query<MunicipalityQuery>,
) -> ApiResult<Json<Vec<Municipality>>> {
    Ok(Json(st.registry.municipalities(q.region.as_deref()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    pub municipality_id: Option<MunicipalityId>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
}

/// The school directory, a page at a time.
#[utoipa::path(get, path = "/api/v1/organisations", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(OrgQuery), responses((status = 200, body = Page<Organisation>)))]
async fn organisations(
    State(st): State<AppState>,
    c: Caller,
    Query(q): Query<OrgQuery>,
) -> ApiResult<Json<Page<Organisation>>> {
    Ok(Json(
        st.registry
            .organisations(
                &c.principal,
                q.municipality_id,
                q.cursor.as_deref(),
                q.limit,
            )
            .await?,
    ))
}

/// Register an organisation (operator of its territory).
#[utoipa::path(post, path = "/api/v1/organisations", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", request_body = NewOrganisation,
    responses((status = 201, body = Organisation), (status = 403, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
async fn create_organisation(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewOrganisation>,
) -> ApiResult<(StatusCode, Json<Organisation>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.registry
                .create_organisation(&c.principal, &c.origin, req)
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = Organisation), (status = 404, body = Problem)))]
async fn organisation(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(
        st.registry
            .organisation(&c.principal, path_id(&id)?)
            .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}/classes", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = [ClassSummary]), (status = 404, body = Problem)))]
async fn classes(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ClassSummary>>> {
    Ok(Json(
        st.registry.classes(&c.principal, path_id(&id)?).await?,
    ))
}

/// Open a class in an academic year (school admin).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/classes", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = OrganisationId, Path)), request_body = NewClass,
    responses((status = 201, body = ClassSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_class(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewClass>,
) -> ApiResult<(StatusCode, Json<ClassSummary>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.registry
                .create_class(&c.principal, &c.origin, path_id(&id)?, req)
                .await?,
        ),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffMember {
    pub person: PersonBrief,
    pub position: String,
}

/// Staff of a school (school admin).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/staff", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = [StaffMember]), (status = 403, body = Problem)))]
async fn staff(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<StaffMember>>> {
    let list = st
        .registry
        .staff(&c.principal, &c.origin, path_id(&id)?)
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|(person, position)| StaffMember { person, position })
            .collect(),
    ))
}

/// The school's privacy settings: what it shares beyond the minimum.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/privacy", security(("session" = []), ("token" = ["registry:read"])), tag = "personal-data", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = parta_registry::model::PrivacySettings), (status = 404, body = Problem)))]
async fn privacy(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<parta_registry::model::PrivacySettings>> {
    Ok(Json(
        st.registry.privacy(&c.principal, path_id(&id)?).await?,
    ))
}

/// Changes the school's privacy settings (school admin); audited.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/privacy", security(("session" = []), ("token" = ["registry:write"])), tag = "personal-data", params(("id" = OrganisationId, Path)),
    request_body = parta_registry::model::PrivacySettings,
    responses((status = 200, body = parta_registry::model::PrivacySettings), (status = 403, body = Problem)))]
async fn set_privacy(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<parta_registry::model::PrivacySettings>,
) -> ApiResult<Json<parta_registry::model::PrivacySettings>> {
    Ok(Json(
        st.registry
            .set_privacy(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// The access log of a school (school admin).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/audit", security(("session" = []), ("token" = ["registry:read"])), tag = "personal-data", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = [AuditRecord]), (status = 403, body = Problem)))]
async fn organisation_audit(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    Ok(Json(
        st.registry
            .organisation_audit(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// End a student's stay: transfer out, expulsion or graduation.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/enrolment-ends", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = OrganisationId, Path)), request_body = EndEnrolment,
    responses((status = 200, body = [Enrolment]), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn end_enrolment(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EndEnrolment>,
) -> ApiResult<Json<Vec<Enrolment>>> {
    Ok(Json(
        st.registry
            .end_enrolment(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// Enrol a student in a class; a student enrolled elsewhere is transferred.
#[utoipa::path(post, path = "/api/v1/enrolments", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", request_body = Enrol,
    responses((status = 200, body = [Enrolment]), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn enrol(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<Enrol>,
) -> ApiResult<Json<Vec<Enrolment>>> {
    Ok(Json(st.registry.enrol(&c.principal, &c.origin, req).await?))
}

/// A class with its students and teachers.
#[utoipa::path(get, path = "/api/v1/classes/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = parta_core::ids::ClassId, Path)),
    responses((status = 200, body = ClassDetail), (status = 404, body = Problem)))]
async fn class(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ClassDetail>> {
    Ok(Json(
        st.registry
            .class(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// A person card.
#[utoipa::path(get, path = "/api/v1/persons/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = PersonId, Path)),
    responses((status = 200, body = PersonCard), (status = 404, body = Problem)))]
async fn person(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PersonCard>> {
    Ok(Json(
        st.registry
            .person(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// Correct one's own (or one's child's) e-mail and phone.
#[utoipa::path(patch, path = "/api/v1/persons/{id}/contacts", security(("session" = []), ("token" = ["registry:write"])), tag = "personal-data", params(("id" = PersonId, Path)), request_body = ContactUpdate,
    responses((status = 200, body = PersonCard), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn update_contacts(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ContactUpdate>,
) -> ApiResult<Json<PersonCard>> {
    Ok(Json(
        st.registry
            .update_contacts(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Ask the school to correct official data.
#[utoipa::path(post, path = "/api/v1/persons/{id}/change-requests", security(("session" = []), ("token" = ["registry:write"])), tag = "personal-data", params(("id" = PersonId, Path)), request_body = ChangeRequestInput,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn request_change(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ChangeRequestInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = st
        .registry
        .request_change(&c.principal, &c.origin, path_id(&id)?, req)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Who read or changed this person's data.
#[utoipa::path(get, path = "/api/v1/persons/{id}/audit", security(("session" = []), ("token" = ["registry:read"])), tag = "personal-data", params(("id" = PersonId, Path)),
    responses((status = 200, body = [AuditRecord]), (status = 404, body = Problem)))]
async fn person_audit(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    Ok(Json(
        st.registry
            .person_audit(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// Everything held about a person (and their children) as a ZIP of JSON files.
#[utoipa::path(get, path = "/api/v1/persons/{id}/export", security(("session" = []), ("token" = ["registry:read"])), tag = "personal-data", params(("id" = PersonId, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 404, body = Problem)))]
async fn export(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let files = st
        .registry
        .export(&c.principal, &c.origin, path_id(&id)?)
        .await?;
    let zip = zip_json(files)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"parta-my-data.zip\"".to_string(),
            ),
        ],
        zip,
    )
        .into_response())
}

pub fn zip_json(files: Vec<(String, serde_json::Value)>) -> ApiResult<Vec<u8>> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, value) in files {
        w.start_file(name, opts).map_err(|_| Problem::internal())?;
        let bytes = serde_json::to_vec_pretty(&value).map_err(|_| Problem::internal())?;
        w.write_all(&bytes).map_err(|_| Problem::internal())?;
    }
    Ok(w.finish().map_err(|_| Problem::internal())?.into_inner())
}

/// A reference book (НСИ): `regions`, `org-types`, `grade-levels`, `subjects`, `mark-scales`, `positions`.
#[utoipa::path(get, path = "/api/v1/reference/{book}", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("book" = String, Path)),
    responses((status = 200, body = [ReferenceEntry]), (status = 404, body = Problem)))]
async fn reference(
    State(st): State<AppState>,
    _c: Caller,
    Path(book): Path<String>,
) -> ApiResult<Json<Vec<ReferenceEntry>>> {
    Ok(Json(st.registry.reference(&book).await?))
}

/// Add a local entry to `subjects`, `positions` or `org-types` (regional operator).
#[utoipa::path(post, path = "/api/v1/reference/{book}", security(("session" = []), ("token" = ["reference:write"])), tag = "registry", params(("book" = String, Path)), request_body = NewReferenceEntry,
    responses((status = 201, body = ReferenceEntry), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_reference(
    State(st): State<AppState>,
    c: Caller,
    Path(book): Path<String>,
    ApiJson(req): ApiJson<NewReferenceEntry>,
) -> ApiResult<(StatusCode, Json<ReferenceEntry>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.registry
                .add_reference(&c.principal, &c.origin, &book, req)
                .await?,
        ),
    ))
}

/// Pending requests to correct official data about the school's people (school admin).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/change-requests", security(("session" = []), ("token" = ["registry:read"])), tag = "personal-data", params(("id" = OrganisationId, Path)),
    responses((status = 200, body = [ChangeRequest]), (status = 403, body = Problem)))]
async fn change_requests(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ChangeRequest>>> {
    Ok(Json(
        st.registry
            .change_requests(&c.principal, path_id(&id)?)
            .await?,
    ))
}

/// Approve (the official data change) or reject a correction request.
#[utoipa::path(post, path = "/api/v1/change-requests/{id}/decision", security(("session" = []), ("token" = ["registry:write"])), tag = "personal-data", params(("id" = String, Path)), request_body = ChangeDecision,
    responses((status = 200, body = ChangeRequest), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn decide_change(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ChangeDecision>,
) -> ApiResult<Json<ChangeRequest>> {
    Ok(Json(
        st.registry
            .decide_change(&c.principal, &c.origin, &id, req)
            .await?,
    ))
}

/// Open an academic year in a school (school admin).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/academic-years", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = OrganisationId, Path)), request_body = NewAcademicYear,
    responses((status = 201, body = Created), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_academic_year(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewAcademicYear>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = st
        .registry
        .create_academic_year(&c.principal, &c.origin, path_id(&id)?, req)
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Register a newcomer (no record anywhere yet) in a school; a student may be enrolled at once.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/persons", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = OrganisationId, Path)), request_body = NewPerson,
    responses((status = 201, body = PersonCard), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_person(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewPerson>,
) -> ApiResult<(StatusCode, Json<PersonCard>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.registry
                .create_person(&c.principal, &c.origin, path_id(&id)?, req)
                .await?,
        ),
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
    responses((status = 200, body = parta_roster::ImportReport), (status = 422, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem)))]
async fn import_roster(
    State(st): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<parta_roster::ImportReport>> {
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

/// The school's roster as a OneRoster 1.2 CSV bulk package.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/roster", security(("session" = []), ("token" = ["registry:read"])), tag = "roster", params(("id" = OrganisationId, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_roster(
    State(st): State<AppState>,
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
        parta_roster::template::blank(),
    )
        .into_response()
}
