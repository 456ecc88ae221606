//! Batched multi-row inserts in dependency order, shared by the generator and imports.

use parta_db::Db;

/// A value to insert.
#[derive(Debug, Clone)]
pub enum V {
    T(String),
    I(i64),
    /// NULL of a text column.
    N,
    /// NULL of an integer column (PostgreSQL types a parameter's NULL).
    NI,
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::T(s.to_string())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::T(s)
    }
}
impl From<i64> for V {
    fn from(i: i64) -> Self {
        V::I(i)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(V::N)
    }
}

impl V {
    /// An optional integer, NULL typed as an integer.
    pub fn int(o: Option<i64>) -> V {
        o.map(V::I).unwrap_or(V::NI)
    }
}

struct Table {
    name: &'static str,
    cols: &'static [&'static str],
    rows: Vec<Vec<V>>,
}

/// Rows buffered per table; flushed together, tables in the order they were declared,
/// so a referenced row is always written before the row that references it.
pub struct Bulk {
    db: Db,
    tables: Vec<Table>,
    buffered: usize,
    pub written: u64,
}

/// Values per statement: under SQLite's limit of 32766 and PostgreSQL's 65535.
const MAX_VALUES: usize = 30_000;
/// Rows buffered in all tables before a flush.
const FLUSH_ROWS: usize = 50_000;

impl Bulk {
    pub fn new(db: Db, tables: &[(&'static str, &'static [&'static str])]) -> Self {
        Self {
            db,
            tables: tables
                .iter()
                .map(|(name, cols)| Table {
                    name,
                    cols,
                    rows: Vec::new(),
                })
                .collect(),
            buffered: 0,
            written: 0,
        }
    }

    pub async fn push(&mut self, table: &'static str, row: Vec<V>) -> Result<(), sqlx::Error> {
        if let Some(t) = self.tables.iter_mut().find(|t| t.name == table) {
            debug_assert_eq!(t.cols.len(), row.len(), "{table}");
            t.rows.push(row);
            self.buffered += 1;
        }
        if self.buffered >= FLUSH_ROWS {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes everything buffered in one transaction.
    pub async fn flush(&mut self) -> Result<(), sqlx::Error> {
        if self.buffered == 0 {
            return Ok(());
        }
        let mut tx = self.db.pool.begin().await?;
        for t in &mut self.tables {
            let per_stmt = (MAX_VALUES / t.cols.len()).max(1);
            for chunk in t.rows.chunks(per_stmt) {
                let n = t.cols.len();
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", self.db.placeholders(i * n + 1, n)))
                    .collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    t.name,
                    t.cols.join(", "),
                    values.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for row in chunk {
                    for v in row {
                        q = match v {
                            V::T(s) => q.bind(s.clone()),
                            V::I(i) => q.bind(*i),
                            V::N => q.bind(None::<String>),
                            V::NI => q.bind(None::<i64>),
                        };
                    }
                }
                q.execute(&mut *tx).await?;
            }
            self.written += t.rows.len() as u64;
            t.rows.clear();
        }
        tx.commit().await?;
        self.buffered = 0;
        Ok(())
    }
}
