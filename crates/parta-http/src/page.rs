//! The page frame: what every page shows around its content (the layout's header with
//! the person and their roles, the language, the version for the visually impaired,
//! notices and errors), rendering, and error pages.

use crate::caller::{cookie, urlencode, Caller, PageCaller};
use crate::i18n::{Lang, LayoutStrings};
use crate::json::ProblemResponse as _;
use askama::Template;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use parta_core::principal::Role;
use parta_core::Problem;

/// Changes whenever the stylesheet does, so it can be cached for a year.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every page shows around its content.
pub struct Ctx {
    pub tr: &'static LayoutStrings,
    pub lang: Lang,
    pub a11y: bool,
    /// The low-vision settings (ГОСТ Р 52872): classes of `<html>` (the font size, so
    /// every rem scales — the journal too) and of `<body>` (colours, spacing, images).
    pub a11y_html: String,
    pub a11y_body: String,
    /// The current settings, to mark them in the panel: size 1–3, scheme, wide, images.
    pub a11y_size: u8,
    pub a11y_scheme: &'static str,
    pub a11y_wide: bool,
    pub a11y_images: bool,
    pub user: Option<UserView>,
    pub csrf: String,
    pub back: String,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub asset_version: &'static str,
}

pub struct UserView {
    pub name: String,
    pub role_title: &'static str,
    /// The active role's code, for the menu.
    pub role: &'static str,
    /// (role assignment id, title, active)
    pub roles: Vec<(String, String, bool)>,
}

pub fn role_title(lang: Lang, r: Role) -> &'static str {
    match lang {
        Lang::Ru => r.title_ru(),
        Lang::En => r.title_en(),
    }
}

pub fn ctx(headers: &HeaderMap, uri: &Uri, caller: Option<&Caller>) -> Ctx {
    let lang = Lang::from_headers(headers);
    let user = caller.map(|c| {
        let p = &c.principal;
        UserView {
            name: p.display_name.clone(),
            role_title: role_title(lang, p.role()),
            role: p.role().as_str(),
            roles: p
                .roles
                .iter()
                .map(|r| {
                    let mut title = role_title(lang, r.role).to_string();
                    if r.role == Role::Teacher
                        && p.roles.iter().filter(|x| x.role == Role::Teacher).count() > 1
                    {
                        title.push_str(&format!(" ({})", &r.id.to_string()[..8]));
                    }
                    (r.id.to_string(), title, r.id == p.active.id)
                })
                .collect(),
        }
    });
    let a11y = A11y::from_headers(headers);
    let notice = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("n=")))
        .and_then(|n| match n {
            "saved" => Some(lang.tr().saved),
            "sent" => Some(lang.tr().sent),
            "created" => Some(lang.tr().created),
            "password" => Some(lang.tr().password_set),
            _ => None,
        });
    Ctx {
        tr: lang.tr(),
        lang,
        a11y: a11y.on,
        a11y_html: a11y.html_class(),
        a11y_body: a11y.body_class(),
        a11y_size: a11y.size,
        a11y_scheme: a11y.scheme,
        a11y_wide: a11y.wide,
        a11y_images: a11y.images,
        user,
        csrf: caller.map(|c| c.csrf().to_string()).unwrap_or_default(),
        back: urlencode(uri.path()),
        notice,
        errors: Vec::new(),
        asset_version: ASSET_VERSION,
    }
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Внутренняя ошибка").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    title: String,
    detail: String,
    /// Every field error when there are several (a CSV with many bad lines).
    errors: Vec<String>,
}

/// A problem as an HTML page (404 and 403 look the same as in the API).
pub fn error_page(p: &Problem, parts: &Parts) -> Response {
    error_html(p, &parts.headers, &parts.uri, None)
}

pub fn error_html(
    p: &Problem,
    headers: &HeaderMap,
    uri: &Uri,
    caller: Option<&Caller>,
) -> Response {
    let p = &crate::messages::localize(p, Lang::from_headers(headers));
    let page = ErrorPage {
        ctx: ctx(headers, uri, caller),
        title: p.title.clone(),
        detail: p.detail.clone().unwrap_or_else(|| {
            p.errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        }),
        errors: if p.errors.len() > 1 {
            p.errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect()
        } else {
            Vec::new()
        },
    };
    (p.status_code(), render(&page)).into_response()
}

/// Pages answer errors as HTML; the caller's context is kept for the header.
pub struct PageReq {
    pub headers: HeaderMap,
    pub uri: Uri,
    pub caller: Caller,
}

impl PageReq {
    pub fn new(headers: HeaderMap, uri: Uri, PageCaller(caller): PageCaller) -> Self {
        Self {
            headers,
            uri,
            caller,
        }
    }
    pub fn ctx(&self) -> Ctx {
        ctx(&self.headers, &self.uri, Some(&self.caller))
    }
    /// The language of the page.
    pub fn lang(&self) -> Lang {
        Lang::from_headers(&self.headers)
    }
    pub fn fail(&self, p: impl Into<Problem>) -> Response {
        error_html(&p.into(), &self.headers, &self.uri, Some(&self.caller))
    }
}

