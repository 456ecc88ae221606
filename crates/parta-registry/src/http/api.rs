//! `/api/v1` of the registry and of personal data (contacts, correction requests,
//! export, access log, privacy settings).

use super::Web;
use crate::model::*;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use parta_core::ids::{MunicipalityId, OrganisationId, PersonId};
use parta_core::Problem;
use parta_db::audit::AuditRecord;
use parta_http::Caller;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use parta_http::{path_id, ApiJson, ApiResult};

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
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
        .routes(routes!(person, edit_person))
        .routes(routes!(update_contacts))
        .routes(routes!(request_change))
        .routes(routes!(person_audit))
        .routes(routes!(export))
        .routes(routes!(reference, add_reference))
        .routes(routes!(change_requests))
        .routes(routes!(decide_change))
        .routes(routes!(create_academic_year))
        .routes(routes!(create_person))
        .routes(routes!(members))
        .routes(routes!(link_guardian))
        .routes(routes!(add_position))
        .routes(routes!(staff_leaves))
        .routes(routes!(year_end_plan, year_end))
        .routes(routes!(operators, appoint_operator))
        .routes(routes!(assignments, assign))
        .routes(routes!(unassign))
        .routes(routes!(class_groups, create_group))
        .routes(routes!(set_group_members))
}

// ---- registry ----

/// Subjects of the Russian Federation (reference book).
#[utoipa::path(get, path = "/api/v1/regions", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", responses((status = 200, body = [Region])))]
async fn regions(State(st): State<Web>, _c: Caller) -> ApiResult<Json<Vec<Region>>> {
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    responses((status = 200, body = crate::model::PrivacySettings), (status = 404, body = Problem)))]
async fn privacy(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::model::PrivacySettings>> {
    Ok(Json(
        st.registry.privacy(&c.principal, path_id(&id)?).await?,
    ))
}

/// Changes the school's privacy settings (school admin); audited.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/privacy", security(("session" = []), ("token" = ["registry:write"])), tag = "personal-data", params(("id" = OrganisationId, Path)),
    request_body = crate::model::PrivacySettings,
    responses((status = 200, body = crate::model::PrivacySettings), (status = 403, body = Problem)))]
async fn set_privacy(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<crate::model::PrivacySettings>,
) -> ApiResult<Json<crate::model::PrivacySettings>> {
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<Enrol>,
) -> ApiResult<Json<Vec<Enrolment>>> {
    Ok(Json(st.registry.enrol(&c.principal, &c.origin, req).await?))
}

/// A class with its students and teachers.
#[utoipa::path(get, path = "/api/v1/classes/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = parta_core::ids::ClassId, Path)),
    responses((status = 200, body = ClassDetail), (status = 404, body = Problem)))]
