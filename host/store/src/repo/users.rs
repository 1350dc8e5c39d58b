//! Users of the admin API and portal, their roles and passwords (argon2).
//!
//! Superadmins are global (no tenant); every other role belongs to one
//! tenant. Functions take a `scope`: `Some(tenant)` restricts them to that
//! tenant's users (a user of another tenant is `NotFound`), `None` is the
//! superadmin's view of every user.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::{Action, ChangeKind};
use crate::error::{Result, StoreError};
use crate::ids::{TenantId, UserId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;
use crate::text_enum::text_enum;
use crate::time::{Timestamp, now, to_ms};
use crate::validate;

text_enum! {
    /// What a user may do.
    Role {
        /// Everything, across tenants.
        Superadmin = "superadmin",
        /// Everything within one tenant.
        TenantAdmin = "tenant_admin",
        /// Watches and steers queues and agents.
        Supervisor = "supervisor",
        /// Answers queue calls.
        Agent = "agent",
        /// Has an extension, voicemail and forwarding.
        User = "user",
        /// Reads call records and exports them.
        Accounting = "accounting",
    }
}

/// What an admin sets on a user (the password is set separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSpec {
    /// The tenant; `None` only for superadmins.
    pub tenant_id: Option<TenantId>,
    /// Login name, unique PBX-wide (an e-mail address works well).
    pub username: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// Disabled users cannot log in; their tokens stop working.
    pub disabled: bool,
}

/// A stored user. The password hash is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: UserSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

const CONFLICT: &str = "a user with this user name already exists: choose another one";
const MIN_PASSWORD: usize = 10;

fn validate(spec: &UserSpec) -> Result<()> {
    validate::name("username", &spec.username)?;
    validate::name("display_name", &spec.display_name)?;
    match (spec.role, spec.tenant_id) {
        (Role::Superadmin, Some(_)) => Err(StoreError::invalid(
            "tenant_id",
            "a superadmin belongs to no tenant: leave it empty",
        )),
        (Role::Superadmin, None) => Ok(()),
        (_, None) => Err(StoreError::invalid(
            "tenant_id",
            "every role but superadmin needs a tenant",
        )),
        _ => Ok(()),
    }
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub(crate) fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::invalid(
            "password",
            format!("use at least {MIN_PASSWORD} characters"),
        ));
    }
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Database(format!("hashing the password failed: {e}")))
}

impl User {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            spec: UserSpec {
                tenant_id: row::opt_parsed(r, "tenant_id")?,
                username: row::text(r, "username")?,
                display_name: row::text(r, "display_name")?,
                role: row::parsed(r, "role")?,
                disabled: row::boolean(r, "disabled")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

fn scope_filter(scope: Option<TenantId>, first: usize) -> (String, Vec<Arg>) {
    match scope {
        Some(t) => (
            format!(" AND tenant_id = ${first}"),
            vec![t.to_string().into()],
        ),
        None => (String::new(), vec![]),
    }
}

impl Store {
    /// Creates a user with `password` (at least 10 characters).
    pub async fn create_user(&self, actor: &str, spec: &UserSpec, password: &str) -> Result<User> {
        validate(spec)?;
        let hash = hash_password(password)?;
        let id = UserId::new();
        let t = to_ms(&now());
        let mut tx = self.begin().await?;
        if let Some(tenant) = spec.tenant_id {
            crate::crud::ensure_tenant(&mut tx, tenant).await?;
        }
        sqlx::query(
            "INSERT INTO users (id, tenant_id, username, display_name, role, password_hash, disabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(spec.tenant_id.map(|t| t.to_string()))
        .bind(spec.username.as_str())
        .bind(spec.display_name.as_str())
        .bind(spec.role.as_str())
        .bind(hash)
        .bind(i64::from(spec.disabled))
        .bind(t)
        .bind(t)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let user = User::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            spec.tenant_id,
            ChangeKind::User,
            id.to_string(),
            Action::Create,
            None::<&User>,
            Some(&user),
        )
        .await?;
        Ok(user)
    }

    /// One user, within `scope`.
    pub async fn get_user(&self, scope: Option<TenantId>, id: UserId) -> Result<User> {
        let (filter, mut args) = scope_filter(scope, 2);
        args.insert(0, id.to_string().into());
        let sql = format!("SELECT * FROM users WHERE id = $1{filter}");
        let row = sql::bind(sqlx::query(&sql), &args)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("user", id))?;
        User::from_row(&row)
    }

    /// Users by user name: a tenant's, or with `None` every user.
    pub async fn list_users(&self, scope: Option<TenantId>, page: Page) -> Result<Paged<User>> {
        let (filter, args) = scope_filter(scope, 1);
        let from = format!("FROM users WHERE 1 = 1{filter}");
        sql::fetch_page(
            self.pool(),
            &from,
            "username, id",
            args,
            page,
            User::from_row,
        )
        .await
    }

    /// Replaces a user's settings (not the password).
    pub async fn update_user(
        &self,
        actor: &str,
        scope: Option<TenantId>,
        id: UserId,
        spec: &UserSpec,
    ) -> Result<User> {
        validate(spec)?;
        let before = self.get_user(scope, id).await?;
        if scope.is_some() && spec.tenant_id != scope {
            return Err(StoreError::invalid(
                "tenant_id",
                "a tenant admin cannot move users to another tenant",
            ));
        }
        let mut tx = self.begin().await?;
        if let Some(tenant) = spec.tenant_id {
            crate::crud::ensure_tenant(&mut tx, tenant).await?;
        }
        sqlx::query(
            "UPDATE users SET tenant_id = $1, username = $2, display_name = $3, role = $4, disabled = $5, \
             updated_at = $6 WHERE id = $7",
        )
        .bind(spec.tenant_id.map(|t| t.to_string()))
        .bind(spec.username.as_str())
        .bind(spec.display_name.as_str())
        .bind(spec.role.as_str())
        .bind(i64::from(spec.disabled))
        .bind(to_ms(&now()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let after = User::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            spec.tenant_id,
            ChangeKind::User,
            id.to_string(),
            Action::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    }

    /// Sets a new password (at least 10 characters).
    pub async fn set_password(
        &self,
        actor: &str,
        scope: Option<TenantId>,
        id: UserId,
        password: &str,
    ) -> Result<()> {
        let user = self.get_user(scope, id).await?;
        let hash = hash_password(password)?;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(to_ms(&now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        // The audit entry says a password changed, never what it is.
        self.commit_change(
            tx,
            actor,
            user.spec.tenant_id,
            ChangeKind::User,
            id.to_string(),
            Action::Update,
            Some(&user),
            Some(&serde_json::json!({"password": "changed"})),
        )
        .await
    }

    /// Deletes a user and their tokens; their private contacts go too.
    pub async fn delete_user(
        &self,
        actor: &str,
        scope: Option<TenantId>,
        id: UserId,
    ) -> Result<()> {
        let before = self.get_user(scope, id).await?;
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        self.commit_change(
            tx,
            actor,
            before.spec.tenant_id,
            ChangeKind::User,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&User>,
        )
        .await
    }

    /// The user with these credentials, or `None` when the user name is
    /// unknown, the password wrong or the user disabled (one answer for
    /// all three, so logins cannot probe user names).
    pub async fn verify_password(&self, username: &str, password: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else {
            // Spend the same time as a real check.
            let _ = hash_password("not-a-real-password");
            return Ok(None);
        };
        let stored = row::text(&row, "password_hash")?;
        let user = User::from_row(&row)?;
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|h| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(|e| StoreError::Database(format!("password check: {e}")))?;
        Ok((ok && !user.spec.disabled).then_some(user))
    }
}
