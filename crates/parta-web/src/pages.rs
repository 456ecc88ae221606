//! Server-rendered pages: Russian first, usable without JavaScript, on a phone and in
//! the version for the visually impaired. Handlers call the same services as the API.

use crate::auth::{self, Caller, MaybeCaller, PageCaller};
use crate::i18n::Lang;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use parta_core::policy::Operation;
use parta_core::principal::Role;
use parta_core::Problem;
use parta_db::audit::AuditRecord;
use parta_registry::model::*;
use serde::Deserialize;

const CSS: &str = include_str!("../static/parta.css");

/// Every page route; the refusal table in the integration tests must cover each.
pub const ROUTES: &[&str] = &[
    "GET /",
    "GET /login",
    "POST /login",
    "POST /logout",
    "POST /role",
    "GET /password",
    "POST /password",
    "GET /prefs",
    "GET /schools",
    "GET /schools/{id}",
    "GET /schools/{id}/audit",
    "POST /schools/{id}/privacy",
    "GET /schools/{id}/storage",
    "GET /classes/{id}",
    "GET /persons/{id}",
    "GET /persons/{id}/audit",
    "GET /my-data",
    "POST /my-data/contacts",
    "POST /my-data/change-request",
    "GET /static/parta.css",
    "GET /schools/{id}/change-requests",
    "POST /change-requests/{id}/decision",
    "GET /schools/{id}/import",
    "POST /schools/{id}/import",
    "GET /auth/oidc/start",
    "GET /auth/oidc/callback",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/role", post(switch_role))
        .route("/password", get(password_page).post(password_submit))
        .route("/prefs", get(prefs))
        .route("/schools", get(schools))
        .route("/schools/{id}", get(school))
        .route("/schools/{id}/audit", get(school_audit))
        .route("/schools/{id}/privacy", post(school_privacy))
        .route("/schools/{id}/storage", get(school_storage))
        .route("/classes/{id}", get(class_page))
        .route("/persons/{id}", get(person_page))
        .route("/persons/{id}/audit", get(person_audit))
        .route("/my-data", get(my_data))
        .route("/my-data/contacts", post(my_contacts))
        .route("/my-data/change-request", post(my_change_request))
        .route("/static/parta.css", get(css))
        .route(
            "/schools/{id}/import",
            get(import_page)
                .post(import_submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    parta_roster::service::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .route("/schools/{id}/change-requests", get(change_requests_page))
        .route("/change-requests/{id}/decision", post(change_decision))
        .route("/auth/oidc/start", get(oidc_start))
        .route("/auth/oidc/callback", get(oidc_callback))
        .merge(crate::school_day_pages::router())
}

pub use parta_http::page::{
    ctx, error_html, error_page, messages, not_found, render, role_title, Ctx, PageReq, UserView,
};

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

// ---- sign-in ----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    login: String,
    /// Name of the external sign-in (Госуслуги), when configured.
    oidc: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    MaybeCaller(c): MaybeCaller,
    Query(q): Query<NextQuery>,
) -> Response {
    if c.is_some() {
        return Redirect::to(&auth::safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        ctx: ctx(&headers, &uri, None),
        next: auth::safe_next(q.next.as_deref()),
        login: String::new(),
        oidc: st.identity.oidc_name().map(str::to_string),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(st): State<AppState>,
    parts: Parts,
    Form(f): Form<LoginForm>,
) -> Response {
    let ip = auth::client_ip(&parts, &st.door);
    let device = auth::cookie(&parts.headers, auth::DEVICE_COOKIE);
    match st
        .identity
        .sign_in(&f.login, &f.password, &ip, device.as_deref())
        .await
    {
        Ok(signed) => {
            let mut res = Redirect::to(&auth::safe_next(f.next.as_deref())).into_response();
            for c in auth::sign_in_cookies(&signed, st.config.secure_cookies()) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => {
            let p = Problem::from(e);
            let mut c = ctx(&parts.headers, &parts.uri, None);
            c.errors = messages(&p);
            let page = LoginPage {
                ctx: c,
                next: auth::safe_next(f.next.as_deref()),
                login: f.login,
                oidc: st.identity.oidc_name().map(str::to_string),
            };
            (p.status_code(), render(&page)).into_response()
        }
    }
}

async fn oidc_start(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<NextQuery>,
) -> Response {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let redirect = st.oidc_redirect_url(host);
    match st
        .identity
        .oidc_start(&redirect, &auth::safe_next(q.next.as_deref()))
        .await
    {
        Ok((url, state)) => {
            let mut res = Redirect::to(&url).into_response();
            let secure = if st.config.secure_cookies() {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!("{OIDC_COOKIE}={state}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600{secure}");
            if let Ok(v) = cookie.parse() {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => error_html(&Problem::from(e), &headers, &uri, None),
    }
}

/// The state of a sign-in in flight, bound to the browser that started it.
const OIDC_COOKIE: &str = "parta_oidc";

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn oidc_callback(
    State(st): State<AppState>,
    parts: Parts,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let fail = |p: Problem| error_html(&p, &parts.headers, &parts.uri, None);
    if st.identity.oidc_name().is_none() {
        return fail(Problem::not_found());
    }
    if q.error.is_some() {
        return fail(
            Problem::new(StatusCode::FORBIDDEN, "oidc_denied", "Вход отменён")
                .with_detail("Сервис входа не подтвердил вход. Попробуйте ещё раз."),
        );
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return fail(parta_identity::IdentityError::OidcState.into());
    };
    // A callback started in another browser (login CSRF) is refused.
    if auth::cookie(&parts.headers, OIDC_COOKIE).as_deref() != Some(state.as_str()) {
        return fail(parta_identity::IdentityError::OidcState.into());
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    let redirect = st.oidc_redirect_url(host);
    let ip = auth::client_ip(&parts, &st.door);
    match st.identity.oidc_finish(&redirect, &code, &state, &ip).await {
        Ok((signed, next)) => {
            let mut res = Redirect::to(&auth::safe_next(Some(&next))).into_response();
            if let Ok(v) =
                auth::session_cookie(&signed.session_token, st.config.secure_cookies()).parse()
            {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => fail(e.into()),
    }
}

async fn logout(State(st): State<AppState>, c: Caller) -> Response {
    if let Some(s) = &c.session {
        if let Err(e) = st.identity.sign_out(s).await {
            return Problem::from(e).into_response();
        }
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = auth::clear_session_cookie().parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct RoleForm {
    role_id: String,
}

async fn switch_role(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<RoleForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Some(session) = &r.caller.session else {
        return r.fail(Problem::forbidden());
    };
    let Ok(role) = f.role_id.parse() else {
        return r.fail(Problem::invalid("role_id", "Неизвестная роль."));
    };
    match st.identity.switch_role(session, role).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => r.fail(e),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: Ctx,
}

async fn password_page(headers: HeaderMap, uri: Uri, pc: PageCaller) -> Response {
    let r = PageReq::new(headers, uri, pc);
    render(&PasswordPage { ctx: r.ctx() })
}

#[derive(Deserialize)]
struct PasswordForm {
    old_password: String,
    new_password: String,
}

async fn password_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<PasswordForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Some(session) = &r.caller.session else {
        return r.fail(Problem::forbidden());
    };
    let ip = r.caller.origin.ip.clone().unwrap_or_default();
    match st
        .identity
        .change_password(session, &f.old_password, &f.new_password, &ip)
        .await
    {
        Ok(signed) => {
            let mut res = Redirect::to("/my-data?n=saved").into_response();
            if let Ok(v) =
                auth::session_cookie(&signed.session_token, st.config.secure_cookies()).parse()
            {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let p = Problem::from(e);
            let mut c = r.ctx();
            c.errors = messages(&p);
            (p.status_code(), render(&PasswordPage { ctx: c })).into_response()
        }
    }
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
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let reg = &st.registry;
    let lang = Lang::from_headers(&r.headers);
    let (children, classes) = match tokio::try_join!(reg.my_children(p), reg.my_classes(p)) {
        Ok(v) => v,
        Err(e) => return r.fail(e),
    };
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
                    Err(e) => return r.fail(e),
                }
            }
            out
        }
        Role::RegionalOperator | Role::PlatformAdmin => {
            match reg.organisations(p, None, None, Some(100)).await {
                Ok(page) => page.items,
                Err(e) => return r.fail(e),
            }
        }
        Role::Student | Role::Parent => Vec::new(),
    };
    let heading = format!(
        "{}, {}",
        p.display_name,
        role_title(lang, p.role()).to_lowercase()
    );
    render(&HomePage {
        ctx: r.ctx(),
        heading,
        me: p.person_id.to_string(),
        children,
        classes,
        schools,
    })
}

// ---- registry pages ----

pub struct MunOpt {
    pub id: String,
    pub name: String,
    pub region_name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "schools.html")]
struct SchoolsPage {
    ctx: Ctx,
    municipalities: Vec<MunOpt>,
    selected: Option<String>,
    page: Page<Organisation>,
}

#[derive(Deserialize)]
struct SchoolsQuery {
    municipality_id: Option<String>,
    cursor: Option<String>,
}

async fn schools(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(q): Query<SchoolsQuery>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let selected = q.municipality_id.filter(|s| !s.is_empty());
    let mun = match &selected {
        Some(s) => match s.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                return r.fail(Problem::invalid(
                    "municipality_id",
                    "Неизвестный муниципалитет.",
                ))
            }
        },
        None => None,
    };
    let page = match st
        .registry
        .organisations(&r.caller.principal, mun, q.cursor.as_deref(), Some(50))
        .await
    {
        Ok(p) => p,
        Err(e) => return r.fail(e),
    };
    let municipalities = match st.registry.municipalities(None).await {
        Ok(m) => m,
        Err(e) => return r.fail(e),
    };
    let municipalities = municipalities
        .into_iter()
        .map(|m| MunOpt {
            selected: selected.as_deref() == Some(m.id.to_string().as_str()),
            id: m.id.to_string(),
            name: m.name,
            region_name: m.region_name,
        })
        .collect();
    render(&SchoolsPage {
        ctx: r.ctx(),
        municipalities,
        selected,
        page,
    })
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    ctx: Ctx,
    org: Organisation,
    classes: Vec<ClassSummary>,
    /// The caller may see the school's classes.
    list: bool,
    staff: Vec<(PersonBrief, String)>,
    manage: bool,
    privacy: Option<parta_registry::model::PrivacySettings>,
}

#[derive(Deserialize)]
struct PrivacyForm {
    parent_contacts_to_teachers: Option<String>,
}

/// The school administration changes what the school shares.
async fn school_privacy(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PrivacyForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let input = parta_registry::model::PrivacySettings {
        parent_contacts_to_teachers: f.parent_contacts_to_teachers.is_some(),
    };
    match st
        .registry
        .set_privacy(&r.caller.principal, &r.caller.origin, org, input)
        .await
    {
        Ok(_) => Redirect::to(&format!("/schools/{org}?n=saved")).into_response(),
        Err(e) => r.fail(e),
    }
}

async fn school(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let org = match st.registry.organisation(p, id).await {
        Ok(o) => o,
        Err(e) => return r.fail(e),
    };
    // The classes for the school's staff and operators; the staff list and the privacy
    // settings for those who manage the school; others see the public part.
    let may = |op| st.registry.may_on_organisation(p, op, id);
    let (list, manage) = match tokio::try_join!(
        may(Operation::ListClasses),
        may(Operation::ManageOrganisation)
    ) {
        Ok(v) => v,
        Err(e) => return r.fail(e),
    };
    let classes = if list {
        match st.registry.classes(p, id).await {
            Ok(c) => c,
            Err(e) => return r.fail(e),
        }
    } else {
        Vec::new()
    };
    let (staff, privacy) = if manage {
        match tokio::try_join!(
            st.registry.staff(p, &r.caller.origin, id),
            st.registry.privacy(p, id)
        ) {
            Ok(v) => (v.0, Some(v.1)),
            Err(e) => return r.fail(e),
        }
    } else {
        (Vec::new(), None)
    };
    render(&SchoolPage {
        ctx: r.ctx(),
        org,
        classes,
        list,
        staff,
        manage,
        privacy,
    })
}

#[derive(Template)]
#[template(path = "class.html")]
struct ClassPage {
    ctx: Ctx,
    detail: ClassDetail,
}

async fn class_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    match st
        .registry
        .class(&r.caller.principal, &r.caller.origin, id)
        .await
    {
        Ok(detail) => render(&ClassPage {
            ctx: r.ctx(),
            detail,
        }),
        Err(e) => r.fail(e),
    }
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    ctx: Ctx,
    card: PersonCard,
    can_audit: bool,
}

impl PersonPage {
    fn reason(&self, r: &str) -> &'static str {
        match (self.ctx.lang, r) {
            (Lang::Ru, "admitted") => "зачислен(а)",
            (Lang::Ru, "transferred_in") => "переведён(а) из другой школы",
            (Lang::Ru, "transferred") => "переведён(а) в другую школу",
            (Lang::Ru, "moved_class") => "переведён(а) в другой класс",
            (Lang::Ru, "expelled") => "отчислен(а)",
            (Lang::Ru, "graduated") => "выпущен(а)",
            (Lang::En, "admitted") => "admitted",
            (Lang::En, "transferred_in") => "transferred in",
            (Lang::En, "transferred") => "transferred out",
            (Lang::En, "moved_class") => "moved to another class",
            (Lang::En, "expelled") => "expelled",
            (Lang::En, "graduated") => "graduated",
            _ => "",
        }
    }
    /// Dates as people read them: 04.07.2009.
    fn date(&self, iso: &str) -> String {
        chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_else(|_| iso.to_string())
    }
    fn kind(&self, k: &str) -> &'static str {
        GUARDIAN_KINDS
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }
}

async fn person_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    match st.registry.person(p, &r.caller.origin, id).await {
        Ok(card) => {
            let can_audit = match st
                .registry
                .may_on_person(p, Operation::ReadPersonAudit, id)
                .await
            {
                Ok(a) => a,
                Err(e) => return r.fail(e),
            };
            render(&PersonPage {
                ctx: r.ctx(),
                card,
                can_audit,
            })
        }
        Err(e) => r.fail(e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: Ctx,
    subject: String,
    records: Vec<AuditRecord>,
}

impl AuditPage {
    fn when(&self, at: &i64) -> String {
        parta_core::time::format_ms(*at)
    }
    fn role(&self, r: &str) -> &'static str {
        Role::parse(r)
            .map(|r| role_title(self.ctx.lang, r))
            .unwrap_or("")
    }
    fn action(&self, a: &str) -> String {
        let ru = match a {
            "read" => "просмотр",
            "update" => "изменение",
            "create" => "создание",
            "export" => "выгрузка",
            "sign_in" => "вход",
            "sign_out" => "выход",
            "change_password" => "смена пароля",
            "reset_password" => "сброс пароля",
            "request_change" => "запрос исправления",
            "enrol" => "зачисление",
            "expelled" => "отчисление",
            "transferred" => "перевод",
            "graduated" => "выпуск",
            "import" => "импорт",
            "refused" => "отказ в доступе",
            other => other,
        };
        match self.ctx.lang {
            Lang::Ru => ru.to_string(),
            Lang::En => a.replace('_', " "),
        }
    }

    /// What was touched, in words.
    fn object(&self, o: &str) -> String {
        let ru = match o {
            "person" => "карточка человека",
            "class" => "класс",
            "organisation" => "организация",
            "account" => "учётная запись",
            "journal" => "журнал",
            "diary" => "дневник",
            "timetable" => "расписание",
            "attachment" => "файл",
            "staff" => "список сотрудников",
            "audit_log" => "журнал доступа",
            "privacy" => "настройки персональных данных",
            "request" => "запрос",
            "roster" => "списки",
            other => other,
        };
        match self.ctx.lang {
            Lang::Ru => ru.to_string(),
            Lang::En => o.replace('_', " "),
        }
    }
}

async fn person_audit(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let records = match st.registry.person_audit(p, &r.caller.origin, id).await {
        Ok(v) => v,
        Err(e) => return r.fail(e),
    };
    let subject = match st.registry.person(p, &r.caller.origin, id).await {
        Ok(card) => full_name(
            &card.last_name,
            &card.first_name,
            card.middle_name.as_deref(),
        ),
        Err(e) => return r.fail(e),
    };
    render(&AuditPage {
        ctx: r.ctx(),
        subject,
        records,
    })
}

#[derive(Template)]
#[template(path = "storage.html")]
struct StoragePage {
    ctx: Ctx,
    org_name: String,
    usage: parta_journal::service::StorageUsage,
}

impl StoragePage {
    /// "3,4 МБ", "50,0 ГБ".
    fn size(&self, bytes: &i64) -> String {
        let mb = *bytes as f64 / 1_048_576.0;
        let (n, unit) = if mb >= 1024.0 {
            (mb / 1024.0, self.ctx.tr.gb)
        } else {
            (mb, self.ctx.tr.mb)
        };
        format!("{n:.1} {unit}").replace('.', ",")
    }
    fn percent(&self, used: &i64, of: &i64) -> i64 {
        if *of <= 0 {
            0
        } else {
            (*used * 100 / *of).clamp(0, 100)
        }
    }
}

/// The school's file storage: used, allowed, and the largest users (administration).
async fn school_storage(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let (usage, org) = match tokio::try_join!(
        async { st.journal.storage_usage(p, id).await.map_err(Problem::from) },
        async { st.registry.organisation(p, id).await.map_err(Problem::from) }
    ) {
        Ok(v) => v,
        Err(e) => return r.fail(e),
    };
    render(&StoragePage {
        ctx: r.ctx(),
        org_name: org.short_name,
        usage,
    })
}

async fn school_audit(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let records = match st
        .registry
        .organisation_audit(p, &r.caller.origin, id)
        .await
    {
        Ok(v) => v,
        Err(e) => return r.fail(e),
    };
    let subject = match st.registry.organisation(p, id).await {
        Ok(o) => o.short_name,
        Err(e) => return r.fail(e),
    };
    render(&AuditPage {
        ctx: r.ctx(),
        subject,
        records,
    })
}

// ---- my data ----

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    ctx: Ctx,
    card: PersonCard,
}

async fn my_data(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    match st.registry.person(p, &r.caller.origin, p.person_id).await {
        Ok(card) => render(&MyDataPage { ctx: r.ctx(), card }),
        Err(e) => r.fail(e),
    }
}

#[derive(Deserialize)]
struct ContactsForm {
    email: Option<String>,
    phone: Option<String>,
}

async fn my_contacts(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<ContactsForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let input = ContactUpdate {
        email: f.email,
        phone: f.phone,
    };
    match st
        .registry
        .update_contacts(p, &r.caller.origin, p.person_id, input)
        .await
    {
        Ok(_) => Redirect::to("/my-data?n=saved").into_response(),
        Err(e) => my_data_with_errors(&st, &r, Problem::from(e)).await,
    }
}

#[derive(Deserialize)]
struct ChangeForm {
    field: String,
    new_value: String,
    comment: Option<String>,
}

async fn my_change_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<ChangeForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let input = ChangeRequestInput {
        field: f.field,
        new_value: f.new_value,
        comment: f.comment.filter(|c| !c.is_empty()),
    };
    match st
        .registry
        .request_change(p, &r.caller.origin, p.person_id, input)
        .await
    {
        Ok(_) => Redirect::to("/my-data?n=sent").into_response(),
        Err(e) => my_data_with_errors(&st, &r, Problem::from(e)).await,
    }
}

