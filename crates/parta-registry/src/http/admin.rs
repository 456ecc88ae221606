//! The platform's and the territories' administration in the browser: new schools,
//! operators (with their sign-in letters), local entries of the reference books.

use super::strings::{strings, Strings};
use super::Web;
use crate::model::*;
use crate::operators::{NewOperator, OperatorRow};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use parta_core::policy::Operation;
use parta_core::principal::Role;
use parta_core::Problem;
use parta_http::page::{messages, render, Ctx, FormErrors, PageReq};
use parta_http::{fail, PageCaller, PageResult, Pages};
use serde::Deserialize;

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/admin", admin_page)
        .post("/admin/organisations", organisation_submit)
        .post("/admin/operators", operator_submit)
        .post("/admin/reference", reference_submit)
}

#[derive(Deserialize, Default, Clone)]
struct OrgForm {
    #[serde(default)]
    municipality_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    inn: String,
    #[serde(default)]
    ogrn: String,
    #[serde(default)]
    address: String,
}

#[derive(Deserialize, Default, Clone)]
struct OperatorForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    middle_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    municipality_id: String,
    #[serde(default)]
    region_code: String,
}

#[derive(Deserialize, Default, Clone)]
struct ReferenceForm {
    #[serde(default)]
    book: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    grade_from: Option<String>,
    grade_to: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    ctx: Ctx,
    t: &'static Strings,
    /// Which form failed, its errors by field.
    failed: &'static str,
    err: FormErrors,
    org: OrgForm,
    op: OperatorForm,
    reference: ReferenceForm,
    municipalities: Vec<Municipality>,
    kinds: Vec<ReferenceEntry>,
    regions: Vec<Region>,
    /// The platform's administrator: operators are listed and appointed.
    operators: Option<Vec<OperatorRow>>,
    /// Reference books a local entry may be added to, with their entries.
    books: Vec<(String, Vec<ReferenceEntry>)>,
}

fn book_title(t: &Strings, book: &str) -> &'static str {
    match book {
        "org-types" => t.book_org_types,
        "subjects" => t.book_subjects,
        "positions" => t.book_positions,
        _ => "",
    }
}

impl AdminPage {
    fn book(&self, b: &str) -> &'static str {
        book_title(self.t, b)
    }
}

struct Forms {
    failed: &'static str,
    problem: Option<Problem>,
    org: OrgForm,
    op: OperatorForm,
    reference: ReferenceForm,
}

async fn admin_form(st: &Web, r: &PageReq, forms: Forms) -> PageResult<Response> {
    let p = &r.caller.principal;
    let role = p.role();
    if !matches!(
        role,
        Role::PlatformAdmin | Role::RegionalOperator | Role::MunicipalOperator
    ) {
        return Err(Problem::forbidden().into());
    }
    // The municipalities of the caller's territory, where they may open a school.
    let all = st.registry.municipalities(None).await?;
    let municipalities: Vec<Municipality> = all
        .into_iter()
        .filter(|m| match role {
            Role::MunicipalOperator => p.scope.municipalities.contains(&m.id),
            Role::RegionalOperator => p.scope.regions.iter().any(|r| r.0 == m.region_code),
            _ => true,
        })
        .collect();
    let kinds = st.registry.reference("org-types").await?;
    let operators = match role {
        Role::PlatformAdmin => Some(st.registry.operators(p).await?),
        _ => None,
    };
    let regions = if operators.is_some() {
        st.registry.regions().await?
    } else {
        Vec::new()
    };
    let mut books = Vec::new();
    if st.registry.may_platform(p, Operation::ManageReferenceData) {
        for (name, _, extensible) in REFERENCE_BOOKS {
            if extensible {
                books.push((name.to_string(), st.registry.reference(name).await?));
            }
        }
    }
    let mut ctx = r.ctx();
    let err = match &forms.problem {
        Some(pr) => {
            ctx.errors = messages(pr, ctx.lang);
            FormErrors::from_problem(pr, ctx.lang)
        }
        None => FormErrors::default(),
    };
    let page = AdminPage {
        ctx,
        t: strings(&r.headers),
        failed: forms.failed,
        err,
        org: forms.org,
        op: forms.op,
        reference: forms.reference,
        municipalities,
        kinds,
        regions,
        operators,
        books,
    };
    match &forms.problem {
        Some(pr) => Ok((pr.status_code(), render(&page)).into_response()),
        None => Ok(render(&page)),
    }
}

fn blank() -> Forms {
    Forms {
        failed: "",
        problem: None,
        org: OrgForm::default(),
        op: OperatorForm {
            role: "municipal_operator".into(),
            ..Default::default()
        },
        reference: ReferenceForm::default(),
    }
}

async fn admin_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    admin_form(&st, &r, blank()).await
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Failed forms come back with their input; refusals are error pages.
async fn again(st: &Web, r: &PageReq, problem: Problem, forms: Forms) -> PageResult {
    if problem.status == 403 || problem.status == 404 {
        return fail(problem);
    }
    admin_form(
        st,
        r,
        Forms {
            problem: Some(problem),
            ..forms
        },
    )
    .await
}

async fn organisation_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<OrgForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let forms = Forms {
        failed: "org",
        org: f.clone(),
        ..blank()
    };
    let Ok(municipality_id) = f.municipality_id.parse() else {
        let p = Problem::invalid("municipality_id", "Выберите муниципалитет.");
        return again(&st, &r, p, forms).await;
    };
    let input = NewOrganisation {
        municipality_id,
        kind: f.kind.clone(),
        full_name: f.full_name.clone(),
        short_name: f.short_name.clone(),
        inn: f.inn.trim().to_string(),
        ogrn: f.ogrn.trim().to_string(),
        address: f.address.clone(),
    };
    match st
        .registry
        .create_organisation(&r.caller.principal, &r.caller.origin, input)
        .await
    {
        Ok(o) => Ok(Redirect::to(&format!("/schools/{}?n=created", o.id)).into_response()),
        Err(e) => again(&st, &r, e.into(), forms).await,
    }
}

async fn operator_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<OperatorForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let input = NewOperator {
        last_name: f.last_name.clone(),
        first_name: f.first_name.clone(),
        middle_name: opt(&f.middle_name),
        email: opt(&f.email),
        phone: opt(&f.phone),
        role: f.role.clone(),
        municipality_id: f.municipality_id.parse().ok(),
        region_code: opt(&f.region_code),
    };
    match st
        .registry
        .appoint_operator(&r.caller.principal, &r.caller.origin, input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin?n=created#operators").into_response()),
        Err(e) => {
            let forms = Forms {
                failed: "op",
                op: f,
                ..blank()
            };
            again(&st, &r, e.into(), forms).await
        }
    }
}

async fn reference_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<ReferenceForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let grade = |g: &Option<String>| g.as_deref().and_then(|x| x.trim().parse().ok());
    let input = NewReferenceEntry {
        code: f.code.trim().to_string(),
        name: f.name.clone(),
        grade_from: grade(&f.grade_from),
        grade_to: grade(&f.grade_to),
    };
    match st
        .registry
        .add_reference(&r.caller.principal, &r.caller.origin, &f.book, input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/admin?n=created#reference").into_response()),
        Err(e) => {
            let forms = Forms {
                failed: "reference",
                reference: f,
                ..blank()
            };
            again(&st, &r, e.into(), forms).await
        }
    }
}
