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

#[derive(Clone)]
pub struct Relay {
    db: Db,
    registry: Registry,
    outbox: Outbox,
    /// When e-mail and the messenger deliver, and who to wake when they have work.
    schedule: Option<(crate::delivery::Schedule, Arc<tokio::sync::Notify>)>,
}

impl Relay {
    pub fn new(db: Db, registry: Registry, outbox: Outbox) -> Self {
        Self {
            db,
            registry,
            outbox,
            schedule: None,
        }
    }

    /// Queues e-mail and messenger deliveries with the notifications (in their
    /// transaction) and wakes the sender after the commit.
    pub fn with_delivery(
        mut self,
        schedule: crate::delivery::Schedule,
        wake: Arc<tokio::sync::Notify>,
    ) -> Self {
        if schedule.any() {
            self.schedule = Some((schedule, wake));
        }
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
        let deliveries = match &self.schedule {
            Some((s, _)) => s.plan(&self.db, &rows).await?,
            None => Vec::new(),
        };
        let mut tx = self.db.begin_write().await?;
        store::insert_many(&self.db, &mut tx, &rows).await?;
        store::insert_deliveries(&self.db, &mut tx, &deliveries).await?;
        if !batch.commit(tx).await? {
            // Another process handled these events.
            return Ok(());
        }
        if let (Some((_, wake)), false) = (&self.schedule, deliveries.is_empty()) {
            wake.notify_one();
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
            .filter(|i| !i.direct)
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
        everyone.extend(items.iter().filter(|i| i.direct).map(|i| i.student));
        let off: HashSet<(PersonId, String)> = store::opted_out(&self.db, &everyone)
            .await?
            .into_iter()
            .collect();
        let now = now_ms();
        let mut out = Vec::new();
        for item in items {
            let about = (!item.direct).then_some(item.student);
            let mut push = |person: PersonId, title: String, link: Option<String>| {
                if !off.contains(&(person, item.kind.clone())) {
                    out.push(Notification {
                        id: NotificationId::new(),
                        person_id: person,
                        kind: item.kind.clone(),
                        about_person_id: about,
                        title,
                        body: item.body.clone(),
                        link,
                        created_at: now,
                        read_at: None,
                    });
                }
            };
            push(item.student, item.title.clone(), item.link.clone());
            if item.direct {
                continue;
            }
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
        &["schoolday.", "video.", "chat.", crate::render::LEGACY]
    }
    fn handle<'a>(
        &'a self,
        batch: Batch,
    ) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>> {
        Box::pin(self.handle_batch(batch))
    }
}
