//! API tokens: long random secrets shown once at creation, stored only as
//! their SHA-256, with a short prefix kept in clear so users can tell
//! their tokens apart.

use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::change::{Action, ChangeKind};
use crate::error::{Result, StoreError};
use crate::ids::{TenantId, TokenId, UserId};
use crate::page::{Page, Paged};
use crate::repo::users::User;
use crate::row;
use crate::sql;
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};
use crate::validate;

/// Every token starts with this, so secret scanners can spot leaked ones.
pub const TOKEN_PREFIX: &str = "pbx_";

/// Characters of the secret kept in clear (the `pbx_` and 8 more).
const SHOWN: usize = 12;

/// A stored API token (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Its id.
    pub id: TokenId,
    /// Whose it is; it acts with that user's role and tenant.
    pub user_id: UserId,
    /// What it is for, e.g. `billing export`.
    pub name: String,
    /// The first characters of the secret, e.g. `pbx_3f9a1c2e`.
    pub prefix: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working; never when `None`.
    pub expires_at: Option<Timestamp>,
    /// When it was last accepted.
    pub last_used_at: Option<Timestamp>,
}

/// A token just created: the only time its secret is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    /// The stored token.
    pub token: ApiToken,
    /// The secret to give the user (`pbx_` + 64 hex digits).
    pub secret: String,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl ApiToken {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            user_id: row::parsed(r, "user_id")?,
            name: row::text(r, "name")?,
            prefix: row::text(r, "prefix")?,
            created_at: row::ts(r, "created_at")?,
            expires_at: row::opt_ts(r, "expires_at")?,
            last_used_at: row::opt_ts(r, "last_used_at")?,
        })
    }
}

impl Store {
    /// Creates a token for `user` (within `scope`); the returned secret is
    /// not stored and cannot be shown again.
    pub async fn create_token(
        &self,
        actor: &str,
        scope: Option<TenantId>,
        user: UserId,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<NewToken> {
        validate::name("name", name)?;
        let owner = self.get_user(scope, user).await?;
        if matches!(expires_at, Some(e) if e <= now()) {
            return Err(StoreError::invalid(
                "expires_at",
                "is in the past: give a future instant or none",
            ));
        }
        let mut bytes = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let id = TokenId::new();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(name)
        .bind(&secret[..SHOWN])
        .bind(hash(&secret))
        .bind(to_ms(&now()))
        .bind(expires_at.map(|e| to_ms(&e)))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let token = ApiToken::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            owner.spec.tenant_id,
            ChangeKind::Token,
            id.to_string(),
            Action::Create,
            None::<&ApiToken>,
            Some(&token),
        )
        .await?;
        Ok(NewToken { token, secret })
    }

    /// The user and token a secret belongs to, or `None` if it is unknown,
    /// expired, or its user is disabled. Records the use.
    pub async fn authenticate_token(&self, secret: &str) -> Result<Option<(User, ApiToken)>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(row) = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
            .bind(hash(secret))
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let mut token = ApiToken::from_row(&row)?;
        let at = now();
        if matches!(token.expires_at, Some(e) if e <= at) {
            return Ok(None);
        }
        let user = self.get_user(None, token.user_id).await?;
        if user.spec.disabled {
            return Ok(None);
        }
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(to_ms(&at))
            .bind(token.id.to_string())
            .execute(self.pool())
            .await?;
        token.last_used_at = Some(at);
        Ok(Some((user, token)))
    }

    /// A user's tokens, newest first.
    pub async fn list_tokens(
        &self,
        scope: Option<TenantId>,
        user: UserId,
        page: Page,
    ) -> Result<Paged<ApiToken>> {
        self.get_user(scope, user).await?;
        sql::fetch_page(
            self.pool(),
            "FROM api_tokens WHERE user_id = $1",
            "created_at DESC, id",
            vec![user.to_string().into()],
            page,
            ApiToken::from_row,
        )
        .await
    }

    /// Revokes a token of `user`.
    pub async fn delete_token(
        &self,
        actor: &str,
        scope: Option<TenantId>,
        user: UserId,
        id: TokenId,
    ) -> Result<()> {
        let owner = self.get_user(scope, user).await?;
        let row = sqlx::query("SELECT * FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("token", id))?;
        let before = ApiToken::from_row(&row)?;
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        self.commit_change(
            tx,
            actor,
            owner.spec.tenant_id,
            ChangeKind::Token,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&ApiToken>,
        )
        .await
    }
}
