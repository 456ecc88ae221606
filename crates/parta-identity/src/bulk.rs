//! Accounts for many people at once, inside the caller's transaction (roster import):
//! the identity domain's own table, written only here and by [`crate::Identity`].

use parta_core::ids::PersonId;

/// What became of a wanted login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    Created,
    /// The person has an account already (its login is kept).
    Kept,
    /// Another person has this login.
    Taken,
}

/// Gives `person` an account with `login` (no password yet: it is set by a reset or a
/// sign-in letter), unless they have one; refuses a login another person holds.
pub async fn ensure_login_in(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    login: &str,
    now: i64,
) -> Result<LoginOutcome, sqlx::Error> {
    let owner: Option<(PersonId,)> =
        sqlx::query_as("SELECT person_id FROM accounts WHERE login = $1")
            .bind(login.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let mine: Option<(String,)> = sqlx::query_as("SELECT id FROM accounts WHERE person_id = $1")
        .bind(person)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match (owner, mine) {
        (Some((o,)), _) if o != person => LoginOutcome::Taken,
        (None, None) => {
            sqlx::query("INSERT INTO accounts (id, person_id, login, disabled, created_at, password_changed_at) VALUES ($1, $2, $3, 0, $4, $4)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(person)
                .bind(login.to_string())
                .bind(now)
                .execute(&mut *conn)
                .await?;
            LoginOutcome::Created
        }
        _ => LoginOutcome::Kept,
    })
}
