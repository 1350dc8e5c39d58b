//! The laboratory a scenario runs in: a fresh `pbx serve` started by this
//! tool, with tenants, extensions, flows and routes made through the admin
//! API.
//!
//! Every tenant gets `users` extensions (SIP user = number, one password)
//! and these routes to the load flow (`host/load/flow`, built by
//! `scripts/build-flows.sh`):
//!
//! | number | flow | what a call does |
//! | --- | --- | --- |
//! | `7000` | load-flow, `answer` | answered; waits for the caller's BYE |
//! | `7001` | load-flow, `prompt` (`beep`) | answered, a short prompt, hung up by the PBX |
//! | `7002` | load-flow, `ivr` | a looping prompt collecting two digits; hung up at once on `12` |
//! | `6<ext>` | load-flow, `bridge` | dials extension `<ext>`, bridged through the media engine |
//! | `7003` | swap (load-flow v1 / hostile v2), `prompt` | as 7001 with load-flow; hostile answers and hangs up |
//! | `7099` | hostile, `mode` = the tenant's misbehaviour | loops or allocates until the sandbox stops it |

use crate::pbx::{Admin, PbxProcess, SpawnOptions, TenantLimits};
use crate::proc_stats::{self, Pid};
use anyhow::{Context, Result};
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Password of every extension the lab makes.
pub const PASSWORD: &str = "load-test-secret";

/// The SIP realm (`pbx serve`'s default).
pub const REALM: &str = "pbx";

/// The number answered and left to the caller to hang up.
pub const ANSWER: &str = "7000";
/// The number playing a short prompt then hanging up.
pub const PROMPT: &str = "7001";
/// The IVR number (looping prompt, two digits).
pub const IVR: &str = "7002";
/// The number whose flow is swapped during the hot-swap scenario.
pub const SWAP: &str = "7003";
/// The hostile flow's number.
pub const HOSTILE: &str = "7099";
/// The prefix of numbers bridged to an extension.
pub const BRIDGE_PREFIX: &str = "6";

/// One tenant to make.
#[derive(Debug, Clone)]
pub struct TenantSpec {
    /// Its name.
    pub name: String,
    /// Number of its first extension.
    pub first_user: u32,
    /// How many extensions.
    pub users: usize,
    /// Concurrent flow calls allowed.
    pub max_calls: u32,
    /// The hostile flow's `mode` on 7099 (`loop`, `alloc`, ...).
    pub hostile_mode: String,
}

/// A tenant as made.
#[derive(Debug, Clone)]
pub struct LabTenant {
    /// What was asked.
    pub spec: TenantSpec,
    /// Its id in the API.
    pub id: String,
    /// The swap flow's id and its two versions (load-flow, hostile).
    pub swap: (String, [String; 2]),
}

/// A running PBX and what was made in it.
pub struct Lab {
    /// The process.
    pub pbx: PbxProcess,
    /// The admin API, as superadmin.
    pub admin: Admin,
    /// The tenants, in the order asked.
    pub tenants: Vec<LabTenant>,
}

/// Where the built guest flows are: `load_flow.wasm` and
/// `hostile_flow.wasm`.
fn flow_file(dir: &std::path::Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    std::fs::read(&path).with_context(|| {
        format!(
            "reading {}: build the guest flows with scripts/build-flows.sh",
            path.display()
        )
    })
}

impl Lab {
    /// Start a PBX (`pbx_bin` or the `pbx` beside this executable) and make
    /// `tenants` in it.
    pub async fn start(pbx_bin: Option<PathBuf>, tenants: &[TenantSpec]) -> Result<Lab> {
        Lab::start_with(pbx_bin, tenants, &[]).await
    }

