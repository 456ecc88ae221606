//! The relay: outbox events → stored notifications → delivery channels.

use crate::model::*;
use crate::store;
use parta_core::ids::{NotificationId, PersonId};
use parta_core::time::now_ms;
use parta_db::outbox::Outbox;
use parta_db::Db;
use parta_registry::Registry;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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

    /// Runs forever: woken by this process's writers, polling every second for events
    /// written by other processes.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.run_once().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "notification relay"),
                }
                self.outbox.wait(Duration::from_secs(1)).await;
            }
        })
    }

    /// Relays the pending events in one transaction (one commit for a burst of saves);
    /// returns how many were handled.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let events = Outbox::pending(&self.db, EVENT_KIND, 200).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let mut expanded = Vec::new();
        for ev in &events {
            let payload: NotifyEvent = match serde_json::from_str(&ev.payload) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(event = %ev.id, error = %e, "unreadable notification event, skipped");
                    NotifyEvent::default()
                }
            };
            expanded.push((ev.id.clone(), self.expand(&payload).await?));
        }
        let mut tx = self.db.begin_write().await?;
        let mut delivered = Vec::new();
        let mut handled = 0;
        for (id, rows) in expanded {
            // Another process may have relayed it meanwhile.
            if Outbox::claim_in(&mut tx, &id).await? {
                store::insert_many(&self.db, &mut tx, &rows).await?;
                delivered.extend(rows);
                handled += 1;
            }
        }
        tx.commit().await?;
        for ch in self.channels.iter() {
            if let Err(e) = ch.deliver(&delivered).await {
                tracing::warn!(channel = ch.name(), error = %e, "delivery failed; kept in the list");
            }
        }
        Ok(handled)
    }

    /// One notification per item for the student and for each parent, unless switched off.
    async fn expand(&self, ev: &NotifyEvent) -> Result<Vec<Notification>, sqlx::Error> {
        let students: Vec<PersonId> = ev
            .items
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
        for item in &ev.items {
            let mut push = |person: PersonId, title: String| {
                if !off.contains(&(person, item.kind.clone())) {
                    out.push(Notification {
                        id: NotificationId::new(),
                        person_id: person,
                        kind: item.kind.clone(),
                        about_person_id: Some(item.student),
                        title,
                        body: item.body.clone(),
                        link: item.link.clone(),
                        created_at: now,
                        read_at: None,
                    });
                }
            };
            push(item.student, item.title.clone());
            for parent in parents.get(&item.student).into_iter().flatten() {
                push(*parent, format!("{}: {}", item.student_name, item.title));
            }
        }
        Ok(out)
    }
}
