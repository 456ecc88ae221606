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
        .post("/schools/{id}/import/subjects", map_subjects)
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::service::MAX_UPLOAD + 64 * 1024,
        ))
        .merge(
            Pages::new()
                .get("/schools/import", region_page)
                .post("/schools/import", region_submit)
                .post("/schools/import/orgs", region_map)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::limits::MAX_REGION_UPLOAD + 64 * 1024,
                )),
        )
        .merge(super::admin::router())
}

// ---- roster import wizard ----

/// The uploaded file (at most `max` bytes) and whether only a check is asked for.
async fn upload(
    form: &mut axum::extract::Multipart,
    max: usize,
) -> Result<(Vec<u8>, bool), Problem> {
    let mut file = Vec::new();
    let mut dry_run = false;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => match field.bytes().await {
                    Ok(b) => file = b.to_vec(),
                    Err(_) => return Err(Problem::payload_too_large(max)),
                },
                Some("dry_run") => dry_run = true,
                _ => {}
            },
            Ok(None) => return Ok((file, dry_run)),
            Err(_) => {
                return Err(Problem::invalid(
                    "file",
                    "Не удалось прочитать загруженный файл.",
                ))
            }
        }
    }
}

/// Row messages in the page's language.
fn localized(lang: parta_http::i18n::Lang, rows: Vec<crate::RowError>) -> Vec<crate::RowError> {
    rows.into_iter()
        .map(|mut e| {
            e.message = parta_http::messages::translate(lang, &e.message).into_owned();
            e
        })
        .collect()
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    org_id: String,
    org_name: String,
    report: Option<crate::ImportReport>,
    rows: Vec<crate::RowError>,
    /// The package's subjects the school has to map (from the rows refused).
    unmapped: Vec<String>,
    /// The federal subject list to map them to.
    subjects: Vec<parta_registry::model::ReferenceEntry>,
    /// What the school mapped before: (the file's name, the subject's name).
    mapped: Vec<(String, String)>,
    /// Pairs just saved.
    saved: usize,
}

impl ImportPage {
    /// The page of a school with its subject map; `rows` refused (their unmapped
    /// subjects asked for).
    async fn of(
        st: &Web,
        r: &PageReq,
        org: parta_core::ids::OrganisationId,
        org_name: String,
        report: Option<crate::ImportReport>,
        rows: Vec<crate::RowError>,
    ) -> Result<Self, parta_registry::RegistryError> {
        let mut unmapped: Vec<String> = rows
            .iter()
            .filter_map(|e| e.unmapped_subject.clone())
            .collect();
        unmapped.sort();
        unmapped.dedup();
        let subjects = st.registry.reference("subjects").await?;
        let name = |code: &str| {
            subjects
                .iter()
                .find(|s| s.code == code)
                .map_or(code.to_string(), |s| s.name.clone())
        };
        let mapped = st
            .registry
            .subject_map(org)
            .await?
            .into_iter()
            .map(|(src, code)| (src, name(&code)))
            .collect();
        Ok(ImportPage {
            t: super::strings::strings(&r.headers),
            ctx: r.ctx(),
            org_id: org.to_string(),
            org_name,
            report,
            rows,
            unmapped,
            subjects,
            mapped,
            saved: 0,
        })
    }
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
    let _ = id;
    match st.registry.organisation(&r.caller.principal, org).await {
        Ok(o) => match ImportPage::of(&st, &r, org, o.short_name, None, Vec::new()).await {
            Ok(page) => Ok(render(&page)),
            Err(e) => fail(e),
        },
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
    let (file, dry_run) = upload(&mut form, crate::service::MAX_UPLOAD).await?;
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
    let localized = |rows| localized(lang, rows);
    let _ = id;
    match result {
        Ok(mut report) => {
            report.warnings = localized(std::mem::take(&mut report.warnings));
            match ImportPage::of(&st, &r, org, org_name, Some(report), Vec::new()).await {
                Ok(page) => Ok(render(&page)),
                Err(e) => fail(e),
            }
        }
        Err(crate::RosterError::Rows(rows)) => {
            match ImportPage::of(&st, &r, org, org_name, None, localized(rows)).await {
                Ok(page) => Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()),
                Err(e) => fail(e),
            }
        }
        Err(e) => fail(e),
    }
}

