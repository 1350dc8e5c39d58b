//! The admin API of a running `pbx serve`, as the tests use it: JSON in
//! and out with the demo tenant's bearer token; every call checks its
//! status and says what came back when it is not the expected one.

use serde_json::{Value, json};
use std::net::SocketAddr;

/// A client bound to one tenant.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The tenant the token belongs to.
    pub tenant: String,
}

impl Api {
    /// A client for the API at `addr` with `token`; asks `/me` for the
    /// tenant.
    pub async fn connect(addr: SocketAddr, token: &str) -> Api {
        let mut api = Api {
            http: reqwest::Client::new(),
            base: format!("http://{addr}/api/v1"),
            token: token.to_string(),
            tenant: String::new(),
        };
        let me = api.get("/me").await;
        api.tenant = me["tenant_id"]
            .as_str()
            .or_else(|| me["tenant"]["id"].as_str())
            .or_else(|| me["tenant"].as_str())
            .unwrap_or_else(|| panic!("no tenant in GET /me: {me}"))
            .to_string();
        api
    }

    /// `path` under `/tenants/{tenant}`.
    pub fn t(&self, path: &str) -> String {
        format!("/tenants/{}{path}", self.tenant)
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> (u16, Value) {
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// GET, any status.
    pub async fn try_get(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        self.send(self.http.get(&url), &format!("GET {url}")).await
    }

    /// GET that must succeed.
    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.try_get(path).await;
        assert!((200..300).contains(&status), "GET {path}: {status} {body}");
        body
    }

    /// POST JSON that must succeed.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let (status, out) = self
            .send(self.http.post(&url).json(&body), &format!("POST {url}"))
            .await;
        assert!(
            (200..300).contains(&status),
            "POST {path} {body}: {status} {out}"
        );
        out
    }

    /// PUT JSON that must succeed.
    pub async fn put(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let (status, out) = self
            .send(self.http.put(&url).json(&body), &format!("PUT {url}"))
            .await;
        assert!(
            (200..300).contains(&status),
            "PUT {path} {body}: {status} {out}"
        );
        out
    }

    /// POST raw bytes with `content_type` that must succeed.
    pub async fn post_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Value {
        let url = format!("{}{path}", self.base);
        let (status, out) = self
            .send(
                self.http
                    .post(&url)
                    .header("content-type", content_type)
                    .body(bytes),
                &format!("POST {url}"),
            )
            .await;
        assert!((200..300).contains(&status), "POST {path}: {status} {out}");
        out
    }

    /// Every item of a paged tenant list (`/extensions`, `/flows`...).
    pub async fn list(&self, path: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page = self
            .get(&format!("{}{path}{sep}limit=500", self.t("")))
            .await;
        page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path}: no items in {page}"))
            .clone()
    }

    /// The id of the extension with `number`.
    pub async fn extension_id(&self, number: &str) -> String {
        let all = self.list("/extensions").await;
        all.iter()
            .find(|e| e["number"] == number)
            .and_then(|e| e["id"].as_str())
            .unwrap_or_else(|| panic!("no extension {number} in {all:?}"))
            .to_string()
    }

    /// Block calls from `number` (exact match); the entry.
    pub async fn block(&self, number: &str) -> Value {
        self.post(
            &self.t("/blocked-numbers"),
            json!({"number": number, "match_kind": "exact", "reason": "e2e test"}),
        )
        .await
    }

    /// Set the incident flag `name` on or off (created when missing).
    pub async fn set_flag(&self, name: &str, active: bool) -> Value {
        let flags = self.list("/incident-flags").await;
        match flags.iter().find(|f| f["name"] == name) {
            Some(flag) => {
                let id = flag["id"].as_str().unwrap().to_string();
                let mut body = flag.clone();
                body["active"] = json!(active);
                let spec = json!({
                    "name": name,
                    "active": active,
                    "message": body["message"].clone(),
                    "destination": body["destination"].clone(),
                });
                self.put(&self.t(&format!("/incident-flags/{id}")), spec)
                    .await
            }
            None => {
                self.post(
                    &self.t("/incident-flags"),
                    json!({"name": name, "active": active, "message": null, "destination": null}),
                )
                .await
            }
        }
    }

    /// Create a flow named `name`; its id.
    pub async fn create_flow(&self, name: &str) -> String {
        let flow = self
            .post(
                &self.t("/flows"),
                json!({"name": name, "description": "e2e test flow"}),
            )
            .await;
        flow["id"].as_str().unwrap().to_string()
    }

    /// Upload `wasm` as a new version of flow `flow`; the version's id.
    pub async fn upload_version(&self, flow: &str, wasm: Vec<u8>) -> Value {
        self.post_bytes(
            &self.t(&format!("/flows/{flow}/versions")),
            "application/wasm",
            wasm,
        )
        .await
    }

    /// Activate a version of a flow.
    pub async fn activate(&self, flow: &str, version_id: &str) -> Value {
        self.post(
            &self.t(&format!("/flows/{flow}/versions/{version_id}/activate")),
            json!({}),
        )
        .await
    }

    /// Route the dialled `pattern` to `flow` (following its active
    /// version) with `params`, ahead of the demo routes.
    pub async fn route_to_flow(
        &self,
        name: &str,
        pattern: &str,
        flow: &str,
        params: Value,
    ) -> Value {
        self.post(
            &self.t("/inbound-routes"),
            json!({
                "name": name,
                "pattern": pattern,
                "priority": 1,
                "target": {"kind": "flow", "flow_id": flow, "version": null},
                "params": params,
            }),
        )
        .await
    }

    /// Call records whose caller, dialled number or DID is `number`,
    /// newest first.
    pub async fn call_records(&self, number: &str) -> Vec<Value> {
        self.list(&format!("/call-records?number={number}")).await
    }

    /// One call record with its legs and trace.
    pub async fn call_record(&self, id: &str) -> Value {
        self.get(&self.t(&format!("/call-records/{id}"))).await
    }

    /// The voicemail messages of extension `number`.
    pub async fn voicemail(&self, number: &str) -> Vec<Value> {
        let id = self.extension_id(number).await;
        let body = self
            .get(&self.t(&format!("/extensions/{id}/voicemail")))
            .await;
        body["items"]
            .as_array()
            .or_else(|| body.as_array())
            .unwrap_or_else(|| panic!("voicemail of {number}: {body}"))
            .clone()
    }
}