/// The answer for a path nobody serves: problem+json under `/api/`, a page elsewhere.
pub async fn not_found(headers: HeaderMap, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return Problem::not_found().into_response();
    }
    error_html(&Problem::not_found(), &headers, &uri, None)
}

/// A form's errors by field, to show each next to its input (and all of them above the
/// form for screen readers). Field names are the form's own (`last_name`), not paths.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(pub std::collections::HashMap<String, String>);

impl FormErrors {
    /// The problem's field messages, in the page's language.
    pub fn from_problem(p: &Problem, lang: Lang) -> Self {
        let p = crate::messages::localize(p, lang);
        let mut m = std::collections::HashMap::new();
        for e in &p.errors {
            m.entry(e.field.clone())
                .or_insert_with(|| e.message.clone());
        }
        FormErrors(m)
    }
    /// The message of `field`, or "" (templates test `!err.of("x").is_empty()`).
    pub fn of(&self, field: &str) -> &str {
        self.0.get(field).map(String::as_str).unwrap_or_default()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
}

/// A problem as the lines a form shows above itself, in the page's language.
pub fn messages(p: &Problem, lang: Lang) -> Vec<String> {
    let p = crate::messages::localize(p, lang);
    if p.errors.is_empty() {
        match &p.detail {
            Some(d) => vec![format!("{}. {d}", p.title)],
            None => vec![p.title.clone()],
        }
    } else {
        p.errors.iter().map(|e| e.message.clone()).collect()
    }
}

/// What a page handler answers: the page, or a problem that [`error_pages`] shows as an
/// error page in the caller's frame. Service errors convert with `?`.
pub type PageResult<T = Response> = Result<T, PageError>;

/// A failed page: the problem, shown by [`error_pages`] with the caller's header.
#[derive(Debug)]
pub struct PageError(pub Problem);

impl<E: Into<Problem>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

/// Marks a response as a failed page for [`error_pages`].
#[derive(Clone)]
struct PageFailure(std::sync::Arc<Problem>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut res = self.0.status_code().into_response();
        res.extensions_mut()
            .insert(PageFailure(std::sync::Arc::new(self.0)));
        res
    }
}

/// Where the page extractors leave the caller, so that an error page made after the
/// handler shows the same header (name, roles) as the page would have.
#[derive(Clone, Default)]
pub struct PageSlot(pub std::sync::Arc<std::sync::Mutex<Option<Caller>>>);

/// Middleware of the page routers: turns a [`PageError`] into the error page, in the
/// language and frame of the request.
pub async fn error_pages(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let slot = PageSlot::default();
    req.extensions_mut().insert(slot.clone());
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    let res = next.run(req).await;
    let Some(PageFailure(problem)) = res.extensions().get::<PageFailure>().cloned() else {
        return res;
    };
    let caller = slot.0.lock().ok().and_then(|mut c| c.take());
    error_html(&problem, &headers, &uri, caller.as_ref())
}

impl<S> axum::extract::FromRequestParts<S> for PageReq
where
    crate::door::Door: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let pc =
            <PageCaller as axum::extract::FromRequestParts<S>>::from_request_parts(parts, state)
                .await?;
        Ok(PageReq::new(parts.headers.clone(), parts.uri.clone(), pc))
    }
}

/// A failed page, for `return fail(problem)` in a handler answering [`PageResult`].
pub fn fail<T>(e: impl Into<Problem>) -> PageResult<T> {
    Err(PageError(e.into()))
}

/// The version for the visually impaired (ГОСТ Р 52872-2019): font size steps, the five
/// colour schemes of Russian public sites, letter spacing, images on or off — kept in
/// cookies, so they work without an account and without JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct A11y {
    pub on: bool,
    /// 1, 2 or 3.
    pub size: u8,
    /// `bw`, `wb`, `blue`, `brown` or `green`.
    pub scheme: &'static str,
    pub wide: bool,
    pub images: bool,
}

/// The colour schemes, in the order the panel offers them.
pub const A11Y_SCHEMES: [&str; 5] = ["bw", "wb", "blue", "brown", "green"];

impl A11y {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let on = cookie(headers, "a11y").as_deref() == Some("1");
        let size = match cookie(headers, "a11y_size").as_deref() {
            Some("2") => 2,
            Some("3") => 3,
            _ => 1,
        };
        let scheme = cookie(headers, "a11y_scheme")
            .and_then(|s| A11Y_SCHEMES.iter().find(|x| **x == s).copied())
            .unwrap_or("bw");
        A11y {
            on,
            size,
            scheme,
            wide: cookie(headers, "a11y_space").as_deref() == Some("1"),
            images: cookie(headers, "a11y_img").as_deref() != Some("0"),
        }
    }
    pub fn html_class(&self) -> String {
        if self.on {
            format!("a11y-size-{}", self.size)
        } else {
            String::new()
        }
    }
    pub fn body_class(&self) -> String {
        if !self.on {
            return String::new();
        }
        let mut c = format!("a11y scheme-{}", self.scheme);
        if self.wide {
            c.push_str(" wide");
        }
        if !self.images {
            c.push_str(" noimg");
        }
        c
    }
}
