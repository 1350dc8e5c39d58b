//! The [`Store`] handle: opening the database, applying migrations, and the
//! write path shared by every repository (audit entry + change feed).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::audit::{self, AuditRecord};
use crate::change::{Action, Change, ChangeKind};
use crate::engine::{Engine, StoreConfig};
use crate::error::{Result, StoreError};
use crate::ids::TenantId;
use crate::notify;

/// The schema, embedded at build time; the same files run on both engines.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many changes a slow subscriber may fall behind before it is told it
/// lagged (and must reload everything).
const CHANGE_FEED_CAPACITY: usize = 1024;

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "pbx.db";

/// A cheap-to-clone handle on the database and the data directory.
///
/// Open it once at start with [`Store::open`]; it applies the migrations.
/// Every admin write goes through it, records an audit entry in the same
/// transaction and, once committed, announces a [`Change`] on the feed
/// ([`Store::subscribe`]); on PostgreSQL the change also reaches the other
/// nodes through `LISTEN`/`NOTIFY`.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: AnyPool,
    pub(crate) engine: Engine,
    pub(crate) data_dir: PathBuf,
    pub(crate) changes: broadcast::Sender<Change>,
    /// Identifies this node in NOTIFY payloads so it ignores its own
    /// notifications (it already broadcast them locally at commit).
    pub(crate) node: Uuid,
    /// The PostgreSQL listener task, stopped when the last handle drops.
    listener: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.listener.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("engine", &self.inner.engine)
            .field("data_dir", &self.inner.data_dir)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database described by `config` and
    /// brings its schema up to date.
    ///
    /// SQLite: `data_dir/pbx.db`, WAL journal, foreign keys on, a 5 s busy
    /// timeout. PostgreSQL: the URL's database must exist; a listener
    /// connection subscribes to the change channel.
    pub async fn open(config: &StoreConfig) -> Result<Store> {
        install_default_drivers();
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            StoreError::invalid(
                "data_dir",
                format!(
                    "cannot create {}: {e}; choose a writable directory",
                    config.data_dir.display()
                ),
            )
        })?;
        let engine = config.engine();
        let pool = match &config.postgres_url {
            None => open_sqlite(&config.data_dir, config.max_connections).await?,
            Some(url) => open_postgres(url, config.max_connections).await?,
        };
        MIGRATOR.run(&pool).await?;
        let (changes, _) = broadcast::channel(CHANGE_FEED_CAPACITY);
        let node = Uuid::new_v4();
        let listener = match &config.postgres_url {
            Some(url) => Some(notify::spawn_listener(url, node, changes.clone()).await?),
            None => None,
        };
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                engine,
                data_dir: config.data_dir.clone(),
                changes,
                node,
                listener,
            }),
        })
    }

    /// Shortcut for SQLite in `data_dir`.
    pub async fn open_data_dir(data_dir: impl AsRef<Path>) -> Result<Store> {
        Store::open(&StoreConfig::sqlite(data_dir)).await
    }

    /// The engine in use.
    pub fn engine(&self) -> Engine {
        self.inner.engine
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The connection pool, for diagnostics and the crate's own queries.
    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    /// Subscribes to the change feed. Each receiver sees every change
    /// committed after it subscribed; on `RecvError::Lagged` it missed
    /// some and should reload what it caches.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    /// Closes the pool; pending queries finish first.
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a
    /// deferred transaction that reads and then writes cannot wait for
    /// another writer (SQLite answers "database is locked" at once to avoid
    /// a deadlock), while an immediate one takes the write lock up front
    /// and waits for it under the busy timeout.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.inner.engine {
            Engine::Sqlite => self.inner.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.inner.pool.begin().await?,
        })
    }

    /// Starts a read-only transaction (a consistent view of several
    /// tables, without taking SQLite's write lock).
    pub(crate) async fn begin_read(&self) -> Result<Transaction<'static, Any>> {
        Ok(self.inner.pool.begin().await?)
    }

    /// Finishes an admin write: records the audit entry and the
    /// cross-node notification inside `tx`, commits, then announces the
    /// change locally.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn commit_change<B: serde::Serialize, A: serde::Serialize>(
        &self,
        mut tx: Transaction<'static, Any>,
        actor: &str,
        tenant: Option<TenantId>,
        kind: ChangeKind,
        id: String,
        action: Action,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        let change = Change { tenant, kind, id };
        let record = AuditRecord::new(actor, &change, action, before, after)?;
        audit::insert(&mut tx, &record).await?;
        if self.inner.engine == Engine::Postgres {
            notify::send(&mut tx, self.inner.node, &change).await?;
        }
        tx.commit().await?;
        // No receiver is not an error: nobody caches yet.
        let _ = self.inner.changes.send(change);
        Ok(())
    }
}

async fn open_sqlite(data_dir: &Path, max_connections: u32) -> Result<AnyPool> {
    let file = data_dir.join(SQLITE_FILE);
    let text = file.display().to_string();
    if text.contains(['?', '#']) {
        return Err(StoreError::invalid(
            "data_dir",
            format!(
                "{text} contains ? or #, which SQLite URLs cannot carry: choose another directory"
            ),
        ));
    }
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                     PRAGMA synchronous = NORMAL;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| {
            StoreError::Database(format!(
                "cannot open SQLite database {}: {e}",
                file.display()
            ))
        })?;
    // WAL is a property of the file: set once, it stays.
    pool.execute("PRAGMA journal_mode = WAL;").await?;
    Ok(pool)
}

async fn open_postgres(url: &str, max_connections: u32) -> Result<AnyPool> {
    AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| {
            StoreError::Database(format!(
                "cannot connect to PostgreSQL (check the URL, that the server runs and the \
                 database exists): {e}"
            ))
        })
}
