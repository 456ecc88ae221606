//! Operations: health, readiness, Prometheus metrics and request instrumentation.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use parta_core::Problem;
use parta_http::json::ProblemResponse as _;
use std::sync::OnceLock;
use std::time::Instant;

/// One recorder per process (tests start many servers in one process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(h) => h,
                // Another recorder is installed: keep an unregistered one so /metrics still answers.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(st): State<AppState>) -> Response {
    if st.db.ping().await {
        "ready".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

/// Addresses and networks of the configuration (`10.0.0.0/8`, `127.0.0.1`); entries that
/// are neither are logged and skipped.
pub fn networks(list: &[String]) -> Vec<ipnet::IpNet> {
    list.iter()
        .filter_map(|a| {
            let n = a
                .parse::<ipnet::IpNet>()
                .ok()
                .or_else(|| a.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from));
            if n.is_none() {
                tracing::warn!(entry = %a, "not an address or a network; ignored");
            }
            n
        })
        .collect()
}

/// Prometheus metrics: only for the configured addresses or with the configured token
/// (they name routes and volumes; nobody outside needs them).
pub async fn metrics(State(st): State<AppState>, parts: axum::http::request::Parts) -> Response {
    let m = &st.config.metrics;
    let allowed = networks(&m.allow);
    let from_allowed = parta_http::caller::client_addr(&parts, &st.door)
        .is_some_and(|ip| allowed.iter().any(|n| n.contains(&ip)));
    let with_token = m.token.as_ref().is_some_and(|t| {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| given.trim() == t.expose())
    });
    if !(from_allowed || with_token) {
        return Problem::forbidden()
            .with_detail(
                "Метрики доступны только с разрешённых адресов или с токеном (настройка metrics).",
            )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

/// Counts requests and their latency by route template (never by raw path: ids are
/// personal data and would explode the label set).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// Refused attempts written a minute per caller, at most.
pub const REFUSALS_PER_MINUTE: u32 = 30;

/// A caller's minute: when it began, refusals written, refusals left out.
type RefusalMinute = (Instant, u32, u64);

/// Counts the refused attempts each caller had written this minute.
#[derive(Clone, Default)]
pub struct RefusalLimiter(
    std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<parta_core::ids::PersonId, RefusalMinute>>,
    >,
);

impl RefusalLimiter {
    /// `Some(left out before)` when this refusal is written; `None` when it is only counted.
    pub fn admit(&self, who: parta_core::ids::PersonId) -> Option<u64> {
        let mut map = self.0.lock().ok()?;
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (at, _, left)| now.duration_since(*at).as_secs() < 60 || *left > 0);
        }
        let e = map.entry(who).or_insert((now, 0, 0));
        if now.duration_since(e.0).as_secs() >= 60 {
            e.0 = now;
            e.1 = 0;
        }
        if e.1 >= REFUSALS_PER_MINUTE {
            e.2 += 1;
            return None;
        }
        e.1 += 1;
        Some(std::mem::take(&mut e.2))
    }
}

/// Refused attempts leave a trace (DATA-3): a signed-in caller answered 403, or 404 on a
/// route that names an object, is written to the access log with the route and path — a
/// probe for other people's data shows in the log, and in the log of the person whose id
/// was tried.
pub async fn audit_refusals(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let slot = parta_http::caller::CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let (mut res, refused_ops) = parta_core::policy::observe_refusals(next.run(req)).await;
    let status = res.status();
    // The operation that refused (the last the policy refused), named in the audit
    // entry; debug builds also answer it in a header, for the refusal table's test.
    let operation = refused_ops.last().map(|op| format!("{op:?}"));
    if cfg!(debug_assertions) {
        if let Some(v) = operation
            .as_deref()
            .and_then(|o| HeaderValue::from_str(o).ok())
        {
            res.headers_mut().insert("x-parta-refused-by", v);
        }
    }
    let Some(route) = route else {
        return res;
    };
    let refused =
        status == StatusCode::FORBIDDEN || (status == StatusCode::NOT_FOUND && route.contains('{'));
    if !refused {
        return res;
    }
    let caller = slot.0.lock().ok().and_then(|mut c| c.take());
    if let Some(c) = caller {
        // At most REFUSALS_PER_MINUTE rows a caller a minute: a flood of probes cannot push
        // real entries out of a person's log; what was left out is counted in the next row.
        let Some(left_out) = st.refusals.admit(c.person) else {
            return res;
        };
        // The person whose id was in the path, when the route is about a person.
        let subject = ["/persons/{id}", "/students/{id}"]
            .iter()
            .find(|r| route.contains(*r))
            .and_then(|r| {
                let prefix = &r[..r.len() - "{id}".len()];
                path.split(prefix).nth(1)?.split('/').next()?.parse().ok()
            });
        let mut e = parta_db::audit::AuditEntry {
            actor_person_id: Some(c.person),
            actor_role: Some(c.role.as_str().to_string()),
            action: "refused",
            object_type: "request",
            ip: c.ip,
            ..Default::default()
        };
        e.subject_person_id = subject;
        e.object_id = Some(path.chars().take(300).collect());
        let by = operation
            .as_deref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        e.details = Some(if left_out > 0 {
            format!(
                "{method} {route} → {}{by} (и ещё отказов без записи: {left_out})",
                status.as_u16()
            )
        } else {
            format!("{method} {route} → {}{by}", status.as_u16())
        });
        if let Err(err) = st.audit.record(e).await {
            tracing::error!(error = %err, "refused attempt not audited");
        }
    }
    res
}

