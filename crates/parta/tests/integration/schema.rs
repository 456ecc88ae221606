//! Both backends must have one schema: each run compares its backend's tables and
//! columns with the committed snapshot, so SQLite and PostgreSQL cannot drift apart.

use crate::harness::fresh_db;

#[tokio::test]
async fn schema_matches_snapshot() {
    let db = fresh_db().await;
    let actual: String = db
        .schema()
        .await
        .unwrap()
        .into_iter()
        .map(|(t, c)| format!("{t}.{c}\n"))
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../parta-db/schema.snapshot");
    if std::env::var("UPDATE_SCHEMA_SNAPSHOT").is_ok() {
        std::fs::write(path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    let missing: Vec<&str> = expected
        .lines()
        .filter(|l| !actual.lines().any(|a| a == *l))
        .collect();
    let extra: Vec<&str> = actual
        .lines()
        .filter(|l| !expected.lines().any(|e| e == *l))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "schema on {:?} differs from {path}: missing {missing:?}, extra {extra:?}; \
         rerun with UPDATE_SCHEMA_SNAPSHOT=1 after a deliberate change",
        db.backend
    );
}

#[tokio::test]
async fn reference_books_loaded_and_local_entries_survive() {
    let db = fresh_db().await;
    let (regions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ref_regions")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(
        regions >= 89,
        "all subjects of the federation, got {regions}"
    );
    let (scale,): (String,) =
        sqlx::query_as("SELECT marks FROM ref_mark_scales WHERE code = 'five_point'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(scale, "1|2|3|4|5");
    // A local entry, and a local edit of a federal one, survive a re-run of migrations.
    sqlx::query("INSERT INTO ref_subjects (code, name, grade_from, grade_to, source, version) VALUES ('local_chess', 'Шахматы', 1, 4, 'local', 0)")
        .execute(&db.pool)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM ref_subjects WHERE code = 'local_chess'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
}
