//! SIP registrations (bindings of an address of record to a contact), so
//! they survive a restart.
//!
//! The rows mirror the registrar's binding one to one; the call model
//! implements the `sip` crate's `RegistrationStore` trait over these
//! functions (this crate knows nothing of SIP). Registrations are keyed by
//! address of record, which carries the tenant's domain, so they are not
//! scoped by tenant id.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;

/// One binding, field for field what the registrar persists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Address of record, e.g. `sip:100@acme.example.com`.
    pub aor: String,
    /// Contact URI.
    pub contact: String,
    /// When the binding lapses.
    pub expires_at: SystemTime,
    /// Preference in thousandths, if given.
    pub q: Option<u16>,
    /// Call-ID of the REGISTER that last set it.
    pub call_id: String,
    /// Its CSeq.
    pub cseq: u32,
    /// `+sip.instance`, if given.
    pub instance_id: Option<String>,
    /// `reg-id`, if given.
    pub reg_id: Option<u32>,
    /// Source address (`ip:port`).
    pub source: String,
    /// Transport, upper case.
    pub transport: String,
    /// User-Agent, if given.
    pub user_agent: Option<String>,
    /// When it was last written.
    pub updated_at: SystemTime,
}

fn to_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn from_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

fn small<T: TryFrom<i64>>(col: &str, v: Option<i64>) -> Result<Option<T>> {
    v.map(|v| {
        T::try_from(v).map_err(|_| StoreError::Database(format!("column {col} out of range")))
    })
    .transpose()
}

impl Registration {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            aor: row::text(r, "aor")?,
            contact: row::text(r, "contact")?,
            expires_at: from_ms(row::int(r, "expires_at")?),
            q: small("q", row::opt_int(r, "q")?)?,
            call_id: row::text(r, "call_id")?,
            cseq: small("cseq", Some(row::int(r, "cseq")?))?.unwrap_or(0),
            instance_id: row::opt_text(r, "instance_id")?,
            reg_id: small("reg_id", row::opt_int(r, "reg_id")?)?,
            source: row::text(r, "source")?,
            transport: row::text(r, "transport")?,
            user_agent: row::opt_text(r, "user_agent")?,
            updated_at: from_ms(row::int(r, "updated_at")?),
        })
    }
}

/// One change to the registrations table, for
/// [`Store::apply_registration_changes`].
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrationChange {
    /// Insert or replace the binding with the same `(aor, contact)`.
    Upsert(Registration),
    /// Remove binding `(aor, contact)` (absent is fine).
    Remove {
        /// The address of record.
        aor: String,
        /// The contact URI.
        contact: String,
    },
    /// Remove every binding of `aor`.
    RemoveAll {
        /// The address of record.
        aor: String,
    },
}

impl Registration {
    /// The insert's arguments, in column order.
    fn args(&self) -> Vec<Arg> {
        vec![
            self.aor.clone().into(),
            self.contact.clone().into(),
            to_ms(self.expires_at).into(),
            self.q.map(i64::from).into(),
            self.call_id.clone().into(),
            i64::from(self.cseq).into(),
            self.instance_id.clone().into(),
            self.reg_id.map(i64::from).into(),
            self.source.clone().into(),
            self.transport.clone().into(),
            self.user_agent.clone().into(),
            to_ms(self.updated_at).into(),
        ]
    }
}

impl Store {
    /// Inserts or replaces the binding with the same `(aor, contact)`.
    pub async fn upsert_registration(&self, reg: &Registration) -> Result<()> {
        self.apply_registration_changes(&[RegistrationChange::Upsert(reg.clone())])
            .await
    }

    /// Removes one binding (absent is fine).
    pub async fn remove_registration(&self, aor: &str, contact: &str) -> Result<()> {
        self.apply_registration_changes(&[RegistrationChange::Remove {
            aor: aor.to_string(),
            contact: contact.to_string(),
        }])
        .await
    }

    /// Removes every binding of `aor`.
    pub async fn remove_registrations(&self, aor: &str) -> Result<()> {
        self.apply_registration_changes(&[RegistrationChange::RemoveAll {
            aor: aor.to_string(),
        }])
        .await
    }

    /// Applies `changes` in order, in one transaction: all or none.
    pub async fn apply_registration_changes(&self, changes: &[RegistrationChange]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for change in changes {
            match change {
                RegistrationChange::Upsert(reg) => {
                    // ON CONFLICT ... DO UPDATE is spelt the same on both engines.
                    sql::bind(
                        sqlx::query(
                            "INSERT INTO registrations (aor, contact, expires_at, q, call_id, cseq, instance_id, reg_id, \
                             source, transport, user_agent, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                             ON CONFLICT (aor, contact) DO UPDATE SET expires_at = excluded.expires_at, q = excluded.q, \
                             call_id = excluded.call_id, cseq = excluded.cseq, instance_id = excluded.instance_id, \
                             reg_id = excluded.reg_id, source = excluded.source, transport = excluded.transport, \
                             user_agent = excluded.user_agent, updated_at = excluded.updated_at",
                        ),
                        &reg.args(),
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                RegistrationChange::Remove { aor, contact } => {
                    sqlx::query("DELETE FROM registrations WHERE aor = $1 AND contact = $2")
                        .bind(aor)
                        .bind(contact)
                        .execute(&mut *tx)
                        .await?;
                }
                RegistrationChange::RemoveAll { aor } => {
                    sqlx::query("DELETE FROM registrations WHERE aor = $1")
                        .bind(aor)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The bindings of `aor`, by contact.
    pub async fn list_registrations(&self, aor: &str) -> Result<Vec<Registration>> {
        let rows = sqlx::query("SELECT * FROM registrations WHERE aor = $1 ORDER BY contact")
            .bind(aor)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(Registration::from_row).collect()
    }

    /// Every binding, for the registrar's start-up load.
    pub async fn load_registrations(&self) -> Result<Vec<Registration>> {
        let rows = sqlx::query("SELECT * FROM registrations ORDER BY aor, contact")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(Registration::from_row).collect()
    }

    /// Deletes bindings that lapsed before `now`; returns how many.
    pub async fn purge_expired_registrations(&self, now: SystemTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
            .bind(to_ms(now))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
