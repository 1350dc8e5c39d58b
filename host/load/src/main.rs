//! `pbx-load`: SIP load generator for the PBX. See the crate docs and
//! `pbx-load --help`.

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};
use pbx_load::calls::{self, CallsConfig};
use pbx_load::proc_stats::{self, Pid};
use pbx_load::register::{self, AlgorithmChoice, RegisterConfig};
use pbx_load::report::{self, PbxUsage};
use pbx_load::serve::{Accounts, start_service};
use pbx_sip::auth::Algorithm;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pbx-load", about = "SIP load generator for the PBX")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// REGISTER storm with digest authentication.
    Register(RegisterArgs),
    /// Basic calls through the B2BUA: half the users are callees answered
    /// by this tool, the other half call them.
    Calls(CallsArgs),
    /// Run only the SIP service with generated accounts (the server side of
    /// a two-process benchmark).
    Serve(ServeArgs),
}

#[derive(Args, Clone)]
struct AccountArgs {
    /// Number of accounts.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Number of the first account (accounts are FIRST, FIRST+1, ...).
    #[arg(long, default_value_t = 100_000)]
    first_user: u32,
    /// Password of every account.
    #[arg(long, default_value = "loadtest")]
    password: String,
    /// Realm (also the SIP domain).
    #[arg(long, default_value = "pbx.test")]
    realm: String,
}

impl AccountArgs {
    fn accounts(&self) -> Accounts {
        Accounts {
            users: self.users,
            first_user: self.first_user,
            password: self.password.clone(),
            realm: self.realm.clone(),
        }
    }
}

#[derive(Args)]
struct RegisterArgs {
    #[command(flatten)]
    accounts: AccountArgs,
    /// The registrar's UDP address (ignored with --spawn-pbx).
    #[arg(long, default_value = "127.0.0.1:5060")]
    target: SocketAddr,
    /// Registrations started per second (`2000` or `2000/s`), or `max`
    /// for as fast as --concurrency allows.
    #[arg(long, default_value = "max")]
    rate: String,
    /// Most registrations in flight at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Seconds to keep starting registrations.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Number of UDP source sockets.
    #[arg(long, default_value_t = 4)]
    sources: usize,
    /// Digest algorithm: auto (the server's first offer), md5, sha-256.
    #[arg(long, default_value = "auto")]
    algorithm: String,
    /// Expires asked for.
    #[arg(long, default_value_t = 3600)]
    expires: u32,
    /// Start the SIP service in this process on 127.0.0.1:0 and aim at it
    /// (CPU figures then include the load generator).
    #[arg(long, conflicts_with = "pbx_pid")]
    spawn_pbx: bool,
    /// PID of the PBX process, to report its CPU time and RSS.
    #[arg(long)]
    pbx_pid: Option<u32>,
    /// Exit with status 1 when failed/attempted exceeds this.
    #[arg(long, default_value_t = 0.01)]
    max_failure_ratio: f64,
}

#[derive(Args)]
struct CallsArgs {
    #[command(flatten)]
    accounts: AccountArgs,
    /// The PBX's UDP address (ignored with --spawn-pbx).
    #[arg(long, default_value = "127.0.0.1:5060")]
    target: SocketAddr,
    /// Calls started per second (`50` or `50/s`).
    #[arg(long, default_value = "50")]
    rate: String,
    /// Seconds to keep starting calls.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Milliseconds between the caller's ACK and its BYE.
    #[arg(long, default_value_t = 0)]
    hold_ms: u64,
    /// Most calls in flight at once.
    #[arg(long, default_value_t = 2000)]
    concurrency: usize,
    /// Number of caller UDP sockets (and as many callee UAS sockets).
    #[arg(long, default_value_t = 4)]
    sources: usize,
    /// Start the SIP service in this process on 127.0.0.1:0 and aim at it
    /// (CPU figures then include the load generator).
    #[arg(long, conflicts_with = "pbx_pid")]
    spawn_pbx: bool,
    /// PID of the PBX process, to report its CPU time and RSS.
    #[arg(long)]
    pbx_pid: Option<u32>,
    /// Exit with status 1 when failed/attempted calls exceed this.
    #[arg(long, default_value_t = 0.01)]
    max_failure_ratio: f64,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    accounts: AccountArgs,
    /// UDP and TCP address to listen on.
    #[arg(long, default_value = "127.0.0.1:5070")]
    bind: SocketAddr,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    duration: Option<f64>,
}

fn parse_rate(s: &str) -> Result<Option<f64>> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("max") {
        return Ok(None);
    }
    let n: f64 = s.trim_end_matches("/s").parse()?;
    if !(n > 0.0 && n.is_finite()) {
        bail!("--rate must be positive or `max`");
    }
    Ok(Some(n))
}

fn parse_algorithm(s: &str) -> Result<AlgorithmChoice> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(AlgorithmChoice::Auto);
    }
    match Algorithm::from_token(s) {
        Some(a) => Ok(AlgorithmChoice::Only(a)),
        None => bail!("--algorithm must be auto, md5 or sha-256"),
    }
}