    /// [`Lab::start`], with more `pbx serve` options.
    pub async fn start_with(
        pbx_bin: Option<PathBuf>,
        tenants: &[TenantSpec],
        serve_args: &[&str],
    ) -> Result<Lab> {
        let mut opts = SpawnOptions::locate()?;
        if let Some(bin) = pbx_bin {
            opts.pbx_bin = bin;
        }
        // Every request comes from 127.0.0.1: the per-source flood limit
        // (20/s by default) would measure itself, not the PBX.
        // The sandbox's pool must hold the largest step's calls (IVR and
        // bridge steps go to a few thousand).
        opts.extra_args
            .extend(["--sip-rate-limit", "off", "--flow-instances", "8000"].map(String::from));
        opts.extra_args
            .extend(serve_args.iter().map(|a| a.to_string()));
        let flows_dir = opts
            .templates
            .clone()
            .context("no directory of built flows: run scripts/build-flows.sh")?;
        let load_flow = flow_file(&flows_dir, "load_flow.wasm")?;
        let hostile = flow_file(&flows_dir, "hostile_flow.wasm")?;
        let pbx = PbxProcess::spawn(opts).await?;
        let admin = Admin::new(pbx.api, &pbx.superadmin_token);
        let mut made = Vec::new();
        for spec in tenants {
            made.push(make_tenant(&admin, spec, &load_flow, &hostile).await?);
        }
        let lab = Lab {
            pbx,
            admin,
            tenants: made,
        };
        lab.settle().await?;
        Ok(lab)
    }

    /// Wait (at most 30 s) until the PBX is idle: under 5% of a core over
    /// 300 ms, so the flows it compiles and the routing reloads after the
    /// provisioning do not count against the first measurement.
    pub async fn settle(&self) -> Result<()> {
        let pid = Pid::Other(self.pid());
        let end = tokio::time::Instant::now() + Duration::from_secs(30);
        let mut before = proc_stats::sample(pid)?.cpu;
        while tokio::time::Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = proc_stats::sample(pid)?.cpu;
            if now.saturating_sub(before) < Duration::from_millis(15) {
                return Ok(());
            }
            before = now;
        }
        Ok(())
    }

    /// The PBX's SIP address.
    pub fn sip(&self) -> SocketAddr {
        self.pbx.sip
    }

    /// The PBX's process id.
    pub fn pid(&self) -> u32 {
        self.pbx.pid()
    }
}

async fn make_tenant(
    admin: &Admin,
    spec: &TenantSpec,
    load_flow: &[u8],
    hostile: &[u8],
) -> Result<LabTenant> {
    let id = admin.create_tenant(&spec.name, "Europe/London").await?;
    admin
        .set_limits(
            &id,
            TenantLimits {
                max_inbound_calls: i64::from(spec.max_calls),
                max_outbound_calls: i64::from(spec.max_calls),
                max_extensions: spec.users as i64 + 10,
                max_dids: 10,
            },
        )
        .await?;
    admin
        .create_extensions(&id, spec.first_user, spec.users, PASSWORD)
        .await?;
    let load = admin.create_flow(&id, "load-flow").await?;
    let v = admin.upload_version(&id, &load, load_flow.to_vec()).await?;
    admin.activate(&id, &load, &v).await?;
    let bad = admin.create_flow(&id, "hostile").await?;
    let v = admin.upload_version(&id, &bad, hostile.to_vec()).await?;
    admin.activate(&id, &bad, &v).await?;
    let swap = admin.create_flow(&id, "swap").await?;
    let v1 = admin.upload_version(&id, &swap, load_flow.to_vec()).await?;
    let v2 = admin.upload_version(&id, &swap, hostile.to_vec()).await?;
    admin.activate(&id, &swap, &v1).await?;
    let routes = [
        ("answer", ANSWER, &load, json!({"mode": "answer"})),
        (
            "prompt",
            PROMPT,
            &load,
            json!({"mode": "prompt", "prompt": "beep"}),
        ),
        ("ivr", IVR, &load, json!({"mode": "ivr", "expect": "12"})),
        (
            "bridge",
            &format!("{BRIDGE_PREFIX}*") as &str,
            &load,
            json!({"mode": "bridge", "strip": BRIDGE_PREFIX.len()}),
        ),
        (
            "swap",
            SWAP,
            &swap,
            json!({"mode": "prompt", "prompt": "beep"}),
        ),
        ("hostile", HOSTILE, &bad, json!({"mode": spec.hostile_mode})),
    ];
    for (name, pattern, flow, params) in routes {
        admin
            .route_to_flow(&id, name, pattern, flow, params, 1)
            .await?;
    }
    Ok(LabTenant {
        spec: spec.clone(),
        id,
        swap: (swap, [v1, v2]),
    })
}
