//! Pages of sign-in: the sign-in form, OpenID Connect, sign-out, the role switch,
//! the password change.

use super::Web;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use parta_core::Problem;
use parta_http::caller as auth;
use parta_http::csrf;
use parta_http::json::ProblemResponse as _;
use parta_http::page::{ctx, error_html, messages, render, Ctx, PageReq};
use parta_http::Pages;
use parta_http::{fail, PageResult};
use parta_http::{Caller, MaybeCaller, PageCaller};
use serde::Deserialize;

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/login", login_page)
        .post("/login", login_submit)
        .post("/logout", logout)
        .post("/role", switch_role)
        .get("/password", password_page)
        .post("/password", password_submit)
        .get("/auth/oidc/start", oidc_start)
        .get("/auth/oidc/callback", oidc_callback)
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
    /// The demo region: say that its passwords are public.
    demo: bool,
    t: &'static super::strings::Strings,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    State(st): State<Web>,
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
        demo: st.demo,
        t: super::strings::strings(&headers),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

async fn login_submit(State(st): State<Web>, parts: Parts, Form(f): Form<LoginForm>) -> Response {
    let ip = auth::client_ip(&parts, &st.door);
    let device = auth::cookie(&parts.headers, auth::DEVICE_COOKIE);
    match st
        .identity
        .sign_in(&f.login, &f.password, &ip, device.as_deref())
        .await
    {
        Ok(signed) => {
            let mut res = Redirect::to(&auth::safe_next(f.next.as_deref())).into_response();
            for c in super::sign_in_cookies(&signed, st.secure_cookies) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => {
            let p = Problem::from(e);
            let mut c = ctx(&parts.headers, &parts.uri, None);
            c.errors = messages(&p, c.lang);
            let page = LoginPage {
                ctx: c,
                next: auth::safe_next(f.next.as_deref()),
                login: f.login,
                oidc: st.identity.oidc_name().map(str::to_string),
                demo: st.demo,
                t: super::strings::strings(&parts.headers),
            };
            (p.status_code(), render(&page)).into_response()
        }
    }
}

async fn oidc_start(
    State(st): State<Web>,
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
            let secure = if st.secure_cookies { "; Secure" } else { "" };
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
    State(st): State<Web>,
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
        return fail(crate::IdentityError::OidcState.into());
    };
    // A callback started in another browser (login CSRF) is refused.
    if auth::cookie(&parts.headers, OIDC_COOKIE).as_deref() != Some(state.as_str()) {
        return fail(crate::IdentityError::OidcState.into());
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
            if let Ok(v) = csrf::session_cookie(&signed.session_token, st.secure_cookies).parse() {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => fail(e.into()),
    }
}

async fn logout(State(st): State<Web>, c: Caller) -> Response {
    if let Some(s) = &c.session {
        if let Err(e) = st.identity.sign_out(s).await {
            return Problem::from(e).into_response();
        }
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = csrf::clear_session_cookie().parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct RoleForm {
    role_id: String,
}

async fn switch_role(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<RoleForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Some(session) = &r.caller.session else {
        return fail(Problem::forbidden());
    };
    let Ok(role) = f.role_id.parse() else {
        return fail(Problem::invalid("role_id", "Неизвестная роль."));
    };
    match st.identity.switch_role(session, role).await {
        Ok(()) => Ok(Redirect::to("/").into_response()),
        Err(e) => fail(e),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    ctx: Ctx,
    /// The first sign-in with a letter's password: it must be replaced before anything else.
    first: bool,
    t: &'static super::strings::Strings,
}

fn first_sign_in(r: &PageReq) -> bool {
    r.caller
        .session
        .as_ref()
        .is_some_and(|s| s.must_change_password)
}

async fn password_page(headers: HeaderMap, uri: Uri, pc: PageCaller) -> Response {
    let r = PageReq::new(headers, uri, pc);
    render(&PasswordPage {
        ctx: r.ctx(),
        first: first_sign_in(&r),
        t: super::strings::strings(&r.headers),
    })
}

#[derive(Deserialize)]
struct PasswordForm {
    old_password: String,
    new_password: String,
}

async fn password_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Some(session) = &r.caller.session else {
        return fail(Problem::forbidden());
    };
    let ip = r.caller.origin.ip.clone().unwrap_or_default();
    match st
        .identity
        .change_password(session, &f.old_password, &f.new_password, &ip)
        .await
    {
        Ok(signed) => {
            // After the first sign-in the start page; otherwise back to one's data.
            let to = if first_sign_in(&r) {
                "/?n=password"
            } else {
                "/my-data?n=saved"
            };
            let mut res = Redirect::to(to).into_response();
            if let Ok(v) = csrf::session_cookie(&signed.session_token, st.secure_cookies).parse() {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(e) => {
            let p = Problem::from(e);
            let mut c = r.ctx();
            c.errors = messages(&p, c.lang);
            let page = PasswordPage {
                ctx: c,
                first: first_sign_in(&r),
                t: super::strings::strings(&r.headers),
            };
            Ok((p.status_code(), render(&page)).into_response())
        }
    }
}
