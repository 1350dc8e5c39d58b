//! Flow versions: uploaded components, stored once per content in
//! `flows/<sha256>.wasm` under the data directory, with their metadata
//! (number, size, hash, uploader, `describe` output) in the database.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::change::{Action, ChangeKind};
use crate::error::{Result, StoreError};
use crate::ids::{FlowId, FlowVersionId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};

/// The largest component accepted (a Rust flow is a few hundred KiB).
pub const MAX_COMPONENT_BYTES: usize = 64 * 1024 * 1024;

/// A stored flow version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowVersion {
    /// Its id.
    pub id: FlowVersionId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The flow it is a version of.
    pub flow_id: FlowId,
    /// 1, 2, 3... per flow, in upload order.
    pub version: i64,
    /// Hex SHA-256 of the component: its file name in `flows/`.
    pub sha256: String,
    /// Component size in bytes.
    pub size: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: Timestamp,
    /// What the component's `describe` export returned (name, version,
    /// parameter schema), as JSON.
    pub describe: serde_json::Value,
}

impl FlowVersion {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            flow_id: row::parsed(r, "flow_id")?,
            version: row::int(r, "version")?,
            sha256: row::text(r, "sha256")?,
            size: row::int(r, "size")?,
            uploaded_by: row::text(r, "uploaded_by")?,
            uploaded_at: row::ts(r, "uploaded_at")?,
            describe: row::json(r, "describe")?,
        })
    }
}

impl Store {
    /// Where the component with this hash lives.
    pub fn flow_file_path(&self, sha256: &str) -> PathBuf {
        self.data_dir().join("flows").join(format!("{sha256}.wasm"))
    }

    /// Stores a new version of `flow`: writes the component file (once per
    /// content, atomically: a temporary file renamed into place) and
    /// records its metadata. It does not become active by itself: see
    /// [`Store::activate_flow_version`].
    pub async fn create_flow_version(
        &self,
        actor: &str,
        tenant: TenantId,
        flow: FlowId,
        component: &[u8],
        describe: &serde_json::Value,
    ) -> Result<FlowVersion> {
        if component.is_empty() || component.len() > MAX_COMPONENT_BYTES {
            return Err(StoreError::invalid(
                "component",
                format!(
                    "size {} is out of range: upload a Wasm component of 1 byte to 64 MiB",
                    component.len()
                ),
            ));
        }
        if !component.starts_with(b"\0asm") {
            return Err(StoreError::invalid(
                "component",
                "is not WebAssembly (no \\0asm header): upload the .wasm file",
            ));
        }
        self.get_flow(tenant, flow).await?;
        let sha256 = hex::encode(Sha256::digest(component));
        self.write_flow_file(&sha256, component).await?;
        let id = FlowVersionId::new();
        let mut tx = self.begin().await?;
        let next = row::int(
            &sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM flow_versions WHERE flow_id = $1")
                .bind(flow.to_string())
                .fetch_one(&mut *tx)
                .await?,
            "next",
        )?;
        let args: Vec<Arg> = vec![
            id.to_string().into(),
            tenant.to_string().into(),
            flow.to_string().into(),
            next.into(),
            sha256.clone().into(),
            (component.len() as i64).into(),
            actor.into(),
            to_ms(&now()).into(),
            row::to_json(describe)?.into(),
        ];
        sql::bind(
            sqlx::query(
                "INSERT INTO flow_versions (id, tenant_id, flow_id, version, sha256, size, uploaded_by, \
                 uploaded_at, describe) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            ),
            &args,
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, "another version was uploaded at the same moment: retry"))?;
        let row = sqlx::query("SELECT * FROM flow_versions WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let created = FlowVersion::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::FlowVersion,
            id.to_string(),
            Action::Create,
            None::<&FlowVersion>,
            Some(&created),
        )
        .await?;
        Ok(created)
    }

