//! Use cases of the notification list: always the caller's own.

use crate::model::*;
use crate::store;
use parta_core::ids::NotificationId;
use parta_core::principal::Principal;
use parta_core::time::{now_ms, parse_hhmm};
use parta_core::{FieldError, Problem};
use parta_db::Db;

#[derive(Clone)]
pub struct Notifications {
    db: Db,
    config: std::sync::Arc<parta_core::config::NotificationsConfig>,
}

const PAGE: i64 = 30;

impl Notifications {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            config: Default::default(),
        }
    }

    /// The channels, quiet-hours zone and digest time of the platform.
    pub fn with_config(mut self, config: parta_core::config::NotificationsConfig) -> Self {
        self.config = std::sync::Arc::new(config);
        self
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
        let stored = store::prefs(&self.db, p.person_id).await?;
        Ok(KINDS
            .iter()
            .map(|(kind, _, _)| {
                let row = stored.iter().find(|r| r.0 == *kind);
                Preference {
                    kind: kind.to_string(),
                    enabled: row.is_none_or(|r| r.1 != 0),
                    email: Some(row.and_then(|r| r.2) == Some(1)),
                    messenger: Some(row.and_then(|r| r.3) == Some(1)),
                    push: Some(row.and_then(|r| r.4) != Some(0)),
                }
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
            store::set_pref(
                &mut tx,
                p.person_id,
                &pr.kind,
                pr.enabled,
                [pr.email, pr.messenger, pr.push],
            )
            .await?;
        }
        tx.commit().await?;
        self.preferences(p).await
    }

    /// Quiet hours, the digest, and where e-mail goes.
    pub async fn settings(&self, p: &Principal) -> Result<DeliverySettings, Problem> {
        let row = store::settings(&self.db, &[p.person_id]).await?.pop();
        let student = p.role() == parta_core::principal::Role::Student;
        let hhmm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        let (quiet_from, quiet_to, digest) = match row {
            Some((_, from, to, digest)) => (from, to, digest == 1),
            None if student => (None, None, false),
            None => (
                Some(hhmm(crate::quiet::ADULT_DEFAULT.0)),
                Some(hhmm(crate::quiet::ADULT_DEFAULT.1)),
                false,
            ),
        };
        let email = store::confirmed_emails(&self.db, &[p.person_id])
            .await?
            .pop()
            .map(|(_, e)| mask(&e));
        let mut channels = Vec::new();
        if self.config.mail.is_some() {
            channels.push(crate::delivery::EMAIL.to_string());
        }
        if self.config.messenger.is_some() {
            channels.push(crate::delivery::MESSENGER.to_string());
        }
        if self.config.push.enabled {
            channels.push(crate::delivery::PUSH.to_string());
        }
        Ok(DeliverySettings {
            quiet_from,
            quiet_to,
            digest,
            digest_at: self.config.digest_at.clone(),
            student_night: student,
            email,
            channels,
            messenger_name: self.config.messenger.as_ref().map(|m| m.name.clone()),
        })
    }

    /// Sets quiet hours (both times or neither) and the digest; a bad time names its field
    /// and nothing is written.
    pub async fn set_settings(
        &self,
        p: &Principal,
        change: &SettingsChange,
    ) -> Result<DeliverySettings, Problem> {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let (from, to) = (given(&change.quiet_from), given(&change.quiet_to));
        let mut errors = Vec::new();
        for (field, v) in [("quiet_from", from), ("quiet_to", to)] {
            if let Some(v) = v {
                if parse_hhmm(v).is_none() {
                    errors.push(FieldError::new(
                        field,
                        "Укажите время в виде ЧЧ:ММ, например 22:00.",
                    ));
                }
            }
        }
        if errors.is_empty() && from.is_some() != to.is_some() {
            let field = if from.is_none() {
                "quiet_from"
            } else {
                "quiet_to"
            };
            errors.push(FieldError::new(
                field,
                "Укажите и начало, и конец тихих часов (или оставьте оба поля пустыми).",
            ));
        }
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let norm = |v: &str| {
            parse_hhmm(v)
                .map(|m| format!("{:02}:{:02}", m / 60, m % 60))
                .unwrap_or_default()
        };
        let quiet = from.zip(to).map(|(f, t)| (norm(f), norm(t)));
        store::set_settings(&self.db, p.person_id, quiet, change.digest, now_ms()).await?;
        self.settings(p).await
    }
}

impl Notifications {
    /// Web Push here and the caller's browsers.
    pub async fn push_status(&self, p: &Principal) -> Result<PushStatus, Problem> {
        if !self.config.push.enabled {
            return Ok(PushStatus {
                enabled: false,
                public_key: None,
                devices: Vec::new(),
            });
        }
        let keys = crate::push::keys(&self.db, &self.config.push).await?;
        let devices = store::subscriptions_of(&self.db, &[p.person_id])
            .await?
            .into_iter()
            .rev()
            .map(|r| PushDevice {
                id: r.id,
                tag: crate::push::tag_of(&r.endpoint),
                device: r.device,
                created_at: r.created_at,
                last_sent_at: r.last_sent_at,
            })
            .collect();
        Ok(PushStatus {
            enabled: true,
            public_key: Some(keys.public),
            devices,
        })
    }

    /// Subscribes the caller's browser: its address must be at a known push service and
    /// its keys a browser's (refused by field, nothing written). A browser known for
    /// someone else (a shared computer) is now the caller's — only with that browser's own
    /// secret `auth`, else refused (422 on `endpoint`); beyond
    /// [`crate::push::MAX_DEVICES`] the oldest is dropped.
    pub async fn subscribe_push(
        &self,
        p: &Principal,
        sub: &crate::push::Subscription,
        user_agent: Option<&str>,
    ) -> Result<PushDevice, Problem> {
        if !self.config.push.enabled {
            return Err(Problem::conflict(
                "endpoint",
                "Уведомления в браузере на этой платформе выключены.",
            ));
        }
        sub.check(&self.config.push)?;
        let row = store::PushRow {
            id: Default::default(),
            person_id: p.person_id,
            endpoint: sub.endpoint.clone(),
            p256dh: sub.keys.p256dh.clone(),
            auth: sub.keys.auth.clone(),
            device: crate::push::device_of(user_agent),
            created_at: now_ms(),
            last_sent_at: None,
        };
        // An address known with another secret is another browser's: refused as one the
        // platform cannot use (nothing tells whose it is).
        let id = store::subscribe(&self.db, &row, crate::push::MAX_DEVICES)
            .await?
            .ok_or_else(crate::push::unusable_endpoint)?;
        Ok(PushDevice {
            id,
            tag: crate::push::tag_of(&row.endpoint),
            device: row.device,
            created_at: row.created_at,
            last_sent_at: None,
        })
    }

    /// Switches one of the caller's browsers off (by id, or by its address); another
    /// person's is answered like an unknown one.
    pub async fn unsubscribe_push(
        &self,
        p: &Principal,
        id: Option<parta_core::ids::PushSubscriptionId>,
        endpoint: Option<&str>,
    ) -> Result<(), Problem> {
        if store::unsubscribe(&self.db, p.person_id, id, endpoint).await? {
            Ok(())
        } else {
            Err(Problem::not_found())
        }
    }
}

/// `iv***@mail.ru`: enough to recognise one's address, not to read it off a screen.
fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((user, domain)) => {
            let shown: String = user.chars().take(2).collect();
            format!("{shown}***@{domain}")
        }
        None => "***".into(),
    }
}
