//! Background jobs once per cluster (issue 13): two processes' claims on one database —
//! one runs a due job, the other finds it held or done; a dead holder's lease expires and
//! another takes the job; a failed job is left for the next turn.

use crate::harness::fresh_db;
use parta_db::jobs::Jobs;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);
const MINUTE: Duration = Duration::from_secs(60);

async fn last_done(db: &parta_db::Db) -> Option<i64> {
    let (v,): (Option<i64>,) =
        sqlx::query_as("SELECT last_done FROM job_runs WHERE name = 'sweep'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    v
}

/// Moves the job's last run a day and a moment back.
async fn a_day_passes(db: &parta_db::Db) {
    sqlx::query("UPDATE job_runs SET last_done = last_done - 86400001 WHERE name = 'sweep'")
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_job_runs_once_a_period_on_whichever_node_comes_first() {
    let db = fresh_db().await;
    let (a, b) = (Jobs::new(db.clone()), Jobs::new(db.clone()));
    assert!(a.take("sweep", DAY, MINUTE).await.unwrap());
    // Held: neither the other node nor the holder itself starts it again.
    assert!(!b.take("sweep", DAY, MINUTE).await.unwrap());
    assert!(!a.take("sweep", DAY, MINUTE).await.unwrap());
    a.done("sweep").await.unwrap();
    // Done today: not due for anyone.
    assert!(!b.take("sweep", DAY, MINUTE).await.unwrap());
    assert!(last_done(&db).await.is_some());

    // A day later b takes it and dies (its lease is short); when the lease has run out,
    // a takes it over, and b — no longer the holder — cannot mark it done.
    a_day_passes(&db).await;
    assert!(b
        .take("sweep", DAY, Duration::from_millis(1))
        .await
        .unwrap());
    let before = last_done(&db).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(a.take("sweep", DAY, MINUTE).await.unwrap());
    b.done("sweep").await.unwrap();
    assert_eq!(last_done(&db).await, before);
    a.done("sweep").await.unwrap();
    assert!(last_done(&db).await > before);

    // A job that fails lets its lease go without counting as done: the next turn retries.
    a_day_passes(&db).await;
    let failed = a
        .run("sweep", DAY, MINUTE, async { Err::<(), &str>("disk full") })
        .await
        .unwrap();
    assert_eq!(failed, Some(Err("disk full")));
    let ran = b
        .run("sweep", DAY, MINUTE, async { Ok::<u32, &str>(3) })
        .await
        .unwrap();
    assert_eq!(ran, Some(Ok(3)));
    // And then it is done for the day.
    let again = a
        .run("sweep", DAY, MINUTE, async { Ok::<u32, &str>(1) })
        .await
        .unwrap();
    assert_eq!(again, None);
}
