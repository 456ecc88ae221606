//! The whole application router.

use crate::state::AppState;
use crate::{api, ops, pages};
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (roster packages are uploaded separately with their own limit).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Every domain's page routers, and the platform's own pages.
pub struct AllPages {
    pub platform: parta_http::Pages<AppState>,
    pub identity: parta_http::Pages<parta_identity::http::Web>,
    pub registry: parta_http::Pages<parta_registry::http::Web>,
    pub roster: parta_http::Pages<parta_roster::http::Web>,
    pub school_day: parta_http::Pages<parta_schoolday::http::Web>,
    pub notifications: parta_http::Pages<parta_notify::http::Web>,
    pub chats: parta_http::Pages<parta_chat::http::Web>,
    pub video: parta_http::Pages<parta_video::http::Web>,
}

pub fn all_pages() -> AllPages {
    AllPages {
        platform: pages::router(),
        identity: parta_identity::http::pages::router(),
        registry: parta_registry::http::pages::router(),
        roster: parta_roster::http::pages::router(),
        school_day: parta_schoolday::http::pages::router(),
        notifications: parta_notify::http::pages::router(),
        chats: parta_chat::http::pages::router(),
        video: parta_video::http::pages::router(),
    }
}

/// Every page route, as `METHOD /path/{param}`: read off the routers themselves (the
/// operations layer and the refusal table use this list).
pub fn page_routes() -> Vec<String> {
    let p = all_pages();
    [
        p.platform.routes(),
        p.identity.routes(),
        p.registry.routes(),
        p.roster.routes(),
        p.school_day.routes(),
        p.notifications.routes(),
        p.chats.routes(),
        p.video.routes(),
    ]
    .concat()
}

/// The domains' routers, each given its own state, as one router over the app's state.
fn domains(state: &AppState) -> Router<AppState> {
    let w = &state.web;
    let a = api::apis();
    let p = all_pages();
    let api = Router::new()
        .merge(
            a.identity
                .split_for_parts()
                .0
                .with_state(w.identity.clone()),
        )
        .merge(
            a.registry
                .split_for_parts()
                .0
                .with_state(w.registry.clone()),
        )
        .merge(a.roster.split_for_parts().0.with_state(w.roster.clone()))
        .merge(
            a.school_day
                .split_for_parts()
                .0
                .with_state(w.school_day.clone()),
        )
        .merge(
            a.notifications
                .split_for_parts()
                .0
                .with_state(w.notifications.clone()),
        )
        .merge(a.chats.split_for_parts().0.with_state(w.chats.clone()))
        .merge(a.video.split_for_parts().0.with_state(w.video.clone()));
    let pages = Router::new()
        .merge(p.platform.into_parts().0)
        .merge(p.identity.into_parts().0.with_state(w.identity.clone()))
        .merge(p.registry.into_parts().0.with_state(w.registry.clone()))
        .merge(p.roster.into_parts().0.with_state(w.roster.clone()))
        .merge(p.school_day.into_parts().0.with_state(w.school_day.clone()))
        .merge(
            p.notifications
                .into_parts()
                .0
                .with_state(w.notifications.clone()),
        )
        .merge(p.chats.into_parts().0.with_state(w.chats.clone()))
        .merge(p.video.into_parts().0.with_state(w.video.clone()))
        // A page handler's error becomes the error page in the caller's frame.
        .layer(from_fn(parta_http::error_pages));
    api.merge(pages)
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(domains(&state))
        .route("/api/v1/openapi.json", get(pages::openapi_json))
        .route("/api/docs", get(pages::api_docs))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(pages::not_found)
        .layer(from_fn_with_state(state.clone(), ops::audit_refusals))
        .layer(from_fn_with_state(state.clone(), ops::require_documented))
        .layer(from_fn_with_state(
            state.door.clone(),
            parta_http::csrf::csrf,
        ))
        // Problems in the caller's language, the CSRF refusal's too (after the audit,
        // which keeps the codes).
        .layer(from_fn(parta_http::messages::localize_problems))
        // OneRoster's paths answer OneRoster's error payload (the localised text in it).
        .layer(from_fn(parta_http::imsx::rewrite))
        .layer(from_fn(ops::track))
        .layer(from_fn_with_state(state.clone(), ops::security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // The fastest level: much less CPU per response than the default, a little more bytes.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        // Outermost but for tracing: a shed request costs almost nothing.
        .layer(from_fn_with_state(state.clone(), ops::admit))
        // A body must arrive within two minutes (a 10 MB file over a 1 Mbit/s line), so a
        // slow sender cannot hold a write place for ever. Behind a proxy that buffers
        // requests (nginx does by default) this never trips.
        .layer(tower_http::timeout::RequestBodyDeadlineLayer::new(
            std::time::Duration::from_secs(120),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