    /// One version of `tenant`.
    pub async fn get_flow_version(
        &self,
        tenant: TenantId,
        id: FlowVersionId,
    ) -> Result<FlowVersion> {
        let row = sqlx::query("SELECT * FROM flow_versions WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("flow version", id))?;
        FlowVersion::from_row(&row)
    }

    /// The versions of one flow, newest first.
    pub async fn list_flow_versions(
        &self,
        tenant: TenantId,
        flow: FlowId,
        page: Page,
    ) -> Result<Paged<FlowVersion>> {
        sql::fetch_page(
            self.pool(),
            "FROM flow_versions WHERE tenant_id = $1 AND flow_id = $2",
            "version DESC, id",
            vec![tenant.to_string().into(), flow.to_string().into()],
            page,
            FlowVersion::from_row,
        )
        .await
    }

    /// The component bytes of a version (what the flow registry compiles).
    pub async fn read_flow_component(
        &self,
        tenant: TenantId,
        id: FlowVersionId,
    ) -> Result<Vec<u8>> {
        let v = self.get_flow_version(tenant, id).await?;
        let bytes = tokio::fs::read(self.flow_file_path(&v.sha256)).await.map_err(|e| {
            StoreError::Database(format!(
                "component file of flow version {id} ({}) is unreadable: {e}; upload the version again",
                v.sha256
            ))
        })?;
        if hex::encode(Sha256::digest(&bytes)) != v.sha256 {
            return Err(StoreError::Database(format!(
                "component file {} does not match its hash: the data directory is damaged",
                v.sha256
            )));
        }
        Ok(bytes)
    }

    /// Deletes a version; `Conflict` while it is its flow's active version
    /// or a route pins it. Its file goes once no version uses that content.
    pub async fn delete_flow_version(
        &self,
        actor: &str,
        tenant: TenantId,
        id: FlowVersionId,
    ) -> Result<()> {
        let before = self.get_flow_version(tenant, id).await?;
        let mut tx = self.begin().await?;
        let active = sqlx::query("SELECT id FROM flows WHERE active_version_id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if active.is_some() {
            return Err(StoreError::Conflict {
                what: format!("flow version {id} is active: activate another version first"),
            });
        }
        sqlx::query("DELETE FROM flow_versions WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::from_sqlx(
                    e,
                    &format!(
                        "flow version {id} is pinned by an inbound route: change the route first"
                    ),
                )
            })?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::FlowVersion,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&FlowVersion>,
        )
        .await?;
        self.remove_flow_file_if_unused(&before.sha256)
            .await
            .map(|_| ())
    }

    /// Removes the files in `flows/` that no version refers to any more
    /// (left behind by deleted tenants or flows). Returns how many went.
    pub async fn collect_flow_files(&self) -> Result<usize> {
        let dir = self.data_dir().join("flows");
        let mut removed = 0;
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
            return Ok(0);
        };
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(hash) = name.strip_suffix(".wasm")
                && self.remove_flow_file_if_unused(hash).await?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    pub(crate) async fn remove_flow_file_if_unused(&self, sha256: &str) -> Result<bool> {
        let used = sqlx::query("SELECT id FROM flow_versions WHERE sha256 = $1 LIMIT 1")
            .bind(sha256)
            .fetch_optional(self.pool())
            .await?;
        if used.is_some() {
            return Ok(false);
        }
        match tokio::fs::remove_file(self.flow_file_path(sha256)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn write_flow_file(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let path = self.flow_file_path(sha256);
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        let dir = self.data_dir().join("flows");
        tokio::fs::create_dir_all(&dir).await?;
        // A unique temporary name, so concurrent uploads of the same
        // content never write into each other's file; rename is atomic.
        let tmp = dir.join(format!(".{sha256}.{}.tmp", uuid::Uuid::new_v4()));
        tokio::fs::write(&tmp, bytes).await?;
        let file = tokio::fs::File::open(&tmp).await?;
        file.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(())
    }
}
