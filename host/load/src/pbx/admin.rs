//! An async client of the PBX's admin API (`/api/v1`, see docs/api.md),
//! with what the benchmark scenarios provision: tenants and their limits,
//! extensions in bulk, flows, versions, inbound routes, call records.
//!
//! JSON in and out with a bearer token; any status outside 2xx is an
//! [`ApiError`] naming the method, path, status and body.

use super::api_error::ApiError;
use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::task::JoinSet;

/// Requests in flight while creating extensions in bulk.
pub const BULK_CONCURRENCY: usize = 16;
/// The page size used to read whole lists (the API's maximum).
const PAGE: usize = 500;

/// A tenant's limits (the fields of the tenant resource; only a superadmin
/// may change them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantLimits {
    /// Most concurrent inbound calls.
    pub max_inbound_calls: i64,
    /// Most concurrent outbound calls.
    pub max_outbound_calls: i64,
    /// Most extensions.
    pub max_extensions: i64,
    /// Most DIDs.
    pub max_dids: i64,
}

impl TenantLimits {
    /// Limits high enough for any benchmark on one machine: a million of
    /// each.
    pub const UNLIMITED: TenantLimits = TenantLimits {
        max_inbound_calls: 1_000_000,
        max_outbound_calls: 1_000_000,
        max_extensions: 1_000_000,
        max_dids: 1_000_000,
    };
}

/// A client of the admin API with one bearer token. Cheap to clone (the
/// connection pool is shared).
#[derive(Clone, Debug)]
pub struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// The `id` field of `v`, as a string.
fn id_of(v: &Value, what: &str) -> Result<String> {
    v["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{what}: no `id` in {v}"))
}

impl Admin {
    /// A client for the API at `http://{api}/api/v1` acting with `token`.
    pub fn new(api: SocketAddr, token: &str) -> Admin {
        Admin {
            http: reqwest::Client::new(),
            base: format!("http://{api}/api/v1"),
            token: token.to_string(),
        }
    }

