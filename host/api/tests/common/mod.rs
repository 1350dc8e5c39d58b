//! The test harness: a real store in a temp dir, the API on a real socket
//! on 127.0.0.1, two seeded tenants and a superadmin, and a small client.

#![allow(dead_code)]

use pbx_api::{AppState, server};
use pbx_flow::{FlowEngine, FlowLimits};
use pbx_store::{Role, Store, StoreConfig, UserSpec};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A running API with its store.
pub struct TestApi {
    /// Base URL, e.g. `http://127.0.0.1:40123/api/v1`.
    pub base: String,
    /// The store behind it (for seeding data the API cannot create).
    pub store: Store,
    /// Tenant A: id and its admin's token.
    pub a: Seed,
    /// Tenant B.
    pub b: Seed,
    /// A superadmin token.
    pub root: String,
    /// The HTTP client.
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// One seeded tenant.
#[derive(Clone)]
pub struct Seed {
    /// Tenant id as text.
    pub tenant: String,
    /// Typed tenant id.
    pub tenant_id: pbx_store::TenantId,
    /// Admin user id.
    pub admin_id: pbx_store::UserId,
    /// Admin token.
    pub token: String,
    /// Admin user name.
    pub username: String,
}

/// A response: status and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Body as JSON.
    pub json: Value,
    /// Body as text.
    pub text: String,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.json["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the test's temp dir.
    Sqlite,
    /// A fresh database on the server of `PBX_TEST_POSTGRES_URL`.
    Postgres,
}

/// The backends to run the engine-sensitive tests on: SQLite always,
/// PostgreSQL when `PBX_TEST_POSTGRES_URL` is set (scripts/test-postgres.sh
/// sets it). With `PBX_REQUIRE_POSTGRES=1` a missing URL is an error, so CI
/// cannot skip PostgreSQL silently.
pub fn backends() -> Vec<Backend> {
    match std::env::var("PBX_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => vec![Backend::Sqlite, Backend::Postgres],
        _ => {
            if std::env::var("PBX_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "PBX_REQUIRE_POSTGRES=1 but PBX_TEST_POSTGRES_URL is not set: run the tests under scripts/test-postgres.sh"
                );
            }
            vec![Backend::Sqlite]
        }
    }
}

/// A throw-away database on the PostgreSQL server of
/// `PBX_TEST_POSTGRES_URL`; returns its URL.
async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let url = std::env::var("PBX_TEST_POSTGRES_URL").expect("PBX_TEST_POSTGRES_URL");
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to PBX_TEST_POSTGRES_URL");
    let name = format!("api_{}", uuid_simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (url.clone(), String::new()),
    };
    let (server, _db) = base.rsplit_once('/').expect("URL with a database name");
    format!("{server}/{name}{query}")
}

fn uuid_simple() -> String {
    pbx_store::TenantId::new().to_string().replace('-', "")
}

impl TestApi {
    /// Start a fresh API with tenants `a` and `b` on SQLite.
    pub async fn start() -> TestApi {
        TestApi::start_on(Backend::Sqlite).await
    }

    /// Start a fresh API with tenants `a` and `b` on `backend`.
    pub async fn start_on(backend: Backend) -> TestApi {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = match backend {
            Backend::Sqlite => StoreConfig::sqlite(dir.path()),
            Backend::Postgres => StoreConfig::postgres(dir.path(), fresh_postgres_database().await),
        };
        let store = Store::open(&config).await.expect("open store");
        let a = server::seed(&store, "tenant-a", "password-a-123")
            .await
            .expect("seed a");
        let b = server::seed(&store, "tenant-b", "password-b-123")
            .await
            .expect("seed b");
        let root_user = store
            .create_user(
                "test",
                &UserSpec {
                    tenant_id: None,
                    username: "root".into(),
                    display_name: "Root".into(),
                    role: Role::Superadmin,
                    disabled: false,
                },
                "root-password-1",
            )
            .await
            .expect("superadmin");
        let root = store
            .create_token("test", None, root_user.id, "root", None)
            .await
            .expect("root token")
            .secret;
        let engine = FlowEngine::new(FlowLimits::default(), None).expect("flow engine");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(store.clone(), engine);
        tokio::spawn(async move {
            server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        let seed = |s: server::Seeded, username: &str| Seed {
            tenant: s.tenant.id.to_string(),
            tenant_id: s.tenant.id,
            admin_id: s.admin.id,
            token: s.admin_token,
            username: username.to_string(),
        };
        TestApi {
            base: format!("http://{addr}/api/v1"),
            store,
            a: seed(a, "tenant-a-admin"),
            b: seed(b, "tenant-b-admin"),
            root,
            http: reqwest::Client::builder().build().expect("client"),
            _dir: dir,
            _shutdown: tx,
        }
    }

    /// Send `method path` with `token` and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        reply(req.send().await.expect("request")).await
    }

    /// Send raw bytes with a content type.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body);
        reply(req.send().await.expect("request")).await
    }

