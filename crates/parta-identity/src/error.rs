use parta_core::{FieldError, Problem};
use parta_http::json::ProblemResponse as _;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("bad credentials")]
    BadCredentials,
    #[error("throttled for {0}s")]
    Throttled(u64),
    #[error("not signed in")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("OpenID Connect: {0}")]
    Oidc(String),
    #[error("OpenID Connect state unknown or expired")]
    OidcState,
    #[error("no registry person for this provider identity")]
    OidcNotLinked,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Problem(#[from] Problem),
}

impl IdentityError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<IdentityError> for Problem {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::BadCredentials => Problem::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "Неверный логин или пароль",
            )
            .with_detail("Проверьте логин и пароль. После нескольких неудачных попыток вход временно блокируется."),
            IdentityError::Throttled(secs) => Problem::too_many(
                format!("Слишком много попыток входа. Повторите через {} мин.", secs.div_ceil(60).max(1)),
                secs,
            ),
            IdentityError::Unauthenticated => Problem::unauthorized(),
            IdentityError::NotFound => Problem::not_found(),
            IdentityError::Forbidden => Problem::forbidden(),
            IdentityError::Invalid(errors) => Problem::validation(errors),
            IdentityError::Oidc(e) => {
                tracing::warn!(error = %e, "OpenID Connect sign-in failed");
                Problem::new(axum::http::StatusCode::BAD_GATEWAY, "oidc_failed", "Вход через внешний сервис не удался")
                    .with_detail("Сервис входа не ответил как положено. Попробуйте ещё раз или войдите по логину и паролю.")
            }
            IdentityError::OidcState => Problem::new(axum::http::StatusCode::BAD_REQUEST, "oidc_state", "Вход устарел")
                .with_detail("Ссылка входа устарела или уже использована. Начните вход заново."),
            IdentityError::OidcNotLinked => Problem::new(axum::http::StatusCode::FORBIDDEN, "oidc_not_linked", "Вы не найдены в реестре")
                .with_detail("Мы не нашли вас в реестре по СНИЛС или подтверждённой электронной почте. Обратитесь в школу, чтобы данные внесли или исправили."),
            IdentityError::Db(e) => Problem::from_db(e),
            IdentityError::Problem(p) => p,
        }
    }
}

impl axum::response::IntoResponse for IdentityError {
    fn into_response(self) -> axum::response::Response {
        Problem::from(self).into_response()
    }
}