/// Saves the school's subject map (pairs of `source` and `subject` fields, in order) and
/// shows the wizard again, to upload the file once more.
async fn map_subjects(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return fail(Problem::not_found());
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let sources = fields
        .iter()
        .filter(|(k, _)| k == "source")
        .map(|(_, v)| v.clone());
    let subjects = fields
        .iter()
        .filter(|(k, _)| k == "subject")
        .map(|(_, v)| v.clone());
    let pairs: Vec<(String, String)> = sources.zip(subjects).collect();
    let org_name = match st.registry.organisation(&r.caller.principal, org).await {
        Ok(o) => o.short_name,
        Err(e) => return fail(e),
    };
    let saved = match st
        .registry
        .map_subjects(&r.caller.principal, r.caller.origin.ip.clone(), org, &pairs)
        .await
    {
        Ok(n) => n,
        Err(e) => return fail(e),
    };
    match ImportPage::of(&st, &r, org, org_name, None, Vec::new()).await {
        Ok(mut page) => {
            page.saved = saved;
            Ok(render(&page))
        }
        Err(e) => fail(e),
    }
}

// ---- a package of several schools (the territory's operator) ----

#[derive(Template)]
#[template(path = "region_import.html")]
struct RegionPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    report: Option<crate::region::RegionReport>,
    /// Package-wide and each school's rows read and not applied.
    warnings: Vec<crate::RowError>,
    rows: Vec<crate::RowError>,
    /// Organisations of the package no school matched: (sourcedId, the row's message).
    unmatched: Vec<(String, String)>,
    schools: Vec<crate::region::TerritorySchool>,
    /// The territory's matches: (the package's id, the school's name).
    mapped: Vec<(String, String)>,
    saved: usize,
}

impl RegionPage {
    fn how(&self, by: &str) -> &'static str {
        match by {
            "map" => self.t.region_by_map,
            "id" => self.t.region_by_id,
            _ => self.t.region_by_identifier,
        }
    }

    async fn of(
        st: &Web,
        r: &PageReq,
        report: Option<crate::region::RegionReport>,
        rows: Vec<crate::RowError>,
    ) -> Result<Self, crate::RosterError> {
        let t = crate::region::Territory::of(&r.caller.principal)
            .ok_or(crate::RosterError::Forbidden)?;
        let schools = st.roster.territory_schools(&t).await?;
        let name = |id: &parta_core::ids::OrganisationId| {
            schools
                .iter()
                .find(|s| s.id == *id)
                .map_or(id.to_string(), |s| s.short_name.clone())
        };
        let mapped = st
            .roster
            .org_map(&t)
            .await?
            .iter()
            .map(|(src, id)| (src.clone(), name(id)))
            .collect();
        let unmatched = rows
            .iter()
            .filter_map(|e| e.unmatched_org.clone().map(|o| (o, e.message.clone())))
            .collect();
        let lang = r.lang();
        let localized = |rows| localized(lang, rows);
        let mut warnings = Vec::new();
        let report = report.map(|mut rep| {
            warnings.extend(std::mem::take(&mut rep.warnings));
            for s in &mut rep.schools {
                warnings.extend(std::mem::take(&mut s.report.warnings));
            }
            rep
        });
        Ok(RegionPage {
            t: super::strings::strings(&r.headers),
            ctx: r.ctx(),
            report,
            warnings: localized(warnings),
            rows: localized(rows),
            unmatched,
            schools,
            mapped,
            saved: 0,
        })
    }
}

async fn region_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let page = RegionPage::of(&st, &r, None, Vec::new()).await?;
    Ok(render(&page))
}

async fn region_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    mut form: axum::extract::Multipart,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let (file, dry_run) = upload(&mut form, crate::limits::MAX_REGION_UPLOAD).await?;
    if file.is_empty() {
        return fail(Problem::invalid("file", "Выберите файл для загрузки."));
    }
    let result = st
        .roster
        .import_region(
            Some(&r.caller.principal),
            r.caller.origin.ip.clone(),
            None,
            file,
            dry_run,
            &|_, _| {},
        )
        .await;
    match result {
        Ok(report) => Ok(render(
            &RegionPage::of(&st, &r, Some(report), Vec::new()).await?,
        )),
        Err(crate::RosterError::Rows(rows)) => {
            let page = RegionPage::of(&st, &r, None, rows).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => fail(e),
    }
}

/// Saves the operator's picks (pairs of `source` and `organisation` fields, in order) and
/// shows the wizard again, to upload the file once more.
async fn region_map(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    body: axum::body::Bytes,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| Problem::invalid("orgs", "Форма не разобрана: обновите страницу."))?;
    let sources = fields
        .iter()
        .filter(|(k, _)| k == "source")
        .map(|(_, v)| v.clone());
    let orgs = fields
        .iter()
        .filter(|(k, _)| k == "organisation")
        .map(|(_, v)| v.clone());
    let pairs: Vec<(String, String)> = sources.zip(orgs).collect();
    let saved = st
        .roster
        .map_orgs(&r.caller.principal, r.caller.origin.ip.clone(), &pairs)
        .await?;
    let mut page = RegionPage::of(&st, &r, None, Vec::new()).await?;
    page.saved = saved;
    Ok(render(&page))
}