async fn class(
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
async fn export(State(st): State<Web>, c: Caller, Path(id): Path<String>) -> ApiResult<Response> {
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
    State(st): State<Web>,
    _c: Caller,
    Path(book): Path<String>,
) -> ApiResult<Json<Vec<ReferenceEntry>>> {
    Ok(Json(st.registry.reference(&book).await?))
}

/// Add a local entry to `subjects`, `positions` or `org-types` (regional operator).
#[utoipa::path(post, path = "/api/v1/reference/{book}", security(("session" = []), ("token" = ["reference:write"])), tag = "registry", params(("book" = String, Path)), request_body = NewReferenceEntry,
    responses((status = 201, body = ReferenceEntry), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_reference(
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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
    State(st): State<Web>,
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

// ---- the school's administration ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// The start of a last or first name.
    pub q: Option<String>,
    /// Only 9th-grade classes graduate too (year end).
    pub graduate_ninth: Option<bool>,
}

/// The school's students, staff and parents (the first 300; a name narrows the list).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/people", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = OrganisationId, Path), MembersQuery),
    responses((status = 200, body = [SchoolMember]), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn members(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<Vec<SchoolMember>>> {
    let name: String = q.q.unwrap_or_default().chars().take(100).collect();
    Ok(Json(
        st.registry
            .members(&c.principal, &c.origin, path_id(&id)?, &name)
            .await?,
    ))
}

/// The school corrects a person's card (names, birth date, СНИЛС, contacts).
#[utoipa::path(put, path = "/api/v1/persons/{id}", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = PersonId, Path)), request_body = PersonEdit,
    responses((status = 200, body = PersonCard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn edit_person(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PersonEdit>,
) -> ApiResult<Json<PersonCard>> {
    Ok(Json(
        st.registry
            .edit_person(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// Links a parent (legal representative) the school knows to a student.
#[utoipa::path(post, path = "/api/v1/persons/{id}/guardians", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = PersonId, Path)), request_body = GuardianLink,
    responses((status = 200, body = PersonCard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn link_guardian(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<GuardianLink>,
) -> ApiResult<Json<PersonCard>> {
    Ok(Json(
        st.registry
            .link_guardian(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// A member of staff gets a position in the school (the head and deputies administer it).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/staff/{person}/positions", security(("session" = []), ("token" = ["registry:write"])), tag = "registry",
    params(("id" = OrganisationId, Path), ("person" = PersonId, Path)), request_body = NewPosition,
    responses((status = 200, body = PersonCard), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_position(
    State(st): State<Web>,
    c: Caller,
    Path((id, person)): Path<(String, String)>,
    ApiJson(req): ApiJson<NewPosition>,
) -> ApiResult<Json<PersonCard>> {
    Ok(Json(
        st.registry
            .add_position(
                &c.principal,
                &c.origin,
                path_id(&id)?,
                path_id(&person)?,
                req,
            )
            .await?,
    ))
}

/// A member of staff leaves the school: positions and roles there end; history stays.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/staff/{person}/leave", security(("session" = []), ("token" = ["registry:write"])), tag = "registry",
    params(("id" = OrganisationId, Path), ("person" = PersonId, Path)), request_body = StaffLeaves,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn staff_leaves(
    State(st): State<Web>,
    c: Caller,
    Path((id, person)): Path<(String, String)>,
    ApiJson(req): ApiJson<StaffLeaves>,
) -> ApiResult<StatusCode> {
    st.registry
        .staff_leaves(
            &c.principal,
            &c.origin,
            path_id(&id)?,
            path_id(&person)?,
            req,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the end of the school year will do, class by class.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/year-end", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = OrganisationId, Path), MembersQuery),
    responses((status = 200, body = YearEndPlan), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn year_end_plan(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<YearEndPlan>> {
    Ok(Json(
        st.registry
            .year_end_plan(
                &c.principal,
                path_id(&id)?,
                q.graduate_ninth.unwrap_or(false),
            )
            .await?,
    ))
}

/// Перевод и выпуск: every class moves to the next grade of the next year; the 11th graduates.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/year-end", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = OrganisationId, Path)), request_body = YearEnd,
    responses((status = 200, body = YearEndReport), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn year_end(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<YearEnd>,
) -> ApiResult<Json<YearEndReport>> {
    Ok(Json(
        st.registry
            .year_end(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// Municipal and regional operators (the platform's administrator).
#[utoipa::path(get, path = "/api/v1/operators", security(("session" = []), ("token" = ["registry:read"])), tag = "registry",
    responses((status = 200, body = [crate::operators::OperatorRow]), (status = 403, body = Problem)))]
async fn operators(
    State(st): State<Web>,
    c: Caller,
) -> ApiResult<Json<Vec<crate::operators::OperatorRow>>> {
    Ok(Json(st.registry.operators(&c.principal).await?))
}

/// Appoint a municipal or regional operator (a new person with the role over the territory).
#[utoipa::path(post, path = "/api/v1/operators", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", request_body = crate::operators::NewOperator,
    responses((status = 201, body = PersonCard), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn appoint_operator(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<crate::operators::NewOperator>,
) -> ApiResult<(StatusCode, Json<PersonCard>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            st.registry
                .appoint_operator(&c.principal, &c.origin, req)
                .await?,
        ),
    ))
}

/// What a member of staff teaches.
#[utoipa::path(get, path = "/api/v1/persons/{id}/assignments", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = PersonId, Path)),
    responses((status = 200, body = [Assignment]), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn assignments(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(
        st.registry
            .assignments_of(&c.principal, path_id(&id)?)
            .await?,
    ))
}

/// A teacher of the school takes a subject in a class.
#[utoipa::path(post, path = "/api/v1/persons/{id}/assignments", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = PersonId, Path)), request_body = NewAssignment,
    responses((status = 200, body = [Assignment]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn assign(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewAssignment>,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(
        st.registry
            .assign(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// The teacher no longer teaches this subject in this class (marks and lessons stay).
#[utoipa::path(delete, path = "/api/v1/persons/{id}/assignments/{assignment}", security(("session" = []), ("token" = ["registry:write"])), tag = "registry",
    params(("id" = PersonId, Path), ("assignment" = String, Path)),
    responses((status = 200, body = [Assignment]), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unassign(
    State(st): State<Web>,
    c: Caller,
    Path((id, assignment)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Assignment>>> {
    Ok(Json(
        st.registry
            .unassign(&c.principal, &c.origin, path_id(&id)?, &assignment)
            .await?,
    ))
}

/// A class's groups (подгруппы) with their members.
#[utoipa::path(get, path = "/api/v1/classes/{id}/groups", security(("session" = []), ("token" = ["registry:read"])), tag = "registry", params(("id" = parta_core::ids::ClassId, Path)),
    responses((status = 200, body = [ClassGroup]), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn class_groups(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ClassGroup>>> {
    Ok(Json(
        st.registry
            .class_groups(&c.principal, path_id(&id)?)
            .await?,
    ))
}

/// A new group of a class (a subject in halves, an elective) with its students.
#[utoipa::path(post, path = "/api/v1/classes/{id}/groups", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = parta_core::ids::ClassId, Path)), request_body = NewGroup,
    responses((status = 200, body = [ClassGroup]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_group(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewGroup>,
) -> ApiResult<Json<Vec<ClassGroup>>> {
    Ok(Json(
        st.registry
            .create_group(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// A group's students, replaced whole.
#[utoipa::path(put, path = "/api/v1/groups/{id}/members", security(("session" = []), ("token" = ["registry:write"])), tag = "registry", params(("id" = parta_core::ids::GroupId, Path)), request_body = Vec<String>,
    responses((status = 200, body = [ClassGroup]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_group_members(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Vec<PersonId>>,
) -> ApiResult<Json<Vec<ClassGroup>>> {
    Ok(Json(
        st.registry
            .set_group_members(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}
