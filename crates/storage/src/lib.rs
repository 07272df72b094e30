//! The storage kit: `DATABASE_URL` to one sqlx `Any` pool on SQLite or PostgreSQL,
//! migrations per backend, a readiness check, and (feature `testing`) a fresh database per test.
//!
//! Queries stay inside the portable subset of DESIGN.md §6 so one code path serves both.

use std::sync::{Arc, Once};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use odmu_config::{ConfigError, Env, Secret};
use odmu_health::{BoxFuture, Check};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor as _, Transaction};

#[cfg(feature = "testing")]
mod testing;
#[cfg(feature = "testing")]
pub use testing::TestDatabase;

pub use rusqlite;
pub use sqlx;

/// `url` (a PostgreSQL server URL) with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_end..].find('/') {
        Some(i) => &base[..authority_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// Creates PostgreSQL database `name` on the server of `server_url` unless it exists (the local
/// stack on PostgreSQL; in production Terraform creates them). Answers whether it was created.
pub async fn create_database_if_missing(server_url: &str, name: &str) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection as _, Executor as _};
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(sqlx::Error::Configuration(
            format!("database name {name:?}: letters, digits and _ only").into(),
        ));
    }
    let mut admin = sqlx::AnyConnection::connect(server_url).await?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut admin)
        .await?;
    let created = if exists.is_none() {
        match admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
        {
            Ok(_) => true,
            // Created meanwhile by another stack or replica: fine.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => false,
            Err(e) => return Err(e),
        }
    } else {
        false
    };
    let _ = admin.close().await;
    Ok(created)
}

/// Drops PostgreSQL database `name` on the server of `server_url`, closing its connections.
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), sqlx::Error> {
    use sqlx::{Connection as _, Executor as _};
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let mut admin = sqlx::AnyConnection::connect(server_url).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await?;
    let _ = admin.close().await;
    Ok(())
}

/// Milliseconds since the epoch, as stored in BIGINT columns.
pub fn now_millis() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A stored time (milliseconds since the epoch) as RFC 3339 UTC, the form JSON answers use.
pub fn rfc3339(millis: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The database behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (local runs and the default test backend).
    Sqlite,
    /// A PostgreSQL server (production, compose, and CI's second test run).
    Postgres,
}

impl Backend {
    /// The backend a URL's scheme names.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Storage settings.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// `DATABASE_URL`: `sqlite://path/file.db` or `postgres://user:pass@host:5432/db`. Secret:
    /// it can hold a password.
    pub database_url: Secret,
    /// `DATABASE_MAX_CONNECTIONS` (default 10): pool size per process.
    pub max_connections: u32,
}

impl StorageConfig {
    /// Reads `DATABASE_URL` (default: `default_url`) and the pool size.
    pub fn from_env(env: &Env, default_url: &str) -> Result<Self, ConfigError> {
        let url = env.raw("DATABASE_URL").unwrap_or(default_url);
        if Backend::of_url(url).is_none() {
            return Err(ConfigError::invalid(
                "DATABASE_URL",
                "must start with sqlite: or postgres:// (the value is not shown: it may hold a password)",
            ));
        }
        let max_connections = env.parse_or("DATABASE_MAX_CONNECTIONS", 10u32)?;
        if max_connections == 0 {
            return Err(ConfigError::invalid(
                "DATABASE_MAX_CONNECTIONS",
                "must be above 0",
            ));
        }
        Ok(Self {
            database_url: Secret::new(url.to_owned()),
            max_connections,
        })
    }
}

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The URL is not a SQLite or PostgreSQL URL.
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    /// The SQLite file's folder could not be created.
    #[error("cannot create the folder of the SQLite database: {0}")]
    Folder(#[source] std::io::Error),
    /// A database error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// The SQLite migration lock file could not be taken.
    #[error("cannot lock the SQLite database for migrations: {0}")]
    MigrateLock(#[source] std::io::Error),
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A read on the calling thread failed ([`Db::read_now`]).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl StorageError {
    /// Whether the database could not serve the call right now (unreachable, pool exhausted or
    /// closed, a SQLite file busy past its timeout), so retrying later may succeed.
    pub fn is_unavailable(&self) -> bool {
        use rusqlite::ErrorCode;
        match self {
            Self::Sqlx(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_),
            ) => true,
            Self::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }
}

/// The calling crate's migrations (`migrations/sqlite` and `migrations/postgres` beside its
/// `Cargo.toml`), embedded once: `fn migrations() -> &'static Migrations { migrations!() }`.
#[macro_export]
macro_rules! migrations {
    () => {{
        static MIGRATIONS: $crate::Migrations = $crate::Migrations {
            sqlite: ::sqlx::migrate!("migrations/sqlite"),
            postgres: ::sqlx::migrate!("migrations/postgres"),
        };
        &MIGRATIONS
    }};
}

/// A service's migrations, one set per backend (`migrations/sqlite`, `migrations/postgres`),
/// embedded with `sqlx::migrate!`.
#[derive(Debug)]
pub struct Migrations {
    /// For SQLite.
    pub sqlite: Migrator,
    /// For PostgreSQL.
    pub postgres: Migrator,
}

impl Migrations {
    fn for_backend(&self, backend: Backend) -> &Migrator {
        match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        }
    }
}

/// The service's database: one pool and the backend it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: the lock file that serialises migrations across processes.
    migrate_lock: Option<std::path::PathBuf>,
    /// SQLite admits one writer at a time; writers of this process queue here, in order,
    /// rather than spinning in SQLite's busy handler (which sleeps up to 100 ms per try).
    write_turn: Arc<tokio::sync::Mutex<()>>,
    /// SQLite file: read-only connections for reads on the calling thread (see [`Db::read_now`]).
    local: Option<Arc<LocalReaders>>,
}

