//! Background jobs that must run once per cluster, not once per node: the orphan sweeps,
//! retention, forgetting old delivery records. A node takes a job's lease in the database
//! (`job_runs`) when the job's period has passed since it was last done and nobody holds
//! the lease; it runs the job and marks it done. A node that dies mid-job loses the lease
//! when it expires and another runs the job. Times are the real clock (leases are between
//! processes, whatever day the platform's clock is set to).

use crate::Db;
use std::time::Duration;

/// This process's claim on jobs: one holder name per process.
#[derive(Clone, Debug)]
pub struct Jobs {
    db: Db,
    holder: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Jobs {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Takes `name` for at most `lease` if it was last done at least `every` ago (or
    /// never) and no one holds it; `false`: not due, or another node has it.
    pub async fn take(
        &self,
        name: &str,
        every: Duration,
        lease: Duration,
    ) -> Result<bool, sqlx::Error> {
        let now = now();
        let mut tx = self.db.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO job_runs (name, holder, lease_until, last_done) VALUES ($1, $2, $3, NULL) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until \
             WHERE job_runs.lease_until < $4 AND (job_runs.last_done IS NULL OR job_runs.last_done <= $5)",
        )
        .bind(name.to_string())
        .bind(self.holder.clone())
        .bind(now + lease.as_millis() as i64)
        .bind(now)
        .bind(now - every.as_millis() as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks `name` done now and lets its lease go (only if this process still holds it).
    pub async fn done(&self, name: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "UPDATE job_runs SET last_done = $1, lease_until = 0 WHERE name = $2 AND holder = $3",
        )
        .bind(now())
        .bind(name.to_string())
        .bind(self.holder.clone())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lets `name`'s lease go without marking it done (the job failed: the next node
    /// tries at its next turn).
    pub async fn give_up(&self, name: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE job_runs SET lease_until = 0 WHERE name = $1 AND holder = $2")
            .bind(name.to_string())
            .bind(self.holder.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Runs `job` if it is due and this process gets its lease: `None` when it was not
    /// this node's turn.
    pub async fn run<T, E, F>(
        &self,
        name: &str,
        every: Duration,
        lease: Duration,
        job: F,
    ) -> Result<Option<Result<T, E>>, sqlx::Error>
    where
        F: std::future::Future<Output = Result<T, E>>,
    {
        if !self.take(name, every, lease).await? {
            return Ok(None);
        }
        let out = job.await;
        match &out {
            Ok(_) => self.done(name).await?,
            Err(_) => self.give_up(name).await?,
        }
        Ok(Some(out))
    }
}
