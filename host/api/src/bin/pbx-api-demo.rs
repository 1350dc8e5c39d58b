//! A stand-alone API server on a fresh SQLite store with one seeded
//! tenant, for trying the API and for the schemathesis run
//! (scripts/test-api-schemathesis.sh).
//!
//! Usage: `pbx-api-demo DATA_DIR [PORT]` — listens on 127.0.0.1:PORT
//! (default 0: any free port) and prints one line of JSON with the base
//! URL, the tenant id and an admin token, then serves until stopped.

use anyhow::Context;
use pbx_api::{AppState, server};
use pbx_flow::{FlowEngine, FlowLimits};
use pbx_store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let dir = args.next().context("usage: pbx-api-demo DATA_DIR [PORT]")?;
    let port: u16 = match args.next() {
        Some(p) => p.parse().context("PORT must be a number 0-65535")?,
        None => 0,
    };
    let store = Store::open_data_dir(&dir)
        .await
        .with_context(|| format!("opening the store in {dir}"))?;
    let seeded = server::seed(&store, "demo", "demo-password-1")
        .await
        .context("seeding the demo tenant (use an empty DATA_DIR)")?;
    let engine = FlowEngine::new(FlowLimits::default(), None)
        .map_err(|e| anyhow::anyhow!("starting the flow engine: {e:#}"))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    println!(
        "{}",
        serde_json::json!({
            "base_url": format!("http://{addr}"),
            "tenant_id": seeded.tenant.id.to_string(),
            "token": seeded.admin_token,
        })
    );
    server::serve(listener, AppState::new(store, engine), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
