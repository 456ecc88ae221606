//! Reference books (НСИ, INT-4): versioned CSV files in `reference/`, compiled into the
//! binary and upserted on every start. Rows an operator added locally are untouched.

use crate::{Db, DbError};

struct Book {
    table: &'static str,
    columns: &'static [&'static str],
    csv: &'static str,
}

const BOOKS: &[Book] = &[
    Book {
        table: "ref_regions",
        columns: &["code", "name"],
        csv: include_str!("../reference/regions.csv"),
    },
    Book {
        table: "ref_org_types",
        columns: &["code", "name"],
        csv: include_str!("../reference/org_types.csv"),
    },
    Book {
        table: "ref_grade_levels",
        columns: &["code", "name", "stage"],
        csv: include_str!("../reference/grade_levels.csv"),
    },
    Book {
        table: "ref_subjects",
        columns: &["code", "name", "grade_from", "grade_to"],
        csv: include_str!("../reference/subjects.csv"),
    },
    Book {
        table: "ref_mark_scales",
        columns: &["code", "name", "marks"],
        csv: include_str!("../reference/mark_scales.csv"),
    },
    Book {
        table: "ref_work_types",
        columns: &["code", "name", "weight"],
        csv: include_str!("../reference/work_types.csv"),
    },
    Book {
        table: "ref_positions",
        columns: &["code", "name"],
        csv: include_str!("../reference/positions.csv"),
    },
];

/// The version of the federal reference files; bumped with every change to them.
pub fn version() -> i64 {
    include_str!("../reference/VERSION")
        .trim()
        .parse()
        .unwrap_or(0)
}

pub(crate) async fn load_federal(db: &Db) -> Result<(), DbError> {
    let version = version();
    let mut tx = db.begin_write().await?;
    for book in BOOKS {
        let mut reader = csv::Reader::from_reader(book.csv.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| DbError::Reference(book.table, e.to_string()))?
            .clone();
        if headers.iter().collect::<Vec<_>>() != book.columns {
            return Err(DbError::Reference(
                book.table,
                "столбцы файла не совпадают".into(),
            ));
        }
        let cols = book.columns.join(", ");
        let n = book.columns.len();
        let updates: Vec<String> = book.columns[1..]
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        // Integer columns are bound as integers so PostgreSQL's BIGINT accepts them.
        let sql = format!(
            "INSERT INTO {t} ({cols}, source, version) VALUES ({ph}, 'federal', ${v}) \
             ON CONFLICT (code) DO UPDATE SET {upd}, version = excluded.version \
             WHERE {t}.source = 'federal'",
            t = book.table,
            ph = crate::placeholders(1, n),
            v = n + 1,
            upd = updates.join(", "),
        );
        for record in reader.records() {
            let record = record.map_err(|e| DbError::Reference(book.table, e.to_string()))?;
            let mut q = sqlx::query(&sql);
            for (i, value) in record.iter().enumerate() {
                q = match book.columns[i] {
                    "grade_from" | "grade_to" | "weight" => {
                        q.bind(value.parse::<i64>().unwrap_or(0))
                    }
                    _ => q.bind(value.to_string()),
                };
            }
            q.bind(version).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
