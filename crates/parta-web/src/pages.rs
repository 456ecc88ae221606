//! Server-rendered pages: Russian first, usable without JavaScript, on a phone and in
//! the version for the visually impaired. Handlers call the same services as the API.

use crate::i18n::Lang;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use parta_core::principal::Role;
use parta_http::caller as auth;
use parta_http::{fail, PageResult};
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

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: Ctx,
    heading: String,
    me: String,
    children: Vec<Relative>,
    classes: Vec<ClassSummary>,
    schools: Vec<Organisation>,
}

async fn home(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let reg = &st.registry;
    let lang = Lang::from_headers(&r.headers);
    let (children, classes) = tokio::try_join!(reg.my_children(p), reg.my_classes(p))?;
    // Staff and operators see the schools of their scope with live counts.
    let schools = match p.role() {
        Role::SchoolAdmin | Role::Teacher => {
            let mut out = Vec::new();
            for id in &p.scope.organisations {
                if let Ok(o) = reg.organisation(p, *id).await {
                    out.push(o);
                }
            }
            out
        }
        Role::MunicipalOperator => {
            let mut out = Vec::new();
            for m in &p.scope.municipalities {
                match reg.organisations(p, Some(*m), None, Some(500)).await {
                    Ok(page) => out.extend(page.items),
                    Err(e) => return fail(e),
                }
            }
            out
        }
        Role::RegionalOperator | Role::PlatformAdmin => {
            match reg.organisations(p, None, None, Some(100)).await {
                Ok(page) => page.items,
                Err(e) => return fail(e),
            }
        }
        Role::Student | Role::Parent => Vec::new(),
    };
    let heading = format!(
        "{}, {}",
        p.display_name,
        role_title(lang, p.role()).to_lowercase()
    );
    Ok(render(&HomePage {
        ctx: r.ctx(),
        heading,
        me: p.person_id.to_string(),
        children,
        classes,
        schools,
    }))
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
    ops: Vec<(String, String, String)>,
}

/// Browsable API reference rendered from the OpenAPI document (no external assets).
pub async fn api_docs(headers: HeaderMap, uri: Uri, MaybeCaller(c): MaybeCaller) -> Response {
    // The document does not change while the process runs: its list is made once.
    static OPS: std::sync::OnceLock<Vec<(String, String, String)>> = std::sync::OnceLock::new();
    let ops = OPS.get_or_init(operations).clone();
    render(&ApiDocsPage {
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