    /// Sends `req` (for `method path`); the JSON body of a 2xx answer
    /// (`Null` when empty), else an [`ApiError`].
    async fn send(&self, method: &str, path: &str, req: reqwest::RequestBuilder) -> Result<Value> {
        let error = |status: Option<u16>, body: String| ApiError {
            method: method.to_string(),
            path: path.to_string(),
            status,
            body,
        };
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| error(None, e.to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| error(Some(status.as_u16()), format!("reading the body: {e}")))?;
        if !status.is_success() {
            return Err(error(Some(status.as_u16()), text).into());
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text)
            .map_err(|e| error(Some(status.as_u16()), format!("not JSON ({e}): {text}")).into())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` (under `/api/v1`).
    pub async fn get(&self, path: &str) -> Result<Value> {
        self.send("GET", path, self.http.get(self.url(path))).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send("POST", path, self.http.post(self.url(path)).json(body))
            .await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        self.send("PUT", path, self.http.put(self.url(path)).json(body))
            .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.send("DELETE", path, self.http.delete(self.url(path)))
            .await
            .map(drop)
    }

    /// `POST path` with raw bytes of `content_type`.
    pub async fn post_bytes(
        &self,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Value> {
        let req = self
            .http
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes);
        self.send("POST", path, req).await
    }

    /// Every item of the paged list at `path` (which may have a query),
    /// read 500 at a time.
    pub async fn list(&self, path: &str) -> Result<Vec<Value>> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        loop {
            let page = self
                .get(&format!("{path}{sep}limit={PAGE}&offset={}", items.len()))
                .await?;
            let batch = page["items"]
                .as_array()
                .ok_or_else(|| anyhow!("GET {path}: no `items` in {page}"))?;
            let total = page["total"].as_u64().unwrap_or(0) as usize;
            let empty = batch.is_empty();
            items.extend(batch.iter().cloned());
            if empty || items.len() >= total {
                return Ok(items);
            }
        }
    }

    /// `GET /me`: the caller's id, tenant and role.
    pub async fn me(&self) -> Result<Value> {
        self.get("/me").await
    }

    /// Creates tenant `name` (language `en`, limits as `pbx admin tenant
    /// create` sets them: 100 concurrent calls each way, 1,000 extensions,
    /// 100 DIDs); its id. Superadmin only.
    pub async fn create_tenant(&self, name: &str, time_zone: &str) -> Result<String> {
        let body = json!({
            "name": name,
            "max_inbound_calls": 100,
            "max_outbound_calls": 100,
            "max_extensions": 1000,
            "max_dids": 100,
            "language": "en",
            "time_zone": time_zone,
            "fallback_destination": null,
        });
        let t = self.post("/tenants", &body).await?;
        id_of(&t, "POST /tenants")
    }

    /// The tenant with this id.
    pub async fn tenant(&self, tenant_id: &str) -> Result<Value> {
        self.get(&format!("/tenants/{tenant_id}")).await
    }

    /// The tenant named `name` among those the caller sees.
    pub async fn tenant_by_name(&self, name: &str) -> Result<Value> {
        self.list("/tenants")
            .await?
            .into_iter()
            .find(|t| t["name"] == name)
            .ok_or_else(|| anyhow!("no tenant named {name:?} visible to this token"))
    }

    /// Replaces tenant `tenant_id`'s limits, keeping its other settings;
    /// the tenant as stored. Superadmin only.
    pub async fn set_limits(&self, tenant_id: &str, limits: TenantLimits) -> Result<Value> {
        let t = self.tenant(tenant_id).await?;
        let body = json!({
            "name": t["name"],
            "max_inbound_calls": limits.max_inbound_calls,
            "max_outbound_calls": limits.max_outbound_calls,
            "max_extensions": limits.max_extensions,
            "max_dids": limits.max_dids,
            "language": t["language"],
            "time_zone": t["time_zone"],
            "fallback_destination": t["fallback_destination"],
        });
        self.put(&format!("/tenants/{tenant_id}"), &body).await
    }

    /// The body creating extension `number` (SIP user name = number).
    fn extension_body(number: &str, password: &str) -> Value {
        json!({
            "number": number,
            "display_name": format!("Load {number}"),
            "sip_username": number,
            "sip_password": password,
            "voicemail_pin": null,
            "class_of_service": "national",
            "pickup_group": null,
            "call_group": null,
            "forwarding": [],
            "personal_flow_id": null,
            "personal_flow_params": null,
            "language": null,
        })
    }

    /// Creates extensions `first .. first + count` in tenant `tenant_id`,
    /// SIP user name = number, all with `password`, with
    /// [`BULK_CONCURRENCY`] requests in flight (the API has no bulk
    /// endpoint for extensions). Stops at the first error.
    pub async fn create_extensions(
        &self,
        tenant_id: &str,
        first: u32,
        count: usize,
        password: &str,
    ) -> Result<()> {
        let next = Arc::new(AtomicUsize::new(0));
        let path: Arc<str> = format!("/tenants/{tenant_id}/extensions").into();
        let password: Arc<str> = password.into();
        let mut workers = JoinSet::new();
        for _ in 0..BULK_CONCURRENCY.min(count) {
            let (admin, next, path, password) =
                (self.clone(), next.clone(), path.clone(), password.clone());
            workers.spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return Ok::<(), anyhow::Error>(());
                    }
                    let number = crate::user_name(first, i);
                    admin
                        .post(&path, &Admin::extension_body(&number, &password))
                        .await
                        .with_context(|| format!("creating extension {number}"))?;
                }
            });
        }
        while let Some(done) = workers.join_next().await {
            if let Err(e) = done.context("an extension worker panicked")? {
                // Stop the others: `count` is reached for them.
                next.store(count, Ordering::Relaxed);
                workers.abort_all();
                return Err(e);
            }
        }
        Ok(())
    }

    /// Creates flow `name` in the tenant; its id.
    pub async fn create_flow(&self, tenant_id: &str, name: &str) -> Result<String> {
        let path = format!("/tenants/{tenant_id}/flows");
        let f = self
            .post(
                &path,
                &json!({"name": name, "description": "pbx-load benchmark flow"}),
            )
            .await?;
        id_of(&f, &path)
    }

    /// Uploads `wasm` as a new version of flow `flow_id`; the version's
    /// id.
    pub async fn upload_version(
        &self,
        tenant_id: &str,
        flow_id: &str,
        wasm: Vec<u8>,
    ) -> Result<String> {
        let path = format!("/tenants/{tenant_id}/flows/{flow_id}/versions");
        let v = self.post_bytes(&path, "application/wasm", wasm).await?;
        id_of(&v, &path)
    }

    /// Makes `version_id` the version new calls to flow `flow_id` run.
    pub async fn activate(&self, tenant_id: &str, flow_id: &str, version_id: &str) -> Result<()> {
        let path = format!("/tenants/{tenant_id}/flows/{flow_id}/versions/{version_id}/activate");
        self.post(&path, &json!({})).await.map(drop)
    }

    /// Creates inbound route `name` sending dialled numbers matching
    /// `pattern` (digits, `X` for any one digit, a final `*` for any rest,
    /// e.g. `5000`, `5XXX`, `*`; see docs/store.md) to flow `flow_id`,
    /// following its active version, with `params`; the lowest `priority`
    /// wins among matching routes. The route's id.
    pub async fn route_to_flow(
        &self,
        tenant_id: &str,
        name: &str,
        pattern: &str,
        flow_id: &str,
        params: Value,
        priority: i64,
    ) -> Result<String> {
        let path = format!("/tenants/{tenant_id}/inbound-routes");
        let body = json!({
            "name": name,
            "pattern": pattern,
            "priority": priority,
            "target": {"kind": "flow", "flow_id": flow_id, "version": null},
            "params": params,
        });
        let r = self.post(&path, &body).await?;
        id_of(&r, &path)
    }

    /// Call records of the tenant whose caller, dialled number or DID is
    /// `number`, newest first.
    pub async fn call_records(&self, tenant_id: &str, number: &str) -> Result<Vec<Value>> {
        let number: String = number
            .bytes()
            .map(|b| match b {
                b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'.' | b'_' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.list(&format!(
            "/tenants/{tenant_id}/call-records?number={number}"
        ))
        .await
    }
}
