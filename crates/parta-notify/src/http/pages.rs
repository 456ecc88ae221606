//! The notifications page: the list, read marks and which kinds to receive.

use super::strings::{strings, Strings};
use super::Web;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
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
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    ctx: Ctx,
    t: &'static Strings,
    list: crate::NotificationList,
    /// (kind, label, in the list, by e-mail, by the messenger).
    prefs: Vec<(String, String, bool, bool, bool)>,
    settings: crate::DeliverySettings,
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
    let (list, stored, settings) = tokio::try_join!(
        st.notifications.list(p, before),
        st.notifications.preferences(p),
        st.notifications.settings(p)
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
            )
        })
        .collect();
    let page = render(&NotificationsPage {
        ctx,
        t,
        list,
        prefs,
        settings,
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
    let (on, email, messenger) = (ticked("on"), ticked("email"), ticked("messenger"));
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