async fn my_data_with_errors(st: &AppState, r: &PageReq, problem: Problem) -> Response {
    let p = &r.caller.principal;
    match st.registry.person(p, &r.caller.origin, p.person_id).await {
        Ok(card) => {
            let mut c = r.ctx();
            c.errors = messages(&problem);
            (problem.status_code(), render(&MyDataPage { ctx: c, card })).into_response()
        }
        Err(e) => r.fail(e),
    }
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
    let (_, doc) = crate::api::router().split_for_parts();
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
    render(&ApiDocsPage {
        ctx: ctx(&headers, &uri, c.as_ref()),
        ops,
    })
}

// ---- roster import wizard ----

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    ctx: Ctx,
    org_id: String,
    org_name: String,
    report: Option<parta_roster::ImportReport>,
    rows: Vec<parta_roster::RowError>,
}

async fn import_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    // Only those who may import see the wizard.
    match st
        .registry
        .may_on_organisation(&r.caller.principal, Operation::ImportRoster, org)
        .await
    {
        Ok(true) => {}
        Ok(false) => return r.fail(Problem::forbidden()),
        Err(e) => return r.fail(e),
    }
    match st.registry.organisation(&r.caller.principal, org).await {
        Ok(o) => render(&ImportPage {
            ctx: r.ctx(),
            org_id: id,
            org_name: o.short_name,
            report: None,
            rows: Vec::new(),
        }),
        Err(e) => r.fail(e),
    }
}

