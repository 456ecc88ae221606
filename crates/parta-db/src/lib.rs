//! Database access shared by all domains: one pool for SQLite or PostgreSQL chosen at
//! run time by URL, migrations, the reference books (НСИ) and the audit log.

pub mod audit;
pub mod files;
pub mod jobs;
pub mod outbox;
pub mod reference;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use sqlx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The application's database: a pool plus which dialect it speaks.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// SQLite has one writer at a time; see [`Db::begin_write`].
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Writers holding a connection (the one writing and the next in line).
    writers: std::sync::Arc<tokio::sync::Semaphore>,
}

/// A write transaction holding this process's SQLite write turn until it commits or is
/// dropped (rolled back); derefs to its connection.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    _line: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Writers that hold a pool connection at once: the one writing and two ready (connection
/// taken, `BEGIN` sent), so a turn passes without waiting for the pool; the other five of
/// the eight connections stay for readers.
const WRITERS_IN_LINE: usize = 3;

/// How long a writer waits for its turn, as SQLite's `busy_timeout`.
const WRITE_TURN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("неподдерживаемый адрес базы данных (нужен sqlite:// или postgres://)")]
    UnknownScheme,
    #[error("не удалось создать каталог данных {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("справочник {0}: {1}")]
    Reference(&'static str, String),
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// SQLite pragmas for every connection: WAL for concurrent readers, foreign keys on,
/// full sync so that a committed write (and the audit log) survives a power cut, and
/// reads through a memory map of the whole file instead of a system call per page (the
/// build raises SQLite's 2 GiB cap, `.cargo/config.toml`; only address space is reserved,
/// the kernel's page cache holds what is read).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -8000; \
     PRAGMA mmap_size = 1099511627776;";

impl Db {
    /// Connects by URL. An unknown scheme is an error, never a silent default.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnknownScheme);
        };
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_dir(url) {
                std::fs::create_dir_all(&dir).map_err(|e| DbError::DataDir(dir.clone(), e))?;
            }
        }
        let opts = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(sqlx::raw_sql(SQLITE_PRAGMAS)).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Db {
            pool,
            backend,
            gate: Default::default(),
            writers: std::sync::Arc::new(tokio::sync::Semaphore::new(WRITERS_IN_LINE)),
        })
    }

    /// Begins a write transaction. On SQLite the writers of this process take turns here,
    /// first come first served, instead of in SQLite's busy handler, which retries with
    /// sleeps of up to 100 ms (measured: saves at 40 % of the capacity had p99 436 ms, most
    /// of it asleep while the lock was free). A writer gets in line (at most
    /// `WRITERS_IN_LINE` hold a connection), takes its connection and begins, then waits
    /// for the turn, so a turn passes without a trip to the pool (a turn taken before the
    /// connection cut the capacity from 441 to 212 saves/s). PostgreSQL locks rows
    /// itself: no turn. Inside it, do not wait for another write of this process (the
    /// audit writer, say): record audit entries with `AuditLog::record_in`.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        if self.backend != Backend::Sqlite {
            let tx = self.pool.begin().await?;
            return Ok(WriteTx {
                tx,
                _turn: None,
                _line: None,
            });
        }
        let line = tokio::time::timeout(WRITE_TURN_TIMEOUT, self.writers.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let tx = self.pool.begin().await?;
        let turn = self.write_turn().await?;
        Ok(WriteTx {
            tx,
            _turn: turn,
            _line: Some(line),
        })
    }

    /// The write turn for a single statement outside a transaction (see `begin_write`);
    /// `None` on PostgreSQL.
    pub async fn write_turn(
        &self,
    ) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        match tokio::time::timeout(WRITE_TURN_TIMEOUT, self.gate.clone().lock_owned()).await {
            Ok(turn) => Ok(Some(turn)),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// Applies pending migrations and refreshes the federal reference books.
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await?;
        reference::load_federal(self).await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Tables and their columns, sorted: used to prove both backends have one schema.
    pub async fn schema(&self) -> Result<Vec<(String, String)>, sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
                 ORDER BY 1, 2"
            }
            Backend::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' ORDER BY 1, 2"
            }
        };
        sqlx::query_as::<_, (String, String)>(sql)
            .fetch_all(&self.pool)
            .await
    }

    /// A consistent snapshot of a SQLite database while it serves (`VACUUM INTO`).
    pub async fn backup_sqlite(&self, to: &std::path::Path) -> Result<(), DbError> {
        if self.backend != Backend::Sqlite {
            return Err(DbError::UnknownScheme);
        }
        let path = to.to_string_lossy().replace('\'', "''");
        sqlx::query(&format!("VACUUM INTO '{path}'"))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// `PRAGMA integrity_check` of a SQLite file opened read-only (a backup before restore).
pub async fn sqlite_integrity(path: &std::path::Path) -> Result<String, DbError> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn =
        sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display())).await?;
    let result: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    Ok(result
        .into_iter()
        .map(|r| r.0)
        .collect::<Vec<_>>()
        .join("; "))
}

