//! OneRoster's error payload. The REST binding of OneRoster 1.2 answers a failure with
//! `imsx_StatusInfo` (code major, severity, description, code minor), not RFC 9457; the
//! platform's problems on `/ims/oneroster/…` are rewritten into it, keeping the status
//! and the problem's stable code as the code minor.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

pub mod query;

/// The prefix of every OneRoster path.
pub const PREFIX: &str = "/ims/oneroster/";

/// `imsx_StatusInfo` of a failed request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(non_snake_case)]
pub struct ImsxStatus {
    /// `failure`.
    pub imsx_codeMajor: String,
    /// `error`.
    pub imsx_severity: String,
    pub imsx_description: String,
    pub imsx_CodeMinor: ImsxCodeMinor,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(non_snake_case)]
pub struct ImsxCodeMinor {
    pub imsx_codeMinorField: Vec<ImsxCodeMinorField>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[allow(non_snake_case)]
pub struct ImsxCodeMinorField {
    /// The parameter at fault, or `TargetEndSystem`.
    pub imsx_codeMinorFieldName: String,
    /// `invalid_filter_field`, `invalid_selection_field`, `invalid_sort_field`,
    /// `invaliddata`, `unknownobject`, `forbidden`, `unauthorisedrequest`,
    /// `server_busy`, `internal_server_error`, …
    pub imsx_codeMinorFieldValue: String,
}

/// The code minor of a problem's code.
pub fn code_minor(problem_code: &str) -> &str {
    match problem_code {
        "not_found" => "unknownobject",
        "forbidden" => "forbidden",
        "unauthorized" | "password_change_required" => "unauthorisedrequest",
        "too_many" => "server_busy",
        "internal" => "internal_server_error",
        "validation" | "conflict" => "invaliddata",
        "payload_too_large" => "invaliddata",
        other => other,
    }
}

/// The payload for a problem given as JSON.
pub fn from_problem(p: &serde_json::Value) -> ImsxStatus {
    let code = p["code"].as_str().unwrap_or("internal");
    let mut description = p["title"].as_str().unwrap_or_default().to_string();
    if let Some(d) = p["detail"].as_str() {
        let stop = if description.ends_with(['.', '!', '?', ':']) {
            ""
        } else {
            "."
        };
        description = format!("{description}{stop} {d}");
    }
    let mut fields: Vec<ImsxCodeMinorField> = p["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| ImsxCodeMinorField {
                    imsx_codeMinorFieldName: e["field"]
                        .as_str()
                        .unwrap_or("TargetEndSystem")
                        .to_string(),
                    imsx_codeMinorFieldValue: code_minor(code).to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        fields.push(ImsxCodeMinorField {
            imsx_codeMinorFieldName: "TargetEndSystem".into(),
            imsx_codeMinorFieldValue: code_minor(code).to_string(),
        });
    }
    ImsxStatus {
        imsx_codeMajor: "failure".into(),
        imsx_severity: "error".into(),
        imsx_description: description.trim().to_string(),
        imsx_CodeMinor: ImsxCodeMinor {
            imsx_codeMinorField: fields,
        },
    }
}

/// Middleware: problems answered on OneRoster paths become `imsx_StatusInfo`.
pub async fn rewrite(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with(PREFIX) {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !is_problem {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // A problem is small; a larger body is not one of ours and passes as it is.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(problem) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let Ok(json) = serde_json::to_vec(&from_problem(&problem)) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json))
}

/// A collection's answer: `{key: [...]}` with `X-Total-Count` and `Link` (first, prev,
/// next, last), not to be cached (people and marks).
pub fn collection(
    key: &str,
    total: usize,
    items: Vec<serde_json::Value>,
    uri: &axum::http::Uri,
    q: &query::ListQuery,
) -> Response {
    use axum::response::IntoResponse;
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), serde_json::Value::Array(items));
    let link = query::link_header(uri.path(), uri.query().unwrap_or_default(), total, q);
    let mut res = axum::Json(serde_json::Value::Object(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-total-count", HeaderValue::from(total));
    if let Ok(v) = HeaderValue::from_str(&link) {
        h.insert(header::LINK, v);
    }
    res
}

/// One object's answer: `{key: {...}}`, not to be cached.
pub fn single(key: &str, object: serde_json::Value) -> Response {
    use axum::response::IntoResponse;
    let mut body = serde_json::Map::new();
    body.insert(key.to_string(), object);
    let mut res = axum::Json(serde_json::Value::Object(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