/// How many connections a SQLite file keeps for [`Db::read_now`].
const SQLITE_READERS: u32 = 4;

/// How long a SQLite connection waits for a lock before answering "busy" (the pool's
/// connections set the same 5000 ms with a PRAGMA).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A transaction that will write (see [`Db::begin_write`]); it rolls back if dropped.
pub struct WriteTx {
    tx: Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// The connection, for queries: `.execute(tx.conn())`.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Commits, then lets the next writer go.
    pub async fn commit(self) -> Result<(), StorageError> {
        self.tx.commit().await?;
        Ok(())
    }
}

static DRIVERS: Once = Once::new();

/// A SQLite URL with `mode=rwc` (create the file if missing), and its file path.
fn sqlite_url(url: &str) -> (String, Option<String>) {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    let file = (path != ":memory:" && !path.is_empty()).then(|| path.to_owned());
    (format!("sqlite://{path}?{}", params.join("&")), file)
}

impl Db {
    /// Opens a pool on `url`. SQLite: the file and its folder are created, the file switched to
    /// WAL once, `synchronous=NORMAL` set on every connection. Fails fast if the database is
    /// unreachable.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StorageError> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = Backend::of_url(url).ok_or(StorageError::UnsupportedUrl)?;
        let mut sqlite_file: Option<String> = None;
        let url = match backend {
            Backend::Sqlite => {
                let (url, file) = sqlite_url(url);
                sqlite_file.clone_from(&file);
                if let Some(parent) = file
                    .as_deref()
                    .map(std::path::Path::new)
                    .and_then(|p| p.parent())
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(StorageError::Folder)?;
                }
                url
            }
            Backend::Postgres => url.to_owned(),
        };
        let options: AnyConnectOptions = url.parse()?;
        let migrate_lock: Option<std::path::PathBuf> = sqlite_file
            .as_ref()
            .map(|f| format!("{f}.migrate-lock").into());
        if let Some(lock) = &migrate_lock {
            // WAL is kept in the file, so it is set once, not per connection. Connections that
            // switch a fresh file at the same time each hold a read lock and want the write lock:
            // SQLite answers one of them "database is locked" at once, without waiting (several
            // tasks of a service start together, DESIGN.md §8). The migration lock orders them.
            use sqlx::{ConnectOptions as _, Connection as _};
            let _turn = lock_file(lock.clone()).await?;
            let mut conn = options.connect().await?;
            conn.execute("PRAGMA journal_mode = WAL;").await?;
            conn.close().await?;
        }
        let mut pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(3))
            .idle_timeout(Duration::from_secs(300));
        if backend == Backend::Sqlite {
            // A local file does not drop connections: pinging before every acquire (a round
            // trip to the connection's worker thread) would only double each query's cost.
            pool = pool.test_before_acquire(false);
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 5000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(options).await?;
        let local = match &sqlite_file {
            Some(file) => Some(Arc::new(LocalReaders::open(file, SQLITE_READERS)?)),
            None => None,
        };
        Ok(Self {
            pool,
            backend,
            migrate_lock,
            write_turn: Arc::default(),
            local,
        })
    }

    /// [`Db::connect`], retried with exponential backoff for up to about `patience`: at start-up
    /// the database may still be booting (compose, a fresh RDS instance).
    pub async fn connect_with_retry(
        config: &StorageConfig,
        patience: Duration,
    ) -> Result<Self, StorageError> {
        let url = config.database_url.expose();
        let max = config.max_connections;
        // Each attempt itself waits up to the pool's acquire timeout; the backoff's own sleeps
        // are bounded by `patience`.
        (|| Self::connect(url, max))
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(100))
                    .with_max_delay(Duration::from_secs(2))
                    .without_max_times()
                    .with_total_delay(Some(patience))
                    .with_jitter(),
            )
            .when(|e| matches!(e, StorageError::Sqlx(_)))
            .notify(|e, wait| tracing::warn!(error = %e, ?wait, "database not reachable yet"))
            .await
    }

    /// Applies the migrations for this backend. Safe when several processes start at once:
    /// sqlx takes an advisory lock on PostgreSQL; on SQLite, where sqlx takes none (two
    /// processes would both try the first migration), an exclusive `flock` on a file beside the
    /// database serialises them.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), StorageError> {
        let _lock = match &self.migrate_lock {
            Some(path) => Some(lock_file(path.clone()).await?),
            None => None,
        };
        migrations.for_backend(self.backend).run(&self.pool).await?;
        Ok(())
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a plain `BEGIN` that reads and then writes can fail with
    /// "database is locked" under concurrency.
    pub async fn begin_write(&self) -> Result<WriteTx, StorageError> {
        let turn = match self.backend {
            Backend::Sqlite => Some(self.write_turn.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        // The BEGIN runs on a task of its own: if the caller is cancelled meanwhile (a client
        // that hung up, a request timeout), sqlx could otherwise return the connection to the
        // pool inside a transaction it no longer tracks, and on SQLite that connection would
        // hold the write lock for good. A finished begin whose caller is gone is dropped as a
        // transaction, which rolls back.
        let pool = self.pool.clone();
        let sqlite = self.backend == Backend::Sqlite;
        let tx = tokio::spawn(async move {
            if sqlite {
                pool.begin_with("BEGIN IMMEDIATE").await
            } else {
                pool.begin().await
            }
        })
        .await
        .map_err(|_| StorageError::Sqlx(sqlx::Error::WorkerCrashed))??;
        Ok(WriteTx { tx, _turn: turn })
    }

    /// On a SQLite file, runs `read` at once, on the calling thread, with one of a few kept
    /// read-only connections; `None` on PostgreSQL (use the pool).
    ///
    /// For point reads on the request path. sqlx runs each SQLite connection on a thread of its
    /// own, so a query through it costs two thread wake-ups, more than an indexed read of a
    /// local file (microseconds, from the page cache); under load those wake-ups were two
    /// fifths of odmu_auth's CPU. WAL readers never wait for the writer. Do not use it for
    /// scans: the caller's thread is blocked while it runs.
    pub fn read_now<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Option<Result<T, StorageError>> {
        let local = self.local.as_ref()?;
        if self.pool.is_closed() {
            return Some(Err(sqlx::Error::PoolClosed.into()));
        }
        Some(local.with(read).map_err(StorageError::from))
    }

    /// Closes the pool: every later query fails.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The readiness check: the database answers and has at least the latest migration.
    pub fn check(&self, migrations: &Migrations) -> Arc<dyn Check> {
        let latest = migrations
            .for_backend(self.backend)
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        Arc::new(DatabaseCheck {
            pool: self.pool.clone(),
            latest,
        })
    }
}

/// Read-only SQLite connections used on the caller's thread, one at a time each.
#[derive(Debug)]
struct LocalReaders {
    connections: Vec<std::sync::Mutex<rusqlite::Connection>>,
    next: std::sync::atomic::AtomicUsize,
}

impl LocalReaders {
    fn open(file: &str, count: u32) -> Result<Self, StorageError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connections = (0..count.max(1))
            .map(|_| {
                let conn = rusqlite::Connection::open_with_flags(file, flags)?;
                conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
                Ok(std::sync::Mutex::new(conn))
            })
            .collect::<Result<_, rusqlite::Error>>()?;
        Ok(Self {
            connections,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Runs `read` with a free connection (starting from the next in turn), else waits for the
    /// next in turn (held for microseconds by another thread).
    fn with<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % n;
        for i in 0..n {
            if let Ok(conn) = self.connections[(start + i) % n].try_lock() {
                return read(&conn);
            }
        }
        // A poisoned lock only means a reader panicked; the connection itself is sound.
        let conn = self.connections[start]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        read(&conn)
    }
}

/// Waits for an exclusive lock on `path` (created if missing); released when dropped.
async fn lock_file(
    path: std::path::PathBuf,
) -> Result<nix::fcntl::Flock<std::fs::File>, StorageError> {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, errno)| std::io::Error::from(errno))
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r)
    .map_err(StorageError::MigrateLock)
}