/// Admission control (load shedding): reads and writes each have a number of places; a
/// request waits up to the configured time for one and is otherwise answered 503 with
/// `Retry-After`, as is one that finds sixteen times as many already waiting (the wait is
/// what bounds the queue; the count only bounds memory). Health,
/// readiness, metrics and static files are always served.
#[derive(Clone)]
pub struct Admission {
    reads: Gate,
    writes: Gate,
    wait: std::time::Duration,
}

#[derive(Clone)]
struct Gate {
    places: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
}

impl Gate {
    fn new(places: usize) -> Self {
        let places = places.max(1);
        Self {
            places: std::sync::Arc::new(tokio::sync::Semaphore::new(places)),
            waiting: Default::default(),
            max_waiting: places * 16,
        }
    }
}

impl Admission {
    pub fn new(c: &parta_core::config::AdmissionConfig) -> Self {
        Self {
            reads: Gate::new(c.max_reads),
            writes: Gate::new(c.max_writes),
            wait: std::time::Duration::from_millis(c.max_wait_ms),
        }
    }
}

pub async fn admit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    use std::sync::atomic::Ordering;
    let path = req.uri().path();
    if matches!(path, "/healthz" | "/readyz" | "/metrics") || path.starts_with("/static/") {
        return next.run(req).await;
    }
    let write = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let gate = if write {
        &st.admission.writes
    } else {
        &st.admission.reads
    };
    let api = path.starts_with("/api/") || path.starts_with("/ims/");
    let permit = match gate.places.clone().try_acquire_owned() {
        Ok(p) => Some(p),
        Err(_) => {
            // Counted while waiting; the guard uncounts even if the client goes away.
            struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
            impl Drop for Waiting<'_> {
                fn drop(&mut self) {
                    self.0.fetch_sub(1, Ordering::AcqRel);
                }
            }
            let queued = gate.waiting.fetch_add(1, Ordering::AcqRel) < gate.max_waiting;
            let _waiting = Waiting(&gate.waiting);
            if queued {
                tokio::time::timeout(st.admission.wait, gate.places.clone().acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok)
            } else {
                None
            }
        }
    };
    match permit {
        Some(_permit) => next.run(req).await,
        None => {
            metrics::counter!("http_requests_shed_total").increment(1);
            overloaded(api, write)
        }
    }
}

/// 503 with `Retry-After`: problem+json for the API; for a page, one that reloads itself —
/// but after a form, one that says nothing was saved and sends the person back to their
/// form (a reload would show it empty and lose what they typed).
fn overloaded(api: bool, write: bool) -> Response {
    let mut res = if api {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Сервер сейчас перегружен. Повторите запрос через секунду.",
        )
        .into_response()
    } else if write {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
             <title>Сервер перегружен</title><h1>Не сохранено: сервер перегружен</h1>\
             <p>Ничего не записано. Вернитесь на предыдущую страницу кнопкой «Назад» — введённое там останется — \
             и отправьте форму ещё раз через несколько секунд.</p></html>",
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"3\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>Сервер перегружен</title><p>Сервер сейчас перегружен. Страница обновится сама через несколько секунд.</p></html>",
        )
            .into_response()
    };
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// Operational endpoints outside the API and the pages.
pub const OPS_ROUTES: &[&str] = &[
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /api/docs",
];

/// In debug builds (and so in every test) an API route missing from the OpenAPI
/// document fails loudly; in release it is logged.
pub async fn require_documented(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(path) = req.extensions().get::<MatchedPath>() {
        let key = format!("{} {}", req.method(), path.as_str());
        let known = if path.as_str().starts_with("/api/v1/") || path.as_str().starts_with("/ims/") {
            st.documented.contains(&key)
        } else {
            st.pages.contains(&key) || OPS_ROUTES.contains(&key.as_str())
        };
        if !known {
            tracing::error!(route = %key, "route missing from the OpenAPI document or the page list");
            if cfg!(debug_assertions) {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("undocumented route {key}"),
                )
                    .into_response();
            }
        }
    }
    next.run(req).await
}

/// Security headers for every response: no external hosts, no framing, no sniffing; no
/// storing of anything but static files (personal pages must not come back from a cache
/// or the Back button after sign-out); HSTS when the platform is served over https.
pub async fn security_headers(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if st.config.secure_cookies() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; media-src 'self' https:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}