    /// GET.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    /// POST JSON.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// PUT JSON.
    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Create a user of `tenant` with `role` and return a token for them.
    pub async fn user_with_role(&self, seed: &Seed, role: &str) -> String {
        let r = self
            .post(
                &format!("/tenants/{}/users", seed.tenant),
                &seed.token,
                &serde_json::json!({
                    "username": format!("{role}-{}", &seed.tenant[..8]),
                    "display_name": role,
                    "role": role,
                    "password": "a-long-password-1"
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "create {role}: {}", r.text);
        let id: pbx_store::UserId = r.json["id"].as_str().unwrap().parse().unwrap();
        self.store
            .create_token("test", Some(seed.tenant_id), id, "t", None)
            .await
            .expect("token")
            .secret
    }
}

/// Read a response.
pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        json,
        text,
        headers,
    }
}

/// Assert the reply is a JSON error with a code and a message.
pub fn assert_json_error(r: &Reply) {
    assert!(
        r.json["error"]["code"].is_string() && r.json["error"]["message"].is_string(),
        "expected a JSON error body, got {} {}",
        r.status,
        r.text
    );
}

/// The cargo target directory: `$CARGO_TARGET_DIR`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// The built auto-attendant flow, or a panic saying how to build it.
pub fn auto_attendant_wasm() -> Vec<u8> {
    let path = target_dir().join("wasm32-wasip2/flow/auto_attendant.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "guest component {} is missing ({e}): run scripts/build-flows.sh first (with the same CARGO_TARGET_DIR)",
            path.display()
        )
    })
}

/// A WAT fixture of the flow crate's tests, compiled to bytes.
pub fn flow_fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../flow/tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    wat::parse_str(&text).expect("fixture compiles")
}

/// Create an instance of the CRUD resource `segment` in `seed`'s tenant
/// from its example, creating what it needs first; returns its id.
pub async fn create_example(
    api: &TestApi,
    seed: &Seed,
    info: &pbx_api::crud::ResourceInfo,
    salt: &str,
) -> String {
    let mut body = info.example.clone();
    for (pointer, segment) in info.needs {
        let dep = pbx_api::resources::crud_resources()
            .into_iter()
            .find(|r| r.segment == *segment)
            .expect("known dependency");
        let id = Box::pin(create_example(api, seed, &dep, salt)).await;
        *body.pointer_mut(pointer).expect("pointer in example") = Value::String(id);
    }
    make_unique(&mut body, salt);
    let r = api
        .post(
            &format!("/tenants/{}/{}", seed.tenant, info.segment),
            &seed.token,
            &body,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "creating a {} from its example: {}",
        info.name,
        r.text
    );
    r.json["id"].as_str().expect("id").to_string()
}

/// Make names and numbers of an example unique per `salt` (globally unique
/// columns such as DID numbers would clash between tenants otherwise).
fn make_unique(body: &mut Value, salt: &str) {
    let digits: String = salt.bytes().map(|b| char::from(b'0' + b % 10)).collect();
    if let Some(obj) = body.as_object_mut() {
        for key in ["name", "sip_username"] {
            if let Some(Value::String(s)) = obj.get_mut(key) {
                *s = format!("{s}-{salt}");
            }
        }
        if let Some(Value::String(s)) = obj.get_mut("number")
            && s.starts_with('+')
        {
            *s = format!("{s}{digits}");
        }
    }
}
