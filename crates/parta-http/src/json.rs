//! JSON bodies and path ids whose rejections are problem+json naming the field.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::Json;
use parta_core::Problem;

pub type ApiResult<T> = Result<T, ApiError>;

/// A problem as an HTTP answer: `application/problem+json` (RFC 9457), with
/// `Retry-After` when the problem says when to come back. Every domain error converts
/// into it with `?`.
#[derive(Debug)]
pub struct ApiError(pub Problem);

impl<E: Into<Problem>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        use axum::http::{header, HeaderValue};
        let status = self.0.status_code();
        let (retry, size) = (self.0.retry_after_secs, self.0.file_size);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let Some(size) = size {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
        }
        res
    }
}

/// A problem as its problem+json answer.
pub fn problem_response(p: Problem) -> axum::response::Response {
    axum::response::IntoResponse::into_response(ApiError(p))
}

/// JSON body whose rejections are our problem+json, naming the field.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = crate::json::ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(ApiError(json_problem(&rejection))),
        }
    }
}

/// Turns serde's message into a field name and a Russian explanation.
fn json_problem(rejection: &JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::invalid(
            "body",
            "Ожидается JSON: заголовок Content-Type: application/json.",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            Problem::invalid("body", "Тело запроса — некорректный JSON.")
        }
        JsonRejection::JsonDataError(e) => {
            let text = e.body_text();
            let detail = text
                .split_once("target type: ")
                .map(|(_, r)| r)
                .unwrap_or(&text);
            if let Some(field) = detail
                .split("missing field `")
                .nth(1)
                .and_then(|r| r.split('`').next())
            {
                return Problem::invalid(field, "Обязательное поле не заполнено.");
            }
            let (path, msg) = detail.split_once(": ").unwrap_or(("body", detail));
            let reason = if msg.contains("invalid type") {
                "Неверный тип значения."
            } else if msg.contains("unknown variant") {
                "Недопустимое значение."
            } else if msg.contains("UUID") || msg.contains("uuid") {
                "Ожидается идентификатор (UUID)."
            } else {
                "Неверное значение."
            };
            Problem::invalid(path, format!("{reason} ({msg})"))
        }
        _ => Problem::invalid("body", "Не удалось прочитать тело запроса."),
    }
}

/// A path id; anything malformed is "not found", like an id the caller may not see.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> ApiResult<T> {
    raw.parse().map_err(|_| ApiError(Problem::not_found()))
}

/// `problem.into_response()` where a problem is answered directly (middleware, rejections).
pub trait ProblemResponse {
    fn into_response(self) -> axum::response::Response;
}

impl ProblemResponse for Problem {
    fn into_response(self) -> axum::response::Response {
        problem_response(self)
    }
}

/// A stored file's answer: its checked type, its name (RFC 6266, UTF-8) — shown in the
/// browser (`inline`: a picture) or saved (`attachment`) — never sniffed into something
/// else, and kept by no cache (it is someone's personal data).
pub fn file_response(
    content_type: &str,
    name: &str,
    inline: bool,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let utf8: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let how = if inline { "inline" } else { "attachment" };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// One byte range asked for by `Range: bytes=…` (RFC 9110 §14.2): a video or a large
/// document read from where the player or a resumed download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=500-`
    From(u64),
    /// `bytes=500-999`
    FromTo(u64, u64),
    /// `bytes=-500`: the last 500 bytes.
    Last(u64),
}

impl ByteRange {
    /// The range asked for: one range of bytes; several ranges, another unit or a
    /// malformed header are answered with the whole file (the RFC allows ignoring them).
    pub fn of(headers: &axum::http::HeaderMap) -> Option<ByteRange> {
        let v = headers.get(axum::http::header::RANGE)?.to_str().ok()?;
        let spec = v.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        match (a.is_empty(), b.is_empty()) {
            (false, true) => Some(ByteRange::From(a.parse().ok()?)),
            (false, false) => {
                let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
                (a <= b).then_some(ByteRange::FromTo(a, b))
            }
            (true, false) => Some(ByteRange::Last(b.parse().ok()?)),
            (true, true) => None,
        }
    }

    /// The bytes it means in a file of `size` bytes; `None` when none of them exists
    /// (416).
    pub fn within(self, size: u64) -> Option<std::ops::Range<u64>> {
        let r = match self {
            ByteRange::From(a) => a..size,
            ByteRange::FromTo(a, b) => a..b.saturating_add(1).min(size),
            ByteRange::Last(n) => size.saturating_sub(n)..size,
        };
        (r.start < r.end).then_some(r)
    }

    /// 416 Range Not Satisfiable, with the file's size (`Content-Range: bytes */N`).
    pub fn refused(size: u64) -> Problem {
        let mut p = Problem::new(
            axum::http::StatusCode::RANGE_NOT_SATISFIABLE,
            "range_not_satisfiable",
            "Неверный диапазон",
        )
        .with_detail(format!(
            "Диапазон за пределами файла. Размер файла в байтах: {size}."
        ));
        p.file_size = Some(size);
        p
    }
}

/// A file or the part of it asked for.
#[derive(Debug)]
pub struct FilePart {
    pub bytes: Vec<u8>,
    /// The part, when a range was asked for.
    pub range: Option<std::ops::Range<u64>>,
    /// The whole file's size.
    pub total: u64,
}

/// [`file_response`] that says ranges are served, and answers a part with 206 and its
/// `Content-Range`.
pub fn file_part_response(
    content_type: &str,
    name: &str,
    inline: bool,
    part: FilePart,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    let mut res = file_response(content_type, name, inline, part.bytes);
    res.headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(r) = part.range {
        *res.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!(
            "bytes {}-{}/{}",
            r.start,
            r.end.saturating_sub(1),
            part.total
        )) {
            res.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    res
}

#[cfg(test)]
mod range_tests {
    use super::*;

    fn range(v: &str) -> Option<ByteRange> {
        let mut h = axum::http::HeaderMap::new();
        h.insert(axum::http::header::RANGE, v.parse().unwrap());
        ByteRange::of(&h)
    }

    #[test]
    fn one_byte_range_is_read_and_bounded_by_the_file() {
        assert_eq!(range("bytes=0-99"), Some(ByteRange::FromTo(0, 99)));
        assert_eq!(range("bytes=100-").unwrap().within(150), Some(100..150));
        assert_eq!(range("bytes=-10").unwrap().within(150), Some(140..150));
        assert_eq!(range("bytes=-500").unwrap().within(150), Some(0..150));
        assert_eq!(range("bytes=0-999").unwrap().within(150), Some(0..150));
        assert_eq!(range("bytes=150-").unwrap().within(150), None);
        assert_eq!(range("bytes=0-0").unwrap().within(150), Some(0..1));
        // Several ranges, other units, nonsense: the whole file.
        for whole in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-2",
            "bytes=-",
            "bytes=a-b",
        ] {
            assert_eq!(range(whole), None, "{whole}");
        }
    }
}