async fn import_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let mut file = Vec::new();
    let mut dry_run = false;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => match field.bytes().await {
                    Ok(b) => file = b.to_vec(),
                    Err(_) => {
                        return r.fail(Problem::payload_too_large(
                            parta_roster::service::MAX_UPLOAD,
                        ))
                    }
                },
                Some("dry_run") => dry_run = true,
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                return r.fail(Problem::invalid(
                    "file",
                    "Не удалось прочитать загруженный файл.",
                ))
            }
        }
    }
    let org_name = match st.registry.organisation(&r.caller.principal, org).await {
        Ok(o) => o.short_name,
        Err(e) => return r.fail(e),
    };
    if file.is_empty() {
        return r.fail(Problem::invalid("file", "Выберите файл для загрузки."));
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
    match result {
        Ok(report) => render(&ImportPage {
            ctx: r.ctx(),
            org_id: id,
            org_name,
            report: Some(report),
            rows: Vec::new(),
        }),
        Err(parta_roster::RosterError::Rows(rows)) => {
            let page = ImportPage {
                ctx: r.ctx(),
                org_id: id,
                org_name,
                report: None,
                rows,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(e) => r.fail(e),
    }
}

// ---- correction requests ----

#[derive(Template)]
#[template(path = "change_requests.html")]
struct ChangeRequestsPage {
    ctx: Ctx,
    org_id: String,
    org_name: String,
    requests: Vec<ChangeRequest>,
}

impl ChangeRequestsPage {
    fn field(&self, f: &str) -> &'static str {
        match f {
            "last_name" => "Фамилия",
            "first_name" => "Имя",
            "middle_name" => "Отчество",
            "birth_date" => "Дата рождения",
            "snils" => "СНИЛС",
            _ => "",
        }
    }
}

async fn change_requests_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return r.fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let requests = match st.registry.change_requests(p, org).await {
        Ok(v) => v,
        Err(e) => return r.fail(e),
    };
    match st.registry.organisation(p, org).await {
        Ok(o) => render(&ChangeRequestsPage {
            ctx: r.ctx(),
            org_id: id,
            org_name: o.short_name,
            requests,
        }),
        Err(e) => r.fail(e),
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    approve: String,
    org: String,
}

async fn change_decision(
    State(st): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let decision = ChangeDecision {
        approve: f.approve == "1",
        comment: None,
    };
    match st
        .registry
        .decide_change(&r.caller.principal, &r.caller.origin, &id, decision)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/schools/{}/change-requests?n=saved",
            auth::urlencode(&f.org)
        ))
        .into_response(),
        Err(e) => r.fail(e),
    }
}
