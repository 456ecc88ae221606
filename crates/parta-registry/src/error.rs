use parta_core::{FieldError, Problem};
use parta_http::json::ProblemResponse as _;

/// Errors of the registry domain, mapped to HTTP once (below).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("conflict on {0}")]
    Conflict(&'static str, String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Problem(#[from] Problem),
}

impl RegistryError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<RegistryError> for Problem {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::NotFound => Problem::not_found(),
            RegistryError::Forbidden => Problem::forbidden(),
            RegistryError::Invalid(errors) => Problem::validation(errors),
            RegistryError::Conflict(field, msg) => {
                let mut p = Problem::conflict(field, msg);
                for e in &mut p.errors {
                    e.code = Some(codes::DUPLICATE.code);
                }
                p
            }
            RegistryError::Db(e) => Problem::from_db(e),
            RegistryError::Problem(p) => p,
        }
    }
}

impl axum::response::IntoResponse for RegistryError {
    fn into_response(self) -> axum::response::Response {
        Problem::from(self).into_response()
    }
}

/// Stable codes of the registry's field errors (`errors[].code` of a problem).
pub mod codes {
    parta_core::error_codes! {
        DUPLICATE = "registry.duplicate": "Такое значение (ИНН, ОГРН, СНИЛС, логин) уже есть в реестре";
        REQUEST_DECIDED = "registry.request_decided": "Запрос на исправление уже рассмотрен";
        BAD_DATE = "registry.bad_date": "Дата не в формате ГГГГ-ММ-ДД";
        CLASS_NOT_FOUND = "registry.class_not_found": "Класс не найден";
    }
}