struct DatabaseCheck {
    pool: AnyPool,
    latest: i64,
}

impl Check for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let applied: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(&self.pool)
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "database check failed");
                "unreachable".to_owned()
            })?;
            if applied < self.latest {
                return Err(format!("migration {} not applied", self.latest));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod url_tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h:1", "t3"), "postgres://h:1/t3");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_format_as_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_000_000_123), "2025-11-24T16:00:00.123Z");
    }

    #[test]
    fn sqlite_urls_get_create_mode_and_keep_other_params() {
        assert_eq!(
            sqlite_url("sqlite://.data/billing.db"),
            (
                "sqlite://.data/billing.db?mode=rwc".into(),
                Some(".data/billing.db".into())
            )
        );
        assert_eq!(
            sqlite_url("sqlite:x.db?mode=ro&cache=shared").0,
            "sqlite://x.db?mode=ro&cache=shared"
        );
    }

    #[test]
    fn database_url_errors_name_the_variable_but_not_the_value() {
        let env = Env::from_pairs([("DATABASE_URL", "mysql://root:hunter2@db/x")]);
        let msg = StorageConfig::from_env(&env, "sqlite://x.db")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("DATABASE_URL"));
        assert!(!msg.contains("hunter2"));
        let cfg = StorageConfig::from_env(&Env::default(), "sqlite://x.db").unwrap();
        assert!(!format!("{cfg:?}").contains("x.db"));
    }
}
