//! The notifications page: the list, read marks and which kinds to receive.

use super::strings::{strings, Strings};
use super::Web;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
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
    prefs: Vec<(String, String, bool)>,
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
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    let (list, prefs) = tokio::try_join!(
        st.notifications.list(p, q.before.as_deref()),
        st.notifications.preferences(p)
    )?;
    let prefs = prefs
        .into_iter()
        .enumerate()
        .map(|(i, pr)| {
            (
                pr.kind,
                t.kinds.get(i).copied().unwrap_or("").to_string(),
                pr.enabled,
            )
        })
        .collect();
    Ok(render(&NotificationsPage {
        ctx: r.ctx(),
        t,
        list,
        prefs,
    }))
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

async fn preferences(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let on: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "on")
        .map(|(_, v)| v.as_str())
        .collect();
    let prefs: Vec<crate::Preference> = crate::KINDS
        .iter()
        .map(|(k, _, _)| crate::Preference {
            kind: k.to_string(),
            enabled: on.contains(k),
        })
        .collect();
    match st
        .notifications
        .set_preferences(&r.caller.principal, &prefs)
        .await
    {
        Ok(_) => Ok(Redirect::to("/notifications?n=saved").into_response()),
        Err(e) => fail(e),
    }
}
