//! Which database engine a store runs on, and how to reach it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The engine behind a [`Store`](crate::Store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Embedded SQLite: the file `pbx.db` in the data directory. The default,
    /// for a single node.
    Sqlite,
    /// A PostgreSQL server shared by several nodes.
    Postgres,
}

/// Where a store keeps its data.
///
/// The data directory always exists: it holds the flow components
/// (`flows/<sha256>.wasm`) and, with SQLite, the database file `pbx.db`.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory for the database file (SQLite) and content-addressed files.
    pub data_dir: PathBuf,
    /// `postgres://user:password@host:port/database`; `None` for SQLite.
    pub postgres_url: Option<String>,
    /// Upper bound of the connection pool.
    pub max_connections: u32,
}

impl StoreConfig {
    /// SQLite in `data_dir/pbx.db`.
    pub fn sqlite(data_dir: impl AsRef<Path>) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_path_buf(),
            postgres_url: None,
            max_connections: 8,
        }
    }

    /// PostgreSQL at `url`, with content-addressed files in `data_dir`.
    pub fn postgres(data_dir: impl AsRef<Path>, url: impl Into<String>) -> Self {
        Self {
            data_dir: data_dir.as_ref().to_path_buf(),
            postgres_url: Some(url.into()),
            max_connections: 8,
        }
    }

    /// Either form from one string: a `postgres://` or `postgresql://` URL
    /// selects PostgreSQL (files then go to `data_dir`), anything else is
    /// taken as the SQLite data directory itself.
    pub fn from_url_or_dir(url_or_dir: &str, data_dir: impl AsRef<Path>) -> Self {
        if url_or_dir.starts_with("postgres://") || url_or_dir.starts_with("postgresql://") {
            Self::postgres(data_dir, url_or_dir)
        } else {
            Self::sqlite(url_or_dir)
        }
    }

    /// The engine this configuration selects.
    pub fn engine(&self) -> Engine {
        if self.postgres_url.is_some() {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}
