//! Server-rendered pages: Russian first, usable without JavaScript, on a phone and in
//! the version for the visually impaired. Handlers call the same services as the API.

use crate::i18n::Lang;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use parta_core::ids::OrganisationId;
use parta_core::principal::Role;
use parta_http::caller as auth;
use parta_http::PageResult;
use parta_http::{MaybeCaller, PageCaller, Pages};
use parta_registry::model::*;
use serde::Deserialize;

const CSS: &str = include_str!("../static/parta.css");

/// The platform's own pages: home, display preferences, the stylesheet.
pub fn router() -> Pages<AppState> {
    Pages::new()
        .get("/", home)
        .get("/prefs", prefs)
        .get("/static/parta.css", css)
        .get("/static/favicon.svg", favicon)
        .get("/static/print.js", print_js)
        .get("/favicon.ico", favicon_ico)
}

pub use parta_http::page::{
    ctx, error_html, error_page, messages, not_found, render, role_title, Ctx, PageReq, UserView,
};

const FAVICON: &str = include_str!("../static/favicon.svg");
const PRINT_JS: &str = include_str!("../static/print.js");

/// The print button of printable pages (sign-in letters).
async fn print_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        PRINT_JS,
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        FAVICON,
    )
        .into_response()
}

/// Browsers that ask for the classic address get the same icon.
async fn favicon_ico() -> Response {
    Redirect::permanent("/static/favicon.svg").into_response()
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

#[derive(Deserialize)]
struct PrefsQuery {
    a11y: Option<String>,
    a11y_size: Option<String>,
    a11y_scheme: Option<String>,
    a11y_space: Option<String>,
    a11y_img: Option<String>,
    lang: Option<String>,
    back: Option<String>,
}

/// Display preferences live in cookies so they work without an account and without JS.
async fn prefs(Query(q): Query<PrefsQuery>) -> Response {
    let mut cookies = Vec::new();
    if let Some(a) = q.a11y {
        cookies.push(format!(
            "a11y={}; Path=/; Max-Age=31536000; SameSite=Lax",
            if a == "1" { "1" } else { "0" }
        ));
    }
    // The low-vision settings (each also turns the version on).
    let settings = [
        (
            "a11y_size",
            q.a11y_size
                .filter(|v| ["1", "2", "3"].contains(&v.as_str())),
        ),
        (
            "a11y_scheme",
            q.a11y_scheme
                .filter(|v| parta_http::page::A11Y_SCHEMES.contains(&v.as_str())),
        ),
        ("a11y_space", q.a11y_space.filter(|v| v == "0" || v == "1")),
        ("a11y_img", q.a11y_img.filter(|v| v == "0" || v == "1")),
    ];
    for (name, value) in settings {
        if let Some(v) = value {
            cookies.push(format!(
                "{name}={v}; Path=/; Max-Age=31536000; SameSite=Lax"
            ));
            cookies.push("a11y=1; Path=/; Max-Age=31536000; SameSite=Lax".into());
        }
    }
    if let Some(l) = q.lang {
        cookies.push(format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            if l == "en" { "en" } else { "ru" }
        ));
    }
    let mut res = Redirect::to(&auth::safe_next(q.back.as_deref())).into_response();
    for c in cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

// ---- home ----

/// A school of the territory in numbers (operators' start page).
pub struct SchoolRow {
    pub org: Organisation,
    pub staff: Option<i64>,
    /// (people, signed in with their own password)
    pub accounts: Option<(i64, i64)>,
    pub week: parta_schoolday::today::model::SchoolWeek,
}

impl SchoolRow {
    pub fn accounts_percent(&self) -> Option<i64> {
        self.accounts
            .filter(|(people, _)| *people > 0)
            .map(|(people, active)| active * 100 / people)
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: Ctx,
    t: &'static crate::strings::HomeStrings,
    heading: String,
    me: String,
    children: Vec<Relative>,
    classes: Vec<ClassSummary>,
    /// Sections the domains render (today's lessons, a child's day, the school's day).
    sections: Vec<String>,
    /// Unread notifications, the newest first (a few).
    unread: Vec<parta_notify::model::Notification>,
    unread_count: i64,
    /// Schools of the caller's scope (staff: their own; operators: with numbers).
    schools: Vec<SchoolRow>,
    operator: bool,
    /// The school the caller administers.
    admin_of: Option<String>,
}

/// The start page answers "what do I need today?" for the role: a teacher's lessons and
/// what is left to fill in; a family's day, tomorrow and new marks; the administration's
/// control of the school's day; a territory's schools in numbers.
async fn home(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let origin = &r.caller.origin;
    let reg = &st.registry;
    let lang = Lang::from_headers(&r.headers);
    let (children, classes) = tokio::try_join!(reg.my_children(p), reg.my_classes(p))?;
    let list = st.notifications.list(p, None).await?;
    let unread_count = list.unread;
    let unread: Vec<_> = list
        .items
        .into_iter()
        .filter(|n| n.read_at.is_none())
        .take(5)
        .collect();
    let mut sections = Vec::new();
    let mut admin_of = None;
    // The schools of the start page: staff fetch theirs, operators have them from the list.
    let orgs: Vec<Organisation> = match p.role() {
        Role::Teacher => {
            let d = st.journal.teacher_today(p, origin).await?;
            sections.push(parta_schoolday::http::today::teacher(lang, &d)?);
            own_schools(reg, p).await?
        }
        Role::SchoolAdmin => {
            for org in &p.scope.organisations {
                let d = st.journal.school_today(p, *org).await?;
                sections.push(parta_schoolday::http::today::school(lang, &d)?);
                admin_of = Some(org.to_string());
            }
            own_schools(reg, p).await?
        }
        Role::Student => {
            let d = st.journal.student_today(p, origin, p.person_id).await?;
            sections.push(parta_schoolday::http::today::student(lang, &d, false)?);
            Vec::new()
        }
        Role::Parent => {
            for c in &children {
                let d = st.journal.student_today(p, origin, c.id).await?;
                sections.push(parta_schoolday::http::today::student(lang, &d, true)?);
            }
            Vec::new()
        }
        Role::MunicipalOperator => {
            let mut out = Vec::new();
            for m in &p.scope.municipalities {
                out.extend(reg.organisations(p, Some(*m), None, Some(500)).await?.items);
            }
            out
        }
        Role::RegionalOperator | Role::PlatformAdmin => {
            reg.organisations(p, None, None, Some(100)).await?.items
        }
    };
    let operator = matches!(
        p.role(),
        Role::MunicipalOperator | Role::RegionalOperator | Role::PlatformAdmin
    );
    let schools = school_rows(&st, p, orgs, operator).await?;
    let heading = format!(
        "{}, {}",
        p.display_name,
        role_title(lang, p.role()).to_lowercase()
    );
    let mut res = render(&HomePage {
        ctx: r.ctx(),
        t: crate::strings::home(lang),
        heading,
        me: p.person_id.to_string(),
        children,
        classes,
        sections,
        unread,
        unread_count,
        schools,
        operator,
        admin_of,
    });
    // A personal page: never kept by a browser or a proxy.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// The schools of the start page; for operators with their week in numbers (each domain
/// counts its own: people, accounts, journals and attendance).
/// The schools a member of staff works in (usually one).
async fn own_schools(
    reg: &parta_registry::Registry,
    p: &parta_core::principal::Principal,
) -> PageResult<Vec<Organisation>> {
    let mut out = Vec::with_capacity(p.scope.organisations.len());
    for id in &p.scope.organisations {
        out.push(reg.organisation(p, *id).await?);
    }
    Ok(out)
}

async fn school_rows(
    st: &AppState,
    p: &parta_core::principal::Principal,
    out: Vec<Organisation>,
    numbers: bool,
) -> PageResult<Vec<SchoolRow>> {
    let orgs: Vec<OrganisationId> = out.iter().map(|o| o.id).collect();
    let orgs = &orgs[..];
    if !numbers {
        return Ok(out
            .into_iter()
            .map(|org| SchoolRow {
                org,
                staff: None,
                accounts: None,
                week: Default::default(),
            })
            .collect());
    }
    let (staff, mut weeks) = tokio::try_join!(
        async { Ok::<_, parta_core::Problem>(st.registry.staff_counts(p, orgs).await?) },
        async { Ok::<_, parta_core::Problem>(st.journal.schools_week(p, orgs).await?) }
    )?;
    // Accounts are counted only for the schools the policy let through above.
    let seen: Vec<OrganisationId> = staff.keys().copied().collect();
    let accounts = st.identity.activation(&seen).await?;
    Ok(out
        .into_iter()
        .map(|org| SchoolRow {
            staff: staff.get(&org.id).copied(),
            accounts: accounts.get(&org.id).copied(),
            week: weeks.remove(&org.id).unwrap_or_default(),
            org,
        })
        .collect())
}

// ---- API document ----

pub async fn openapi_json() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(crate::api::openapi_json).clone();
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsPage {
    ctx: Ctx,
    t: &'static crate::strings::HomeStrings,
    ops: Vec<(String, String, String)>,
}

/// Browsable API reference rendered from the OpenAPI document (no external assets).
pub async fn api_docs(headers: HeaderMap, uri: Uri, MaybeCaller(c): MaybeCaller) -> Response {
    // The document does not change while the process runs: its list is made once.
    static OPS: std::sync::OnceLock<Vec<(String, String, String)>> = std::sync::OnceLock::new();
    let ops = OPS.get_or_init(operations).clone();
    render(&ApiDocsPage {
        t: crate::strings::home(Lang::from_headers(&headers)),
        ctx: ctx(&headers, &uri, c.as_ref()),
        ops,
    })
}

/// `(method, path, summary)` of every operation of the API document.
fn operations() -> Vec<(String, String, String)> {
    let doc = crate::api::document();
    let mut ops = Vec::new();
    for (path, item) in &doc.paths.paths {
        let list = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (m, op) in list {
            if let Some(op) = op {
                let text = op
                    .summary
                    .clone()
                    .or_else(|| op.description.clone())
                    .unwrap_or_default();
                ops.push((m.to_string(), path.clone(), text));
            }
        }
    }
    ops
}
