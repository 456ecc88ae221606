//! The roster import wizard of a school (and, merged in, the administration's pages).

use super::Web;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use parta_core::policy::Operation;
use parta_core::Problem;
use parta_http::page::{render, Ctx, PageReq};
use parta_http::PageCaller;
use parta_http::Pages;
use parta_http::{fail, PageResult};

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/schools/{id}/import", import_page)
        .post("/schools/{id}/import", import_submit)
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::service::MAX_UPLOAD + 64 * 1024,
        ))
        .merge(super::admin::router())
}

// ---- roster import wizard ----

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    org_id: String,
    org_name: String,
    report: Option<crate::ImportReport>,
    rows: Vec<crate::RowError>,
}

async fn import_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return fail(Problem::not_found());
    };
    // Only those who may import see the wizard.
    match st
        .registry
        .may_on_organisation(&r.caller.principal, Operation::ImportRoster, org)
        .await
    {
        Ok(true) => {}
        Ok(false) => return fail(Problem::forbidden()),
        Err(e) => return fail(e),
    }
    match st.registry.organisation(&r.caller.principal, org).await {
        Ok(o) => Ok(render(&ImportPage {
            t: super::strings::strings(&r.headers),
            ctx: r.ctx(),
            org_id: id,
            org_name: o.short_name,
            report: None,
            rows: Vec::new(),
        })),
        Err(e) => fail(e),
    }
}

async fn import_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return fail(Problem::not_found());
    };
    let mut file = Vec::new();
    let mut dry_run = false;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => match field.bytes().await {
                    Ok(b) => file = b.to_vec(),
                    Err(_) => return fail(Problem::payload_too_large(crate::service::MAX_UPLOAD)),
                },
                Some("dry_run") => dry_run = true,
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                return fail(Problem::invalid(
                    "file",
                    "Не удалось прочитать загруженный файл.",
                ))
            }
        }
    }
    let org_name = match st.registry.organisation(&r.caller.principal, org).await {
        Ok(o) => o.short_name,
        Err(e) => return fail(e),
    };
    if file.is_empty() {
        return fail(Problem::invalid("file", "Выберите файл для загрузки."));
    }
    let result = st
        .roster
        .import(
            Some(&r.caller.principal),
            r.caller.origin.ip.clone(),
            org,
            &file,
            dry_run,
            &|_| {},
        )
        .await;
    // Row messages in the page's language.
    let lang = r.lang();
    let localized = |rows: Vec<crate::RowError>| -> Vec<crate::RowError> {
        rows.into_iter()
            .map(|mut e| {
                e.message = parta_http::messages::translate(lang, &e.message).into_owned();
                e
            })
            .collect()
    };
    match result {
        Ok(mut report) => Ok(render(&ImportPage {
            report: Some({
                report.warnings = localized(std::mem::take(&mut report.warnings));
                report
            }),
            t: super::strings::strings(&r.headers),
            ctx: r.ctx(),
            org_id: id,
            org_name,
            rows: Vec::new(),
        })),
        Err(crate::RosterError::Rows(rows)) => {
            let page = ImportPage {
                t: super::strings::strings(&r.headers),
                ctx: r.ctx(),
                org_id: id,
                org_name,
                report: None,
                rows: localized(rows),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => fail(e),
    }
}
