//! Use cases of the notification list: always the caller's own.

use crate::model::*;
use crate::store;
use parta_core::ids::NotificationId;
use parta_core::principal::Principal;
use parta_core::time::now_ms;
use parta_core::{FieldError, Problem};
use parta_db::Db;

#[derive(Clone)]
pub struct Notifications {
    db: Db,
}

const PAGE: i64 = 30;

impl Notifications {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn list(
        &self,
        p: &Principal,
        before: Option<&str>,
    ) -> Result<NotificationList, Problem> {
        let before = match before {
            Some(raw) => Some(
                raw.parse::<NotificationId>()
                    .map_err(|_| Problem::invalid("before", "Неверная позиция списка."))?,
            ),
            None => None,
        };
        let mut items = store::list(&self.db, p.person_id, before, PAGE + 1).await?;
        let next_cursor = if items.len() as i64 > PAGE {
            items.truncate(PAGE as usize);
            items.last().map(|n| n.id.to_string())
        } else {
            None
        };
        Ok(NotificationList {
            unread: store::unread(&self.db, p.person_id).await?,
            items,
            next_cursor,
        })
    }

    pub async fn unread(&self, p: &Principal) -> Result<i64, Problem> {
        Ok(store::unread(&self.db, p.person_id).await?)
    }

    /// Marks one read; another person's notification is answered like an unknown one.
    pub async fn mark_read(&self, p: &Principal, id: NotificationId) -> Result<(), Problem> {
        if store::mark_read(&self.db, p.person_id, id, now_ms()).await? {
            Ok(())
        } else {
            Err(Problem::not_found())
        }
    }

    pub async fn mark_all_read(&self, p: &Principal) -> Result<u64, Problem> {
        Ok(store::mark_all_read(&self.db, p.person_id, now_ms()).await?)
    }

    pub async fn preferences(&self, p: &Principal) -> Result<Vec<Preference>, Problem> {
        let off = store::disabled_kinds(&self.db, p.person_id).await?;
        Ok(KINDS
            .iter()
            .map(|(kind, _, _)| Preference {
                kind: kind.to_string(),
                enabled: !off.iter().any(|k| k == kind),
            })
            .collect())
    }

    /// Sets the given preferences; unknown kinds are refused and nothing is written.
    pub async fn set_preferences(
        &self,
        p: &Principal,
        prefs: &[Preference],
    ) -> Result<Vec<Preference>, Problem> {
        FieldError::check_len("preferences", prefs, KINDS.len() * 2)
            .map_err(|e| Problem::validation(vec![e]))?;
        let errors: Vec<FieldError> = prefs
            .iter()
            .enumerate()
            .filter(|(_, pr)| !KINDS.iter().any(|(k, _, _)| *k == pr.kind))
            .map(|(i, pr)| {
                FieldError::new(
                    format!("[{i}].kind"),
                    format!("Неизвестный вид уведомлений «{}».", pr.kind),
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let mut tx = self.db.begin_write().await?;
        for pr in prefs {
            store::set_pref(&mut tx, p.person_id, &pr.kind, pr.enabled).await?;
        }
        tx.commit().await?;
        self.preferences(p).await
    }
}
