//! The store's typed errors.
//!
//! Every message says what the caller should change: the API turns
//! [`StoreError::NotFound`] into 404, [`StoreError::Conflict`] into 409,
//! [`StoreError::Invalid`] and [`StoreError::LimitReached`] into 422 and
//! [`StoreError::Database`] into 500.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist, or belongs to another tenant (the two are
    /// indistinguishable on purpose so ids cannot be probed across tenants).
    #[error("{what} not found: check the id and the tenant it belongs to")]
    NotFound {
        /// What was looked for, e.g. `extension 0190...`.
        what: String,
    },
    /// The write clashes with existing data: a unique name or number is
    /// already taken, or the row is still referenced by another one.
    #[error("conflict: {what}")]
    Conflict {
        /// What clashes and how to resolve it.
        what: String,
    },
    /// A field value is not acceptable.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The offending field, as named in the input type.
        field: String,
        /// Why it was refused and what is expected instead.
        reason: String,
    },
    /// A tenant limit (extensions, DIDs) would be exceeded.
    #[error(
        "the tenant's limit of {limit} {what} is reached: raise the tenant's limit or remove some first"
    )]
    LimitReached {
        /// What is limited, e.g. `extensions`.
        what: String,
        /// The limit currently set on the tenant.
        limit: i64,
    },
    /// The database or the data directory failed (connection lost, disk
    /// full, corrupt row); not the caller's fault.
    #[error("storage failure: {0}")]
    Database(String),
}

/// Result type of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// A [`StoreError::NotFound`] for `entity` with `id`.
    pub fn not_found(entity: &str, id: impl std::fmt::Display) -> Self {
        StoreError::NotFound {
            what: format!("{entity} {id}"),
        }
    }

    /// A [`StoreError::Invalid`] for `field`.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Maps a sqlx error, turning unique and foreign-key violations into
    /// [`StoreError::Conflict`] with `conflict` as the explanation.
    pub(crate) fn from_sqlx(err: sqlx::Error, conflict: &str) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::Conflict {
                        what: conflict.to_string(),
                    };
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::Conflict {
                        what: format!(
                            "{conflict} (it is referenced by, or refers to, another row: \
                             remove or change the reference first)"
                        ),
                    };
                }
                _ => {}
            }
        }
        StoreError::Database(err.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::from_sqlx(err, "the row clashes with an existing one")
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(format!("applying the schema migrations failed: {err}"))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(err: std::io::Error) -> Self {
        StoreError::Database(format!("data directory: {err}"))
    }
}
