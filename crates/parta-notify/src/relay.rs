//! The relay: the `notifications` consumer of the event stream — the school day's facts
//! → the words of notifications → stored notifications → delivery channels.

use crate::model::*;
use crate::store;
use parta_core::ids::{NotificationId, PersonId};
use parta_core::time::now_ms;
use parta_db::outbox::{Batch, BoxError, Consumer, Outbox};
use parta_db::Db;
use parta_http::i18n::Lang;
use parta_registry::Registry;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A way to deliver stored notifications beyond the in-app list (push, e-mail, a
/// messenger). Called after the notifications are committed; a failing channel does
/// not lose them — they stay in the list.
pub trait Channel: Send + Sync {
    fn name(&self) -> &'static str;
    fn deliver<'a>(
        &'a self,
        batch: &'a [Notification],
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

#[derive(Clone)]
pub struct Relay {
    db: Db,
    registry: Registry,
    outbox: Outbox,
    channels: Arc<Vec<Arc<dyn Channel>>>,
}

impl Relay {
    pub fn new(db: Db, registry: Registry, outbox: Outbox) -> Self {
        Self {
            db,
            registry,
            outbox,
            channels: Arc::new(Vec::new()),
        }
    }

    pub fn with_channel(mut self, channel: Arc<dyn Channel>) -> Self {
        let mut list: Vec<_> = self.channels.iter().cloned().collect();
        list.push(channel);
        self.channels = Arc::new(list);
        self
    }

    /// Runs for ever as the `notifications` consumer of the event stream.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let (db, outbox) = (self.db.clone(), self.outbox.clone());
        parta_db::outbox::spawn(db, outbox, Arc::new(self))
    }

    /// Handles what is waiting in the stream now (tests and tools); returns whether
    /// there was anything.
    pub async fn run_once(&self) -> Result<bool, parta_db::outbox::BoxError> {
        parta_db::outbox::step(&self.db, self).await
    }

    async fn handle_batch(&self, batch: Batch) -> Result<(), BoxError> {
        let mut items = Vec::new();
        for ev in &batch.events {
            // Persons have no stored language yet: the platform's, Russian.
            match crate::render::items(Lang::Ru, &ev.kind, &ev.payload)? {
                Some(list) => items.extend(list),
                None => tracing::debug!(kind = %ev.kind, "event kind not known here, passed by"),
            }
        }
        let rows = self.expand(&items).await?;
        let mut tx = self.db.begin_write().await?;
        store::insert_many(&self.db, &mut tx, &rows).await?;
        if !batch.commit(tx).await? {
            // Another process handled these events.
            return Ok(());
        }
        for ch in self.channels.iter() {
            if let Err(e) = ch.deliver(&rows).await {
                tracing::warn!(channel = ch.name(), error = %e, "delivery failed; kept in the list");
            }
        }
        Ok(())
    }

    /// One notification per item for the student and for each parent, unless switched off.
    async fn expand(&self, items: &[NotifyItem]) -> Result<Vec<Notification>, sqlx::Error> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let students: Vec<PersonId> = items
            .iter()
            .map(|i| i.student)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let links = self
            .registry
            .parents_of(&students)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let mut parents: HashMap<PersonId, Vec<PersonId>> = HashMap::new();
        for (child, parent) in links {
            parents.entry(child).or_default().push(parent);
        }
        let mut everyone: Vec<PersonId> = students.clone();
        everyone.extend(parents.values().flatten().copied());
        let off: HashSet<(PersonId, String)> = store::opted_out(&self.db, &everyone)
            .await?
            .into_iter()
            .collect();
        let now = now_ms();
        let mut out = Vec::new();
        for item in items {
            let mut push = |person: PersonId, title: String, link: Option<String>| {
                if !off.contains(&(person, item.kind.clone())) {
                    out.push(Notification {
                        id: NotificationId::new(),
                        person_id: person,
                        kind: item.kind.clone(),
                        about_person_id: Some(item.student),
                        title,
                        body: item.body.clone(),
                        link,
                        created_at: now,
                        read_at: None,
                    });
                }
            };
            push(item.student, item.title.clone(), item.link.clone());
            let family_link = if item.student_only_link {
                None
            } else {
                item.link.clone()
            };
            for parent in parents.get(&item.student).into_iter().flatten() {
                push(
                    *parent,
                    format!("{}: {}", item.student_name, item.title),
                    family_link.clone(),
                );
            }
        }
        Ok(out)
    }
}

impl Consumer for Relay {
    fn name(&self) -> &'static str {
        "notifications"
    }
    fn kinds(&self) -> &'static [&'static str] {
        // `legacy.notify.relayed` passes the prefix and is passed by in `render::items`.
        &["schoolday.", "video.", crate::render::LEGACY]
    }
    fn handle<'a>(
        &'a self,
        batch: Batch,
    ) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>> {
        Box::pin(self.handle_batch(batch))
    }
}