/// The directory of a `sqlite://dir/file.db?…` URL, to create it before connecting.
fn sqlite_dir(url: &str) -> Option<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::Path::new(path)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
}

impl Db {
    /// Placeholders for a statement with many values, bound in order. SQLite looks up
    /// every numbered or named parameter (`$N`, `?N`) by a linear search when binding,
    /// so thousands of them cost quadratic time (95% of a bulk insert, measured); plain
    /// `?` has no name. PostgreSQL only speaks `$N`.
    /// Runs `sql` — with `{}` where the list goes in `… IN ({})` — for `ids`, 500 at a
    /// time, and collects the rows.
    pub async fn fetch_in<O, I>(&self, sql: &str, ids: &[I]) -> Result<Vec<O>, sqlx::Error>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
        I: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send + 'static,
    {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = sql.replacen("{}", &self.placeholders(1, chunk.len()), 1);
            let mut q = sqlx::query_as::<_, O>(&sql);
            for id in chunk {
                q = q.bind(id.clone());
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }

    /// A query returning the rows of `inner` as one JSON text: an array of arrays, the
    /// values in the order of `columns` (`t.` names the inner row), sorted by `order`.
    /// For many-row reads on hot pages: SQLite hands every row from its worker thread to
    /// the service separately, and that hand-off cost more than the query itself (the
    /// diary's profile); one row of JSON crosses once. Read it with [`json_rows`].
    pub fn json_rows_sql(&self, inner: &str, columns: &[&str], order: &str) -> String {
        let rows = self.json_rows_expr(inner, columns, order);
        match self.backend {
            Backend::Sqlite => format!("SELECT {rows}"),
            Backend::Postgres => format!("SELECT ({rows})::text"),
        }
    }

    /// Several row sets in one query and one JSON object: `{"name": [[…], …], …}`, each
    /// from `(name, inner, columns, order)` as in [`Db::json_rows_sql`]. Read it into a
    /// struct with a `Vec` field per name.
    pub fn json_sets_sql(&self, sets: &[(&str, &str, &[&str], &str)]) -> String {
        let fields = sets
            .iter()
            .map(|(name, inner, columns, order)| {
                format!("'{name}', {}", self.json_rows_expr(inner, columns, order))
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self.backend {
            Backend::Sqlite => format!("SELECT json_object({fields})"),
            Backend::Postgres => format!("SELECT json_build_object({fields})::text"),
        }
    }

    /// The JSON array of arrays of [`Db::json_rows_sql`] as an expression of JSON type.
    fn json_rows_expr(&self, inner: &str, columns: &[&str], order: &str) -> String {
        let cols = columns
            .iter()
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        match self.backend {
            // json() keeps the text a JSON value when it is nested in json_object.
            Backend::Sqlite => format!(
                "json((SELECT COALESCE(json_group_array(json_array({cols}) ORDER BY {order}), '[]') FROM ({inner}) t))"
            ),
            Backend::Postgres => format!(
                "(SELECT COALESCE(json_agg(json_build_array({cols}) ORDER BY {order}), '[]'::json) FROM ({inner}) t)"
            ),
        }
    }

    pub fn placeholders(&self, start: usize, n: usize) -> String {
        list_placeholders(self.backend == Backend::Sqlite, start, n)
    }
}

/// `n` placeholders of a list from `$start`: `?` on SQLite (numbered ones make its
/// statements of many values quadratic to prepare), `$k` on PostgreSQL.
pub fn list_placeholders(sqlite: bool, start: usize, n: usize) -> String {
    if sqlite {
        vec!["?"; n].join(", ")
    } else {
        placeholders(start, n)
    }
}

/// `($1, $2), ($3, $4), …`: `rows` rows of `cols` values for a many-row INSERT (`?` on
/// SQLite, see [`list_placeholders`]).
pub fn row_placeholders(sqlite: bool, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", list_placeholders(sqlite, r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1, $2, …` placeholders for `n` values starting at `start`: both backends accept them.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows from the text of a [`Db::json_rows_sql`] query, each array read into a `T` whose
/// fields follow the query's columns; or the object of a [`Db::json_sets_sql`] query.
pub fn json_rows<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
