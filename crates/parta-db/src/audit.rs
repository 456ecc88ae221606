//! Журнал доступа к персональным данным (DATA-3). Every read of another person's data
//! and every change is appended here. Entries are written by one task in batches
//! (group commit): a request waits until its entry is committed, so an entry is never
//! lost in a buffer, and many concurrent reads share one transaction.

use crate::Db;
use parta_core::ids::{OrganisationId, PersonId};
use parta_core::time::now_ms;
use parta_core::Problem;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// One audit record, as the service that acted describes it.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub actor_person_id: Option<PersonId>,
    pub actor_role: Option<String>,
    /// `read`, `update`, `export`, `import`, `sign_in`, …
    pub action: &'static str,
    pub subject_person_id: Option<PersonId>,
    pub organisation_id: Option<OrganisationId>,
    /// `person`, `class`, `organisation`, `account`, …
    pub object_type: &'static str,
    pub object_id: Option<String>,
    pub ip: Option<String>,
    pub details: Option<String>,
}

impl AuditEntry {
    /// An entry for an act of the caller in their active role, from an address.
    pub fn by(
        p: &parta_core::principal::Principal,
        ip: Option<String>,
        action: &'static str,
        object_type: &'static str,
    ) -> Self {
        Self {
            actor_person_id: Some(p.person_id),
            actor_role: Some(p.role().as_str().to_string()),
            action,
            object_type,
            ip,
            ..Default::default()
        }
    }
}

/// A stored audit record, as shown to admins and to the person concerned.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: String,
    pub at: i64,
    pub actor_person_id: Option<String>,
    pub actor_name: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_person_id: Option<String>,
    pub object_type: String,
    pub object_id: Option<String>,
    pub ip: Option<String>,
    pub details: Option<String>,
}

struct Pending {
    id: String,
    at: i64,
    entry: AuditEntry,
    done: oneshot::Sender<bool>,
}

const MAX_BATCH: usize = 256;
const COLUMNS: usize = 11;

/// Handle to the audit writer; cheap to clone.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Pending>,
}

impl AuditLog {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> AuditLog {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(db, rx));
        AuditLog { tx }
    }

    /// Appends an entry and waits until it is committed. If the log cannot be written
    /// the caller's operation fails: personal data is not served unaudited.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), Problem> {
        let (done, wait) = oneshot::channel();
        let pending = Pending {
            id: uuid::Uuid::now_v7().to_string(),
            at: now_ms(),
            entry,
            done,
        };
        if self.tx.send(pending).await.is_err() {
            tracing::error!("audit writer is gone");
            return Err(Problem::internal());
        }
        match wait.await {
            Ok(true) => Ok(()),
            _ => Err(Problem::internal()),
        }
    }

    /// Appends an entry inside the caller's transaction: a change and its audit record
    /// commit together or not at all.
    pub async fn record_in(
        conn: &mut sqlx::AnyConnection,
        entry: AuditEntry,
    ) -> Result<(), sqlx::Error> {
        let e = entry;
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_person_id, actor_role, action, subject_person_id, \
             organisation_id, object_type, object_id, ip, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(now_ms())
        .bind(e.actor_person_id)
        .bind(e.actor_role)
        .bind(e.action)
        .bind(e.subject_person_id)
        .bind(e.organisation_id)
        .bind(e.object_type)
        .bind(e.object_id)
        .bind(e.ip)
        .bind(e.details)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Entries about one person (what was read or changed about them), newest first.
    pub async fn about_person(
        db: &Db,
        person: PersonId,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, sqlx::Error> {
        sqlx::query_as::<_, AuditRecord>(&format!(
            "{SELECT} WHERE a.subject_person_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2"
        ))
        .bind(person)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
    }

    /// Entries about an organisation's people and objects, newest first.
    pub async fn about_organisation(
        db: &Db,
        org: OrganisationId,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, sqlx::Error> {
        sqlx::query_as::<_, AuditRecord>(&format!(
            "{SELECT} WHERE a.organisation_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2"
        ))
        .bind(org)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
    }
}

const SELECT: &str = "SELECT a.id, a.at, a.actor_person_id, \
     (SELECT p.last_name || ' ' || p.first_name FROM persons p WHERE p.id = a.actor_person_id) AS actor_name, \
     a.actor_role, a.action, a.subject_person_id, a.object_type, a.object_id, a.ip, a.details \
     FROM audit_log a";

async fn writer(db: Db, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let ok = match write_batch(&db, &batch).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, entries = batch.len(), "audit batch failed");
                false
            }
        };
        for p in batch.drain(..) {
            let _ = p.done.send(ok);
        }
    }
}

async fn write_batch(db: &Db, batch: &[Pending]) -> Result<(), sqlx::Error> {
    let rows: Vec<String> = (0..batch.len())
        .map(|i| format!("({})", db.placeholders(i * COLUMNS + 1, COLUMNS)))
        .collect();
    let sql = format!(
        "INSERT INTO audit_log (id, at, actor_person_id, actor_role, action, subject_person_id, \
         organisation_id, object_type, object_id, ip, details) VALUES {}",
        rows.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for p in batch {
        let e = &p.entry;
        q = q
            .bind(p.id.clone())
            .bind(p.at)
            .bind(e.actor_person_id)
            .bind(e.actor_role.clone())
            .bind(e.action)
            .bind(e.subject_person_id)
            .bind(e.organisation_id)
            .bind(e.object_type)
            .bind(e.object_id.clone())
            .bind(e.ip.clone())
            .bind(e.details.clone());
    }
    let _turn = db.write_turn().await?;
    q.execute(&db.pool).await?;
    Ok(())
}
