//! `pbx serve`: the PBX on its embedded default. A SQLite store in the
//! data directory (a demo tenant with three extensions on first start,
//! credentials printed), the SIP service (registrations kept in the store,
//! calls between extensions through the B2BUA) and the admin API.
//!
//! Calls routed to a flow (the demo IVR on 5000, or any route an admin
//! creates) run through the call model with media anchored here.
//!
//! SIP credentials come from the routing cache, so extensions added or
//! changed while the PBX runs can register at once.

use super::calls;
use clap::Args;
use pbx::control::LiveStatus;
use pbx::control::RegistrationMirror;
use pbx::credentials::CachedCredentials;
use pbx::registrations::StoredRegistrations;
use pbx_api::{AppState, server};
use pbx_flow::{FlowEngine, FlowLimits, QuarantinePolicy};
use pbx_sip::auth::Algorithm;
use pbx_sip::protection::RateLimitConfig;
use pbx_sip::service::{ServiceConfig, start};
use pbx_store::repo::extensions::{ClassOfService, ExtensionSpec};
use pbx_store::{Page, Store, StoreConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// `pbx serve` options.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Data directory (SQLite database, flow components).
    #[arg(long, default_value = "data")]
    pub(crate) data_dir: PathBuf,
    /// SIP address (UDP and TCP).
    #[arg(long, default_value = "127.0.0.1:5060")]
    pub(crate) sip: SocketAddr,
    /// Admin API address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) api: SocketAddr,
    /// Digest realm phones authenticate in.
    #[arg(long, default_value = "pbx")]
    pub(crate) realm: String,
    /// RTP port range, MIN-MAX.
    #[arg(long, default_value = "20000-29999", value_parser = parse_ports)]
    pub(crate) rtp_ports: (u16, u16),
    /// Run the PBX's clock from this instant (RFC 3339, e.g.
    /// 2026-12-25T10:00:00Z): for trying office hours, holidays and
    /// night mode without waiting for them.
    #[arg(long)]
    pub(crate) clock: Option<chrono::DateTime<chrono::Utc>>,
    /// Built-in sounds (written by scripts/build-sounds.sh).
    #[arg(long, default_value = "sounds")]
    pub(crate) sounds: PathBuf,
    /// Where the built IVR templates are (office_hours.wasm), for the
    /// demo tenant; scripts/build-flows.sh writes them to
    /// $CARGO_TARGET_DIR/wasm32-wasip2/flow, the default (with
    /// CARGO_TARGET_DIR defaulting to ./target).
    #[arg(long)]
    pub(crate) templates: Option<PathBuf>,
    /// Offer MD5 digest only (some phones, e.g. baresip 1.0, refuse a
    /// challenge that also offers SHA-256).
    #[arg(long)]
    md5_only: bool,
    /// SIP requests allowed per source address: RATE (per second, bursts
    /// of 2.5 times it) or RATE:BURST, or `off` (for a trusted network, or
    /// a load generator on the same host). Phones need a few per second.
    #[arg(long, default_value = "20:50", value_parser = parse_rate_limit)]
    pub(crate) sip_rate_limit: SipRateLimit,
    /// Flow calls that may run at once in the whole PBX (the sandbox
    /// reserves their memory and stacks at start); one tenant may use half.
    /// Calls beyond get the tenant's fallback.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub(crate) flow_instances: u32,
    /// Quarantine a flow version whose runs keep being stopped for CPU or
    /// memory: STOPS:WINDOW:COOLDOWN (STOPS resource stops within WINDOW
    /// seconds, at least half its runs, give its calls the fallback for
    /// COOLDOWN seconds, doubling each time it trips again, up to 10
    /// minutes), or `off`.
    #[arg(long, default_value = "3:10:30", value_parser = parse_quarantine)]
    pub(crate) flow_quarantine: QuarantinePolicy,
}

fn parse_quarantine(s: &str) -> Result<QuarantinePolicy, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(QuarantinePolicy {
            stops: 0,
            ..QuarantinePolicy::default()
        });
    }
    let bad = || format!("`{s}`: expected STOPS:WINDOW:COOLDOWN (e.g. 3:10:30) or `off`");
    let parts: Vec<&str> = s.split(':').collect();
    let [stops, window, cooldown] = parts[..] else {
        return Err(bad());
    };
    let stops: u32 = stops.parse().map_err(|_| bad())?;
    let secs = |v: &str| -> Result<Duration, String> {
        let n: u64 = v.parse().map_err(|_| bad())?;
        (n > 0).then(|| Duration::from_secs(n)).ok_or_else(bad)
    };
    if stops == 0 {
        return Err(format!(
            "`{s}`: STOPS must be at least 1 (say `off` to turn quarantine off)"
        ));
    }
    Ok(QuarantinePolicy {
        stops,
        window: secs(window)?,
        cooldown: secs(cooldown)?,
        ..QuarantinePolicy::default()
    })
}

