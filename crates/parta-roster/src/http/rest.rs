//! OneRoster 1.2 REST, the Rostering service: `/ims/oneroster/rostering/v1p2/…` with
//! `filter`, `sort`, `orderBy`, `fields`, `limit`, `offset`, the `X-Total-Count` and
//! `Link` headers, and the specification's error payload (the platform's problems are
//! rewritten into `imsx_StatusInfo` for these paths by `parta_http::imsx`).

use super::Web;
use crate::rest::query::RawQuery;
use crate::rest::service::{Collection, Within};
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use axum::response::Response;
use parta_http::imsx::{self, ImsxStatus};
use parta_http::{ApiResult, Caller};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs))
        .routes(routes!(get_orgs))
        .routes(routes!(list_schools))
        .routes(routes!(get_schools))
        .routes(routes!(list_academic_sessions))
        .routes(routes!(get_academic_sessions))
        .routes(routes!(list_terms))
        .routes(routes!(get_terms))
        .routes(routes!(list_grading_periods))
        .routes(routes!(get_grading_periods))
        .routes(routes!(list_courses))
        .routes(routes!(get_courses))
        .routes(routes!(list_classes))
        .routes(routes!(get_classes))
        .routes(routes!(list_users))
        .routes(routes!(get_users))
        .routes(routes!(list_students))
        .routes(routes!(get_students))
        .routes(routes!(list_teachers))
        .routes(routes!(get_teachers))
        .routes(routes!(list_enrollments))
        .routes(routes!(get_enrollments))
        .routes(routes!(list_demographics))
        .routes(routes!(get_demographics))
        .routes(routes!(schools_classes))
        .routes(routes!(schools_students))
        .routes(routes!(schools_teachers))
        .routes(routes!(schools_enrollments))
        .routes(routes!(schools_courses))
        .routes(routes!(schools_terms))
        .routes(routes!(schools_academic_sessions))
        .routes(routes!(classes_students))
        .routes(routes!(classes_teachers))
        .routes(routes!(users_classes))
        .routes(routes!(students_classes))
        .routes(routes!(teachers_classes))
}

async fn list(
    st: &Web,
    c: &Caller,
    uri: &Uri,
    coll: Collection,
    within: Within,
    q: &RawQuery,
) -> ApiResult<Response> {
    let page = st
        .roster
        .rest_list(&c.principal, c.origin.ip.clone(), coll, &within, q)
        .await?;
    Ok(imsx::collection(
        coll.names().0,
        page.total,
        page.items,
        uri,
        &page.query,
    ))
}

async fn one(
    st: &Web,
    c: &Caller,
    coll: Collection,
    id: &str,
    q: &RawQuery,
) -> ApiResult<Response> {
    let o = st
        .roster
        .rest_get(&c.principal, c.origin.ip.clone(), coll, id, q)
        .await?;
    Ok(imsx::single(coll.names().1, o))
}

/// OneRoster `orgs` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/orgs", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_orgs(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Orgs, Within::default(), &q).await
}

/// One object of `orgs`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/orgs/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_orgs(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Orgs, &id, &q).await
}

/// OneRoster `schools` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_schools(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Schools, Within::default(), &q).await
}

/// One object of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_schools(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Schools, &id, &q).await
}

/// OneRoster `academicSessions` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/academicSessions", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_academic_sessions(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(
        &st,
        &c,
        &uri,
        Collection::AcademicSessions,
        Within::default(),
        &q,
    )
    .await
}

/// One object of `academicSessions`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/academicSessions/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_academic_sessions(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::AcademicSessions, &id, &q).await
}

/// OneRoster `terms` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/terms", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_terms(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Terms, Within::default(), &q).await
}

/// One object of `terms`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/terms/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_terms(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Terms, &id, &q).await
}

/// OneRoster `gradingPeriods` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/gradingPeriods", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_grading_periods(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(
        &st,
        &c,
        &uri,
        Collection::GradingPeriods,
        Within::default(),
        &q,
    )
    .await
}

/// One object of `gradingPeriods`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/gradingPeriods/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_grading_periods(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::GradingPeriods, &id, &q).await
}

/// OneRoster `courses` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/courses", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_courses(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Courses, Within::default(), &q).await
}

/// One object of `courses`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/courses/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_courses(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Courses, &id, &q).await
}

/// OneRoster `classes` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/classes", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_classes(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Classes, Within::default(), &q).await
}

/// One object of `classes`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/classes/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_classes(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Classes, &id, &q).await
}

/// OneRoster `users` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/users", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_users(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Users, Within::default(), &q).await
}

/// One object of `users`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/users/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_users(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Users, &id, &q).await
}

/// OneRoster `students` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/students", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_students(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Students, Within::default(), &q).await
}

/// One object of `students`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/students/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_students(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Students, &id, &q).await
}

/// OneRoster `teachers` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/teachers", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_teachers(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(&st, &c, &uri, Collection::Teachers, Within::default(), &q).await
}

/// One object of `teachers`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/teachers/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_teachers(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Teachers, &id, &q).await
}

/// OneRoster `enrollments` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/enrollments", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_enrollments(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(
        &st,
        &c,
        &uri,
        Collection::Enrollments,
        Within::default(),
        &q,
    )
    .await
}

/// One object of `enrollments`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/enrollments/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_enrollments(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Enrollments, &id, &q).await
}

/// OneRoster `demographics` collection.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/demographics", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(RawQuery), responses((status = 200, body = Object), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus)))]
async fn list_demographics(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    list(
        &st,
        &c,
        &uri,
        Collection::Demographics,
        Within::default(),
        &q,
    )
    .await
}

/// One object of `demographics`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/demographics/{id}", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn get_demographics(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    one(&st, &c, Collection::Demographics, &id, &q).await
}

/// `classes` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/classes", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_classes(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Classes, within, &q).await
}

/// `students` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/students", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_students(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Students, within, &q).await
}

/// `teachers` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/teachers", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_teachers(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Teachers, within, &q).await
}

/// `enrollments` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/enrollments", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_enrollments(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Enrollments, within, &q).await
}

/// `courses` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/courses", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_courses(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Courses, within, &q).await
}

/// `terms` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/terms", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_terms(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Terms, within, &q).await
}

/// `academicSessions` of one of `schools`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/schools/{id}/academicSessions", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn schools_academic_sessions(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        school: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::AcademicSessions, within, &q).await
}

/// `students` of one of `classes`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/classes/{id}/students", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn classes_students(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        class: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Students, within, &q).await
}

/// `teachers` of one of `classes`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/classes/{id}/teachers", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn classes_teachers(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        class: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Teachers, within, &q).await
}

/// `classes` of one of `users`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/users/{id}/classes", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn users_classes(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        user: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Classes, within, &q).await
}

/// `classes` of one of `students`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/students/{id}/classes", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn students_classes(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        user: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Classes, within, &q).await
}

/// `classes` of one of `teachers`.
#[utoipa::path(get, path = "/ims/oneroster/rostering/v1p2/teachers/{id}/classes", security(("session" = []), ("token" = ["registry:read"])), tag = "rostering",
    params(("id" = String, Path), RawQuery), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn teachers_classes(
    State(st): State<Web>,
    c: Caller,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let within = Within {
        user: Some(id),
        ..Within::default()
    };
    list(&st, &c, &uri, Collection::Classes, within, &q).await
}
