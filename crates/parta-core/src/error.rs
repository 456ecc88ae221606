//! Errors as RFC 9457 `application/problem+json`, with a stable code, a Russian
//! message and the offending field. Domains define their own error enums and map
//! them to [`Problem`] once.

use http::StatusCode;
use serde::Serialize;

/// One invalid field, named as in the request (`csv:users.csv:12:email` for files).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
    /// Stable code of what is wrong, from the domain's table (`journal.period_closed`),
    /// when the domain names it; listed in the API document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub code: Option<&'static str>,
}

/// A stable error code of a domain's table: what a client may branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: &'static str,
    /// What it means, in Russian (the API document lists it).
    pub meaning: &'static str,
}

/// Declares a domain's table of stable error codes: a constant per code and `ALL`.
#[macro_export]
macro_rules! error_codes {
    ($($name:ident = $code:literal: $meaning:literal;)*) => {
        $(pub const $name: $crate::ErrorCode = $crate::ErrorCode { code: $code, meaning: $meaning };)*
        /// The whole table, as the API document lists it.
        pub const ALL: &[$crate::ErrorCode] = &[$($name),*];
    };
}

/// Codes every domain answers with (`code` of the problem itself).
pub const SHARED_CODES: &[ErrorCode] = &[
    ErrorCode {
        code: "validation",
        meaning: "Ошибка в данных: поля названы в errors",
    },
    ErrorCode {
        code: "not_found",
        meaning: "Не найдено (или нет доступа — ответ тот же)",
    },
    ErrorCode {
        code: "forbidden",
        meaning: "Видно, но это действие недоступно",
    },
    ErrorCode {
        code: "unauthorized",
        meaning: "Нужен вход",
    },
    ErrorCode {
        code: "password_change_required",
        meaning: "Пароль из письма действует один раз: сначала задайте свой",
    },
    ErrorCode {
        code: "csrf",
        meaning: "Неверный токен формы",
    },
    ErrorCode {
        code: "conflict",
        meaning: "Конфликт с уже записанными данными",
    },
    ErrorCode {
        code: "too_many_requests",
        meaning: "Слишком много попыток; Retry-After говорит, когда повторить",
    },
    ErrorCode {
        code: "payload_too_large",
        meaning: "Слишком большой запрос или файл",
    },
    ErrorCode {
        code: "overloaded",
        meaning: "Сервер перегружен; повторить через Retry-After",
    },
    ErrorCode {
        code: "internal",
        meaning: "Внутренняя ошибка",
    },
];

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            code: None,
        }
    }

    /// A field error with its stable code from the domain's table.
    pub fn coded(code: &ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            code: Some(code.code),
        }
    }

    /// Refuses a list longer than `max` items: every list a request carries is bounded by
    /// what it will build.
    pub fn check_len<T>(field: &str, items: &[T], max: usize) -> Result<(), FieldError> {
        if items.len() > max {
            Err(FieldError::new(
                field,
                format!(
                    "Слишком много элементов за один запрос: {}, можно не больше {max}. Разделите изменения на части.",
                    items.len()
                ),
            ))
        } else {
            Ok(())
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `validation`, `not_found`.
    pub code: &'static str,
    /// Human-readable message in Russian.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The first offending field, for clients that show one message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip)]
    pub retry_after_secs: Option<u64>,
    /// A range past a file's end (416): the file's size, for `Content-Range: bytes */N`.
    #[serde(skip)]
    pub file_size: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, title: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:parta:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            code,
            detail: None,
            field: None,
            errors: Vec::new(),
            retry_after_secs: None,
            file_size: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// 404 — also used for objects the caller must not know exist.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Не найдено")
            .with_detail("Запрошенный объект не найден или у вас нет к нему доступа.")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Доступ запрещён")
            .with_detail("Ваша роль не позволяет выполнить это действие.")
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Требуется вход")
            .with_detail("Войдите в систему: сессия отсутствует или истекла.")
    }

    /// The session's password came on a sign-in letter: only changing it is allowed.
    pub fn password_change_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "Задайте свой пароль",
        )
        .with_detail("Пароль из письма действует только для первого входа. Придумайте свой пароль — после этого откроется всё остальное.")
    }

    pub fn csrf() -> Self {
        Self::new(StatusCode::FORBIDDEN, "csrf", "Неверный токен формы").with_detail(
            "Форма устарела или отправлена с другого сайта. Обновите страницу и повторите.",
        )
    }

    /// 422 with one or more field errors.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Ошибка в данных",
        );
        p.field = errors.first().map(|e| e.field.clone());
        p.detail = errors
            .first()
            .map(|e| format!("{}: {}", e.field, e.message));
        p.errors = errors;
        p
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut p = Self::invalid(field, message);
        p.status = StatusCode::CONFLICT.as_u16();
        p.code = "conflict";
        p.type_uri = "urn:parta:problem:conflict".into();
        p.title = "Конфликт данных".into();
        p
    }

    pub fn too_many(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "Слишком много попыток",
        )
        .with_detail(detail);
        p.retry_after_secs = Some(retry_after_secs);
        p
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Слишком большой файл",
        )
        .with_detail(format!(
            "Размер запроса превышает {} КБ.",
            limit_bytes / 1024
        ))
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Внутренняя ошибка")
            .with_detail("Что-то пошло не так. Попробуйте ещё раз; если ошибка повторится, сообщите администратору.")
    }

    /// Maps a database error: unique violations become a conflict, the rest is logged
    /// (without bound values) and hidden behind a generic message.
    pub fn from_db(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                return Self::conflict("", "Такая запись уже существует.");
            }
            if db.is_foreign_key_violation() {
                return Self::invalid("", "Ссылка на несуществующий объект.");
            }
        }
        tracing::error!(error = %err, "database error");
        Self::internal()
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.code)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl From<sqlx::Error> for Problem {
    fn from(err: sqlx::Error) -> Self {
        Self::from_db(err)
    }
}
