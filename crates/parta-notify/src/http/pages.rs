//! The notifications page: the list, read marks and which kinds to receive.

use super::strings::{strings, Strings};
use super::Web;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use parta_core::Problem;
use parta_http::{fail, PageResult};
use parta_http::{render, Ctx, PageCaller, PageReq, Pages};
use serde::Deserialize;

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/notifications", notifications)
        .post("/notifications/read-all", read_all)
        .post("/notifications/preferences", preferences)
        .post("/notifications/push/{id}/delete", forget_device)
        .get("/sw.js", service_worker)
        .get("/static/push.js", push_js)
}

const PUSH_JS: &str = include_str!("../../static/push.js");
const SERVICE_WORKER: &str = include_str!("../../static/sw.js");

/// The page's switch for pushes in this browser.
async fn push_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        PUSH_JS,
    )
        .into_response()
}

/// The service worker that shows pushes: at the root, so that its scope is the whole
/// platform; checked for a new version on every visit.
async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: Ctx,
    t: &'static Strings,
    list: crate::NotificationList,
    /// (kind, label, in the list, by e-mail, by the messenger, by push).
    prefs: Vec<(String, String, bool, bool, bool, bool)>,
    settings: crate::DeliverySettings,
    push: crate::PushStatus,
    /// The caller's browsers with the date each was switched on.
    devices: Vec<(crate::PushDevice, String)>,
    /// The quiet hours as typed (kept when refused).
    quiet_from: String,
    quiet_to: String,
    err: parta_http::page::FormErrors,
}

#[derive(Deserialize)]
struct BeforeQuery {
    before: Option<String>,
}

async fn notifications(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(q): Query<BeforeQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    page(&st, &r, q.before.as_deref(), None).await
}

/// The page; with a refused change of the settings, what was typed and why.
async fn page(
    st: &Web,
    r: &PageReq,
    before: Option<&str>,
    again: Option<(Vec<crate::Preference>, crate::SettingsChange, Problem)>,
) -> PageResult {
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    let (list, stored, settings, push) = tokio::try_join!(
        st.notifications.list(p, before),
        st.notifications.preferences(p),
        st.notifications.settings(p),
        st.notifications.push_status(p)
    )?;
    let mut ctx = r.ctx();
    let (prefs, quiet_from, quiet_to, err, status) = match again {
        Some((prefs, change, problem)) => {
            ctx.errors = parta_http::page::messages(&problem, ctx.lang);
            (
                prefs,
                change.quiet_from.unwrap_or_default(),
                change.quiet_to.unwrap_or_default(),
                parta_http::page::FormErrors::from_problem(&problem, ctx.lang),
                problem.status_code(),
            )
        }
        None => (
            stored,
            settings.quiet_from.clone().unwrap_or_default(),
            settings.quiet_to.clone().unwrap_or_default(),
            parta_http::page::FormErrors::default(),
            StatusCode::OK,
        ),
    };
    let prefs = prefs
        .into_iter()
        .enumerate()
        .map(|(i, pr)| {
            (
                pr.kind,
                t.kinds.get(i).copied().unwrap_or("").to_string(),
                pr.enabled,
                pr.email.unwrap_or(false),
                pr.messenger.unwrap_or(false),
                pr.push.unwrap_or(true),
            )
        })
        .collect();
    let devices = push
        .devices
        .iter()
        .map(|d| {
            let at = parta_core::time::format_ms(d.created_at);
            let day = at.split(' ').next().unwrap_or_default().to_string();
            (d.clone(), day)
        })
        .collect();
    let page = render(&NotificationsPage {
        ctx,
        t,
        list,
        prefs,
        settings,
        push,
        devices,
        quiet_from,
        quiet_to,
        err,
    });
    Ok((status, page).into_response())
}

async fn read_all(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    match st.notifications.mark_all_read(&r.caller.principal).await {
        Ok(_) => Ok(Redirect::to("/notifications").into_response()),
        Err(e) => fail(e),
    }
}

/// Kinds and their channels (`on`, `email`, `messenger`: the kinds ticked), quiet hours
/// and the digest, saved together; a bad time keeps the form as it was typed.
async fn preferences(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let ticked = |name: &str| -> Vec<&str> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let (on, email, messenger, push) = (
        ticked("on"),
        ticked("email"),
        ticked("messenger"),
        ticked("push"),
    );
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // A channel the page did not show is kept as it is (set through the API, say).
    let shown = st
        .notifications
        .settings(&r.caller.principal)
        .await?
        .channels;
    let has = |c: &str| shown.iter().any(|s| s == c);
    let prefs: Vec<crate::Preference> = crate::KINDS
        .iter()
        .map(|(k, _, _)| crate::Preference {
            kind: k.to_string(),
            enabled: on.contains(k),
            email: has(crate::delivery::EMAIL).then(|| email.contains(k)),
            messenger: has(crate::delivery::MESSENGER).then(|| messenger.contains(k)),
            push: has(crate::delivery::PUSH).then(|| push.contains(k)),
        })
        .collect();
    let change = crate::SettingsChange {
        quiet_from: value("quiet_from"),
        quiet_to: value("quiet_to"),
        digest: value("digest").is_some(),
    };
    let p = &r.caller.principal;
    if let Err(e) = st.notifications.set_settings(p, &change).await {
        return if e.status == 422 {
            page(&st, &r, None, Some((prefs, change, e))).await
        } else {
            fail(e)
        };
    }
    match st.notifications.set_preferences(p, &prefs).await {
        Ok(_) => Ok(Redirect::to("/notifications?n=saved").into_response()),
        Err(e) => fail(e),
    }
}

/// Switches pushes off for one of the caller's browsers (the list's button).
async fn forget_device(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: parta_core::ids::PushSubscriptionId = id.parse().map_err(|_| Problem::not_found())?;
    st.notifications
        .unsubscribe_push(&r.caller.principal, Some(id), None)
        .await?;
    Ok(Redirect::to("/notifications?n=saved#push").into_response())
}
