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

/// Gives each person an account with the login wanted for them (no password yet: it is
/// set by a reset or a sign-in letter), unless they have one; refuses a login another
/// person holds (also one given earlier in the same list). A few hundred a statement: a
/// region's package asks for ~200,000.
pub async fn ensure_logins_in(
    conn: &mut sqlx::AnyConnection,
    wanted: &[(PersonId, &str)],
    now: i64,
) -> Result<Vec<LoginOutcome>, sqlx::Error> {
    use std::collections::{HashMap, HashSet};
    let sqlite = conn.backend_name() == "SQLite";
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let logins: Vec<&str> = chunk.iter().map(|(_, l)| *l).collect();
        let persons: Vec<PersonId> = chunk.iter().map(|(p, _)| *p).collect();
        let sql = format!(
            "SELECT login, person_id FROM accounts WHERE login IN ({})",
            parta_db::list_placeholders(sqlite, 1, logins.len())
        );
        let mut q = sqlx::query_as::<_, (String, PersonId)>(&sql);
        for l in &logins {
            q = q.bind(l.to_string());
        }
        let mut owner: HashMap<String, PersonId> =
            q.fetch_all(&mut *conn).await?.into_iter().collect();
        let sql = format!(
            "SELECT person_id FROM accounts WHERE person_id IN ({})",
            parta_db::list_placeholders(sqlite, 1, persons.len())
        );
        let mut q = sqlx::query_as::<_, (PersonId,)>(&sql);
        for p in &persons {
            q = q.bind(*p);
        }
        let mut has: HashSet<PersonId> = q
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(p,)| p)
            .collect();
        let mut new: Vec<(PersonId, &str)> = Vec::new();
        for (person, login) in chunk {
            out.push(match owner.get(*login) {
                Some(o) if o != person => LoginOutcome::Taken,
                None if !has.contains(person) => {
                    owner.insert(login.to_string(), *person);
                    has.insert(*person);
                    new.push((*person, login));
                    LoginOutcome::Created
                }
                _ => LoginOutcome::Kept,
            });
        }
        if new.is_empty() {
            continue;
        }
        let sql = format!(
            "INSERT INTO accounts (id, person_id, login, disabled, created_at, password_changed_at) VALUES {}",
            parta_db::row_placeholders(sqlite, new.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for (person, login) in new {
            q = q
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(person)
                .bind(login.to_string())
                .bind(0i64)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(out)
}

/// Logins a statement (one value each for the checks, six for the insert).
const CHUNK: usize = 400;
