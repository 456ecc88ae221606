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
            RegistryError::Conflict(field, msg) => Problem::conflict(field, msg),
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