async fn register(args: RegisterArgs) -> Result<bool> {
    let accounts = args.accounts.accounts();
    let service = if args.spawn_pbx {
        Some(start_service(&accounts, "127.0.0.1:0".parse()?).await?)
    } else {
        None
    };
    let target = match &service {
        Some(s) => s.udp_addr().expect("a UDP address"),
        None => args.target,
    };
    let config = RegisterConfig {
        target,
        users: accounts.users,
        first_user: accounts.first_user,
        password: accounts.password,
        realm: accounts.realm,
        rate: parse_rate(&args.rate)?,
        concurrency: args.concurrency,
        duration: Duration::from_secs_f64(args.duration),
        sources: args.sources,
        algorithm: parse_algorithm(&args.algorithm)?,
        expires: args.expires,
    };
    let watched = match (args.pbx_pid, args.spawn_pbx) {
        (Some(pid), _) => Some((Pid::Other(pid), format!("pid {pid}"))),
        (None, true) => Some((
            Pid::OwnProcess,
            "in-process service; CPU and RSS INCLUDE the load generator".to_string(),
        )),
        (None, false) => None,
    };
    let before = match &watched {
        Some((pid, _)) => Some(proc_stats::sample(*pid)?),
        None => None,
    };
    eprintln!(
        "pbx-load: REGISTER storm against {target}: {} users, rate {}, concurrency {}, {} s, {} sources",
        config.users, args.rate, config.concurrency, args.duration, config.sources
    );
    let result = register::run(config).await?;
    let usage = match (watched, before) {
        (Some((pid, label)), Some(before)) => Some(PbxUsage {
            label,
            before,
            after: proc_stats::sample(pid)?,
        }),
        _ => None,
    };
    print!("{}", report::render(&result, usage.as_ref()));
    if let Some(s) = service {
        let st = s.stats();
        println!(
            "service counters: requests {}, challenged {}, registered {}, forbidden {}",
            st.requests, st.challenged, st.registered, st.forbidden
        );
        s.shutdown().await;
    }
    let failure_ratio = 1.0 - result.success_ratio();
    if failure_ratio > args.max_failure_ratio {
        eprintln!(
            "pbx-load: failure ratio {failure_ratio:.4} exceeds --max-failure-ratio {}",
            args.max_failure_ratio
        );
        return Ok(false);
    }
    Ok(true)
}

fn watched(pbx_pid: Option<u32>, spawn_pbx: bool) -> Option<(Pid, String)> {
    match (pbx_pid, spawn_pbx) {
        (Some(pid), _) => Some((Pid::Other(pid), format!("pid {pid}"))),
        (None, true) => Some((
            Pid::OwnProcess,
            "in-process service; CPU and RSS INCLUDE the load generator".to_string(),
        )),
        (None, false) => None,
    }
}

async fn calls(args: CallsArgs) -> Result<bool> {
    let accounts = args.accounts.accounts();
    let service = if args.spawn_pbx {
        Some(start_service(&accounts, "127.0.0.1:0".parse()?).await?)
    } else {
        None
    };
    let target = match &service {
        Some(s) => s.udp_addr().expect("a UDP address"),
        None => args.target,
    };
    let Some(rate) = parse_rate(&args.rate)? else {
        bail!("calls need a numeric --rate");
    };
    let config = CallsConfig {
        target,
        users: accounts.users,
        first_user: accounts.first_user,
        password: accounts.password,
        realm: accounts.realm,
        rate,
        duration: Duration::from_secs_f64(args.duration),
        hold: Duration::from_millis(args.hold_ms),
        concurrency: args.concurrency,
        sources: args.sources,
    };
    let watched = watched(args.pbx_pid, args.spawn_pbx);
    eprintln!(
        "pbx-load: calls against {target}: {} users ({} callees), rate {rate}/s, {} s, hold {} ms",
        config.users,
        config.users / 2,
        args.duration,
        args.hold_ms
    );
    // The CPU window starts after the callees are registered.
    let result = calls::run_with(config, || match &watched {
        Some((pid, _)) => proc_stats::sample(*pid).map(Some),
        None => Ok(None),
    })
    .await?;
    let (result, before) = result;
    let usage = match (watched, before) {
        (Some((pid, label)), Some(before)) => Some(PbxUsage {
            label,
            before,
            after: proc_stats::sample(pid)?,
        }),
        _ => None,
    };
    print!("{}", calls::render(&result, usage.as_ref()));
    if let Some(s) = service {
        println!(
            "service: live calls {}, call records {}",
            s.live_calls(),
            s.calls().len()
        );
        s.shutdown().await;
    }
    let failure_ratio = result.failure_ratio();
    if failure_ratio > args.max_failure_ratio {
        eprintln!(
            "pbx-load: failure ratio {failure_ratio:.4} exceeds --max-failure-ratio {}",
            args.max_failure_ratio
        );
        return Ok(false);
    }
    Ok(true)
}

async fn serve(args: ServeArgs) -> Result<bool> {
    let service = start_service(&args.accounts.accounts(), args.bind).await?;
    println!(
        "pbx-load serve: pid {}, UDP {}, {} users in realm {}",
        std::process::id(),
        service
            .udp_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        args.accounts.users,
        args.accounts.realm
    );
    match args.duration {
        Some(s) => tokio::time::sleep(Duration::from_secs_f64(s)).await,
        None => std::future::pending::<()>().await,
    }
    let st = service.stats();
    println!(
        "pbx-load serve: requests {}, challenged {}, registered {}, forbidden {}",
        st.requests, st.challenged, st.registered, st.forbidden
    );
    service.shutdown().await;
    Ok(true)
}

#[tokio::main]
async fn main() -> Result<()> {
    let ok = match Cli::parse().command {
        Command::Register(args) => register(args).await?,
        Command::Calls(args) => calls(args).await?,
        Command::Serve(args) => serve(args).await?,
    };
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
