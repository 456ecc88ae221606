//! Accounts for the school's people and sign-in letters (письма с логином и паролем):
//! the registry says whom the caller may manage, the identity domain makes the accounts
//! and the one-time passwords. The letters are shown once, to print; nothing keeps them.

use parta_core::ids::PersonId;
use parta_core::principal::{Origin, Principal};
use parta_core::Problem;
use parta_identity::letters::{Addressee, MAX_LETTERS};
use parta_identity::Identity;
use parta_registry::Registry;

/// One printed letter.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PrintedLetter {
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub name: String,
    pub login: String,
    /// The one-time password: the first sign-in replaces it.
    pub password: String,
    pub new_account: bool,
}

/// Letters for these people (each must be one the caller manages; at most
/// [`MAX_LETTERS`]). Their old passwords stop working and their sessions end.
pub async fn letters(
    registry: &Registry,
    identity: &Identity,
    p: &Principal,
    origin: &Origin,
    people: &[PersonId],
) -> Result<Vec<PrintedLetter>, Problem> {
    let mut ids: Vec<PersonId> = Vec::with_capacity(people.len());
    for id in people {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.is_empty() {
        return Err(Problem::invalid(
            "person_ids",
            "Отметьте, кому напечатать письма.",
        ));
    }
    if ids.len() > MAX_LETTERS {
        return Err(Problem::invalid(
            "person_ids",
            format!("Не больше {MAX_LETTERS} писем за раз."),
        ));
    }
    let briefs = registry.manageable(p, &ids).await?;
    let addressees: Vec<Addressee> = briefs
        .iter()
        .map(|b| Addressee {
            person: b.id,
            last_name: b.last_name.clone(),
            first_name: b.first_name.clone(),
        })
        .collect();
    let letters = identity.issue_letters(p, origin, &addressees).await?;
    Ok(briefs
        .into_iter()
        .zip(letters)
        .map(|(b, l)| PrintedLetter {
            person_id: b.id,
            name: b.full_name(),
            login: l.login,
            password: l.password,
            new_account: l.new_account,
        })
        .collect())
}
