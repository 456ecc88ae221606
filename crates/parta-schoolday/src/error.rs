use parta_core::{FieldError, Problem};

/// Errors of the school-day domain, mapped to HTTP once (below).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Two lessons in one place at one time; the message names both.
    #[error("conflict on {0}")]
    Conflict(String, String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Problem(#[from] Problem),
}

impl JournalError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<serde_json::Error> for JournalError {
    fn from(e: serde_json::Error) -> Self {
        tracing::error!(error = %e, "event not written");
        Self::Problem(Problem::internal())
    }
}

impl From<parta_registry::RegistryError> for JournalError {
    fn from(e: parta_registry::RegistryError) -> Self {
        Self::Problem(e.into())
    }
}

impl From<JournalError> for Problem {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::NotFound => Problem::not_found(),
            JournalError::Forbidden => Problem::forbidden(),
            JournalError::Invalid(errors) => Problem::validation(errors),
            JournalError::Conflict(field, msg) => Problem::conflict(field, msg),
            JournalError::Db(e) => Problem::from_db(e),
            JournalError::Problem(p) => p,
        }
    }
}