/// `--sip-rate-limit`: the per-source limit, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SipRateLimit(pub(crate) Option<RateLimitConfig>);

fn parse_rate_limit(s: &str) -> Result<SipRateLimit, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(SipRateLimit(None));
    }
    let (rate, burst) = match s.split_once(':') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let rate: f64 = rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| *r > 0.0 && r.is_finite())
        .ok_or_else(|| format!("`{s}`: write RATE, RATE:BURST (e.g. 20:50) or off"))?;
    let burst = match burst {
        Some(b) => b
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|b| *b >= 1)
            .ok_or_else(|| {
                format!("`{b}`: the burst must be a whole number of requests, 1 or more")
            })?,
        None => (rate * 2.5).ceil().max(1.0) as u32,
    };
    Ok(SipRateLimit(Some(RateLimitConfig {
        rate_per_sec: rate,
        burst,
        ..RateLimitConfig::default()
    })))
}

fn parse_ports(s: &str) -> Result<(u16, u16), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}`: write the range as MIN-MAX, e.g. 20000-29999"))?;
    let (a, b): (u16, u16) = (
        a.trim()
            .parse()
            .map_err(|_| format!("`{a}` is not a port"))?,
        b.trim()
            .parse()
            .map_err(|_| format!("`{b}` is not a port"))?,
    );
    if a == 0 || b <= a {
        return Err(format!("`{s}`: MIN must be above 0 and below MAX"));
    }
    Ok((a, b))
}

/// The demo tenant's extensions.
const DEMO_EXTENSIONS: [&str; 3] = ["1001", "1002", "1003"];

/// Run the PBX until Ctrl-C.
pub async fn run(args: ServeArgs) -> ExitCode {
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// A random password of 16 letters and digits.
fn password() -> String {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| CHARS[rand::random_range(0..CHARS.len())] as char)
        .collect()
}

/// On first start: the demo tenant, its admin and three extensions.
/// Returns the lines to print (and keep in the data directory).
async fn seed_demo(
    store: &Store,
    engine: &FlowEngine,
    templates: &std::path::Path,
) -> Result<Vec<String>, String> {
    let fail = |e: pbx_store::StoreError| e.to_string();
    let admin_password = password();
    let seeded = server::seed(store, "demo", &admin_password)
        .await
        .map_err(fail)?;
    let mut lines = vec![
        "demo tenant created".to_string(),
        format!(
            "  API admin: {} / {admin_password}",
            seeded.admin.spec.username
        ),
        format!("  API token: {}", seeded.admin_token),
    ];
    for number in DEMO_EXTENSIONS {
        let secret = password();
        let spec = ExtensionSpec {
            number: number.to_string(),
            display_name: format!("Demo {number}"),
            sip_username: number.to_string(),
            sip_password: secret.clone(),
            voicemail_pin: None,
            class_of_service: ClassOfService::National,
            pickup_group: None,
            call_group: None,
            forwarding: Vec::new(),
            personal_flow_id: None,
            personal_flow_params: serde_json::Value::Null,
            language: None,
        };
        store
            .create_extension("serve", seeded.tenant.id, &spec)
            .await
            .map_err(fail)?;
        lines.push(format!("  SIP extension {number} password {secret}"));
    }
    pbx::demo::seed_ivr(
        store,
        engine,
        seeded.tenant.id,
        &templates.join("office_hours.wasm"),
    )
    .await?;
    lines.push(format!(
        "  IVR: dial {} (office hours, Mon-Fri 09:00-12:00 and 13:30-17:30 Europe/London)",
        pbx::demo::IVR_NUMBER
    ));
    Ok(lines)
}

/// How many extensions all tenants have (for the start-up line).
async fn extension_count(store: &Store) -> Result<usize, String> {
    let fail = |e: pbx_store::StoreError| e.to_string();
    let mut count = 0;
    let tenants = store.list_tenants(Page::first(1000)).await.map_err(fail)?;
    for tenant in tenants.items {
        count += store
            .list_extensions(tenant.id, Page::first(1))
            .await
            .map_err(fail)?
            .total as usize;
    }
    Ok(count)
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let store = Store::open(&StoreConfig::sqlite(&args.data_dir))
        .await
        .map_err(|e| e.to_string())?;
    let first_start = store
        .list_tenants(Page::first(1))
        .await
        .map_err(|e| e.to_string())?
        .total
        == 0;
    // Compiled flows are cached on disk by content hash: a restart, or a
    // version seen before, loads in milliseconds instead of recompiling
    // (seconds for a JavaScript or Python flow).
    let engine = FlowEngine::new(
        FlowLimits {
            instances_total: args.flow_instances,
            instances_per_tenant: args.flow_instances / 2,
            quarantine: args.flow_quarantine.clone(),
            ..FlowLimits::default()
        },
        Some(args.data_dir.join("cache").join("flows")),
    )
    .map_err(|e| format!("cannot start the flow engine: {e:#}"))?;
    let notes = args.data_dir.join("demo-credentials.txt");
    if first_start {
        let templates = args.templates.clone().unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("target"))
                .join("wasm32-wasip2/flow")
        });
        let lines = seed_demo(&store, &engine, &templates).await?;
        let text = lines.join("\n") + "\n";
        std::fs::write(&notes, &text)
            .map_err(|e| format!("cannot write {}: {e}", notes.display()))?;
        print!("{text}");
    } else if let Ok(text) = std::fs::read_to_string(&notes) {
        print!("{text}");
    }
    let count = extension_count(&store).await?;
    let mirror = RegistrationMirror::new(Arc::new(StoredRegistrations::new(store.clone())));
    let calls = calls::start(&args, &store, &engine, &mirror).await?;
    // Credentials come from the routing cache, which follows the store:
    // extensions added or changed while running can register at once.
    let creds = CachedCredentials::new(calls.routing.clone(), args.realm.clone());
    let mut config = ServiceConfig::new(args.realm.clone(), Arc::new(creds), args.sip);
    config.store = Arc::new(mirror.clone());
    if args.md5_only {
        config.auth.algorithms = vec![Algorithm::Md5];
    }
    config.rate_limit = args.sip_rate_limit.0;
    config.app = Some(calls.app.clone());
    let sip = start(config)
        .await
        .map_err(|e| format!("cannot open SIP on {}: {e}", args.sip))?;
    let _control = pbx::control::serve(
        pbx::control::socket_path(&args.data_dir),
        Arc::new(LiveStatus {
            registrations: mirror.clone(),
            calls: calls.live.clone(),
        }),
    )
    .await
    .map_err(|e| e.to_string())?;
    let metrics = {
        let (metrics, live, mirror) = (calls.metrics.clone(), calls.live.clone(), mirror.clone());
        Arc::new(move || metrics.render(&live, mirror.count(std::time::SystemTime::now())))
    };
    let listener = tokio::net::TcpListener::bind(args.api)
        .await
        .map_err(|e| format!("cannot open the API on {}: {e}", args.api))?;
    let api_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let api = tokio::spawn(server::serve(
        listener,
        AppState::new(store, engine).with_metrics(metrics),
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    ));
    println!(
        "SIP on udp/tcp {} (realm {}, {count} extensions); API on http://{api_addr}/api/v1 (OpenAPI: /api/v1/openapi.json)",
        sip.udp_addr().unwrap_or(args.sip),
        args.realm
    );
    if let Some(clock) = args.clock {
        println!("clock runs from {clock}");
    }
    println!("ready; Ctrl-C stops");
    let _ = tokio::signal::ctrl_c().await;
    sip.shutdown().await;
    let _ = api.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_quarantine_parses_its_three_numbers_or_off_and_explains_a_mistake() {
        let p = parse_quarantine("5:20:60").unwrap();
        assert_eq!(
            (p.stops, p.window, p.cooldown),
            (5, Duration::from_secs(20), Duration::from_secs(60))
        );
        assert_eq!(p.max_cooldown, QuarantinePolicy::default().max_cooldown);
        assert_eq!(parse_quarantine("off").unwrap().stops, 0);
        for bad in ["3:10", "x:10:30", "3:0:30", "3:10:-1", ""] {
            let e = parse_quarantine(bad).unwrap_err();
            assert!(e.contains("STOPS:WINDOW:COOLDOWN"), "{bad}: {e}");
        }
        assert!(parse_quarantine("0:10:30").unwrap_err().contains("off"));
    }
}
