//! Sign-in letters (письма с данными для входа): a login and a one-time password per
//! person, handed out on paper by the school. The password works once: the first sign-in
//! must set a new one ([`parta_core::principal::Session::must_change_password`]).
//! Only the hash is stored; the letter itself is shown once and never kept.

use crate::service::{Identity, Result};
use crate::store;
use parta_core::ids::{AccountId, PersonId};
use parta_core::principal::{Origin, Principal};
use parta_db::audit::{AuditEntry, AuditLog};
use rand::Rng;

/// Whom a letter is for: the person and their name, to make a login from.
#[derive(Debug, Clone)]
pub struct Addressee {
    pub person: PersonId,
    pub last_name: String,
    pub first_name: String,
}

/// One letter: printed, handed over, never stored.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Letter {
    #[schema(value_type = String)]
    pub person: PersonId,
    pub login: String,
    /// The one-time password (only in this answer).
    pub password: String,
    /// The account was made now (otherwise its login is kept and the password replaced).
    pub new_account: bool,
}

/// Letters without look-alikes (0/O, 1/l/I): read off paper by a child or a grandparent.
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A one-time password: three groups of four (60 bits; it is throttled and lives until
/// the first sign-in).
pub fn one_time_password() -> String {
    let mut rng = rand::thread_rng();
    (0..3)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Latin letters for a Russian name, as in the passport transliteration (order 2019):
/// «Щербакова» → `shcherbakova`. Other characters are dropped.
pub fn transliterate(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let t = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' | 'й' => "i",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ы' => "y",
            'ю' => "iu",
            'я' => "ia",
            'ъ' | 'ь' => "",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(t);
    }
    out
}

/// The login a person is offered: `ivanova.m`, cut to a sane length.
pub fn login_base(last: &str, first: &str) -> String {
    let mut last = transliterate(last);
    last.truncate(20);
    let initial: String = transliterate(first).chars().take(1).collect();
    match (last.is_empty(), initial.is_empty()) {
        (true, _) => "user".to_string(),
        (false, true) => last,
        (false, false) => format!("{last}.{initial}"),
    }
}

impl Identity {
    /// Gives each addressee an account (a free login made from the name) unless they have
    /// one, and a new one-time password; their sessions end. The caller has checked that
    /// `actor` may manage each of them (the registry's `ManagePerson`). At most
    /// [`MAX_LETTERS`] at once.
    pub async fn issue_letters(
        &self,
        actor: &Principal,
        origin: &Origin,
        people: &[Addressee],
    ) -> Result<Vec<Letter>> {
        if people.len() > MAX_LETTERS {
            return Err(crate::IdentityError::invalid(
                "people",
                format!("Не больше {MAX_LETTERS} писем за раз."),
            ));
        }
        let ids: Vec<PersonId> = people.iter().map(|a| a.person).collect();
        let existing = store::accounts_of(&self.db, &ids).await?;
        let now = parta_core::time::now_ms();
        // Hash outside the transaction: argon2 takes a while per password.
        let mut planned = Vec::with_capacity(people.len());
        for a in people {
            let password = one_time_password();
            let hash = self.hash_password(&password).await?;
            planned.push((a, password, hash));
        }
        let mut tx = self.db.begin_write().await?;
        let mut letters = Vec::with_capacity(planned.len());
        for (a, password, hash) in planned {
            let (account, login, new_account) = match existing.get(&a.person) {
                Some((id, login)) => (*id, login.clone(), false),
                None => {
                    let login =
                        store::free_login(&mut tx, &login_base(&a.last_name, &a.first_name))
                            .await?;
                    let id = AccountId::new();
                    store::insert_account_in(&mut tx, id, a.person, &login, now).await?;
                    (id, login, true)
                }
            };
            store::set_one_time_password(&mut tx, account, &hash, now).await?;
            let mut e = AuditEntry::by(actor, origin.ip.clone(), "reset_password", "account");
            e.subject_person_id = Some(a.person);
            e.object_id = Some(account.to_string());
            e.details = Some(if new_account {
                "sign-in letter, new account".into()
            } else {
                "sign-in letter".into()
            });
            AuditLog::record_in(&mut tx, e).await?;
            letters.push(Letter {
                person: a.person,
                login,
                password,
                new_account,
            });
        }
        tx.commit().await?;
        for (id, _) in existing.values() {
            self.cache.forget_account(*id);
        }
        Ok(letters)
    }

    /// Per school: (people of it — students, staff, parents of its students — and how
    /// many of them sign in with their own password). Aggregates only, for the
    /// territory's operators; the caller passes schools it may see.
    ///
    /// The count reads every person of the school, so each school's numbers are kept for
    /// a minute: an operator's list of a hundred schools opened again, or by a colleague,
    /// costs nothing; a letter used shows within that minute.
    pub async fn activation(
        &self,
        orgs: &[parta_core::ids::OrganisationId],
    ) -> Result<std::collections::HashMap<parta_core::ids::OrganisationId, (i64, i64)>> {
        let now = std::time::Instant::now();
        let mut out = std::collections::HashMap::with_capacity(orgs.len());
        let mut missing = Vec::new();
        {
            let kept = self.activation.0.lock().unwrap_or_else(|e| e.into_inner());
            for o in orgs {
                match kept.get(o) {
                    // A school with nobody in it is left out, as when counted.
                    Some((at, v)) if now.duration_since(*at) < ACTIVATION_TTL => {
                        if *v != (0, 0) {
                            out.insert(*o, *v);
                        }
                    }
                    _ => missing.push(*o),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let counted = store::activation(&self.db, &missing).await?;
        let mut kept = self.activation.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|_, (at, _)| now.duration_since(*at) < ACTIVATION_TTL);
        for o in missing {
            // A school nobody belongs to yet counts (0, 0).
            let v = counted.get(&o).copied().unwrap_or((0, 0));
            kept.insert(o, (now, v));
            if counted.contains_key(&o) {
                out.insert(o, v);
            }
        }
        Ok(out)
    }

    /// Logins of people who have an account (the school's account list).
    pub async fn logins_of(
        &self,
        people: &[PersonId],
    ) -> Result<std::collections::HashMap<PersonId, AccountState>> {
        Ok(store::account_states(&self.db, people).await?)
    }
}

/// Letters printed in one go: a class with its parents fits with room to spare.
pub const MAX_LETTERS: usize = 200;

/// What the school sees of an account: its login, whether the person has signed in
/// with their own password yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub login: String,
    /// Still on the letter's password (or none set yet).
    pub waiting: bool,
}

/// How long an operator's aggregate of accounts per school is kept.
const ACTIVATION_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Per school: when counted, (people, activated accounts).
type ActivationCounts =
    std::collections::HashMap<parta_core::ids::OrganisationId, (std::time::Instant, (i64, i64))>;

#[derive(Default, Clone)]
pub(crate) struct ActivationCache(pub(crate) std::sync::Arc<std::sync::Mutex<ActivationCounts>>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_logins() {
        assert_eq!(login_base("Щербакова", "Мария"), "shcherbakova.m");
        assert_eq!(login_base("Ёлкин", "Юрий"), "elkin.i");
        assert_eq!(login_base("Иванов-Петров", "Ян"), "ivanovpetrov.i");
        assert_eq!(login_base("", ""), "user");
        assert_eq!(transliterate("Подъячев"), "podiachev");
    }

    #[test]
    fn passwords_are_readable_and_differ() {
        let a = one_time_password();
        assert_eq!(a.len(), 14);
        assert!(a.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        assert_ne!(a, one_time_password());
    }
}
