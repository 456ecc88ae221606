//! The whole application router.

use crate::state::AppState;
use crate::{api, auth, ops, pages};
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted (roster packages are uploaded separately with their own limit).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn app(state: AppState) -> Router {
    let (api_router, _doc) = api::router().split_for_parts();
    Router::new()
        .merge(api_router)
        .route("/api/v1/openapi.json", get(pages::openapi_json))
        .route("/api/docs", get(pages::api_docs))
        .merge(pages::router())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(pages::not_found)
        .layer(from_fn_with_state(state.clone(), ops::audit_refusals))
        .layer(from_fn_with_state(state.clone(), ops::require_documented))
        .layer(from_fn_with_state(state.door.clone(), auth::csrf))
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
