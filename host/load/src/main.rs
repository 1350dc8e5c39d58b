//! `pbx-load`: SIP load generator for the PBX. See the crate docs and
//! `pbx-load --help`.

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};
use pbx_load::bench::{self, lab::Lab};
use pbx_load::calls::{self, CallsConfig};
use pbx_load::proc_stats::{self, Pid};
use pbx_load::register::{self, AlgorithmChoice, RegisterConfig};
use pbx_load::report::{self, PbxUsage};
use pbx_load::serve::{Accounts, start_service};
use pbx_sip::auth::Algorithm;
use std::net::SocketAddr;
use std::path::PathBuf;
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
    /// Benchmark scenarios against a `pbx serve` this tool starts and
    /// provisions (see docs/benchmarks.md).
    Bench(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// The `pbx` binary (default: the one beside this executable).
    #[arg(long, global = true)]
    pbx_bin: Option<PathBuf>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Every scenario for a few seconds at a low rate, with loose checks
    /// (what the test command runs); exit status 1 when a check fails.
    Quick,
    /// REGISTER with digest against the PBX's extensions.
    Registrations {
        /// Extensions to register.
        #[arg(long, default_value_t = 5000)]
        users: usize,
        /// Registrations per second, or `max`.
        #[arg(long, default_value = "max")]
        rate: String,
        /// Most in flight.
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
        /// Seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
    },
    /// INVITE -> the flow answers -> short prompt or none -> BYE, at
    /// rising rates.
    CallRate {
        /// Rates to try, calls per second, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [100.0, 200.0, 400.0, 800.0, 1600.0, 3200.0])]
        rates: Vec<f64>,
        /// Seconds per rate.
        #[arg(long, default_value_t = 5.0)]
        step: f64,
        /// The flow plays a short prompt and hangs up.
        #[arg(long)]
        prompt: bool,
        /// Calling extensions.
        #[arg(long, default_value_t = 200)]
        users: usize,
    },
    /// N concurrent calls hearing a prompt and sending two digits.
    Ivr {
        /// Concurrent calls to try, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [100usize, 200, 400, 800, 1600])]
        counts: Vec<usize>,
        /// Seconds over which a step's calls start.
        #[arg(long, default_value_t = 5.0)]
        ramp: f64,
        /// Seconds each caller listens before its first digit.
        #[arg(long, default_value_t = 8.0)]
        listen: f64,
    },
    /// N concurrent extension-to-extension calls with RTP both ways.
    Bridge {
        /// Concurrent calls to try, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [50usize, 100, 200, 400, 800])]
        counts: Vec<usize>,
        /// Seconds over which a step's calls start.
        #[arg(long, default_value_t = 5.0)]
        ramp: f64,
        /// Seconds each call talks.
        #[arg(long, default_value_t = 10.0)]
        talk: f64,
        /// The callee answers PCMA to the caller's PCMU.
        #[arg(long)]
        transcode: bool,
    },
    /// Calls at a fixed rate while the flow's version is switched.
    HotSwap {
        /// Calls per second.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Seconds.
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// Milliseconds between activations.
        #[arg(long, default_value_t = 1000)]
        every_ms: u64,
    },
    /// Tenant B measured alone, then beside tenant A's hostile flow.
    Noisy {
        /// Tenant B's calls per second.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// Tenant A's hostile calls per second.
        #[arg(long, default_value_t = 5.0)]
        hostile_rate: f64,
        /// Tenant A's flow misbehaviour: `loop` or `alloc`.
        #[arg(long, default_value = "loop")]
        mode: String,
        /// Seconds of each phase.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Run the PBX with `--flow-quarantine off`: the sandbox's
        /// per-call limits alone stand between A and B.
        #[arg(long)]
        no_quarantine: bool,
    },
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
        plan: Default::default(),
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

async fn run_bench(args: BenchArgs) -> Result<bool> {
    use bench::{bridge, call_rate, hot_swap, ivr, noisy, registrations, tenant};
    let secs = Duration::from_secs_f64;
    let mut checks = bench::common::Checks::default();
    let bin = args.pbx_bin;
    match args.scenario {
        Scenario::Quick => checks = bench::quick(bin).await?,
        Scenario::Registrations {
            users,
            rate,
            concurrency,
            duration,
        } => {
            let lab = Lab::start(bin, &[tenant("load", 100_000, users, "loop")]).await?;
            let opts = registrations::Registrations {
                rate: parse_rate(&rate)?,
                concurrency,
                duration: secs(duration),
            };
            registrations::run(&lab, &opts, &mut checks).await?;
        }
        Scenario::CallRate {
            rates,
            step,
            prompt,
            users,
        } => {
            let lab = Lab::start(bin, &[tenant("load", 100_000, users, "loop")]).await?;
            let opts = call_rate::CallRate {
                rates,
                step: secs(step),
                prompt,
            };
            call_rate::run(&lab, &opts, &mut checks).await?;
        }
        Scenario::Ivr {
            counts,
            ramp,
            listen,
        } => {
            let users = counts.iter().copied().max().unwrap_or(1);
            let lab = Lab::start(bin, &[tenant("load", 100_000, users, "loop")]).await?;
            let opts = ivr::Ivr {
                counts,
                ramp: secs(ramp),
                listen: secs(listen),
            };
            ivr::run(&lab, &opts, &mut checks).await?;
        }
        Scenario::Bridge {
            counts,
            ramp,
            talk,
            transcode,
        } => {
            let users = 2 * counts.iter().copied().max().unwrap_or(1);
            let lab = Lab::start(bin, &[tenant("load", 100_000, users, "loop")]).await?;
            let opts = bridge::Bridge {
                counts,
                ramp: secs(ramp),
                talk: secs(talk),
                transcode,
            };
            bridge::run(&lab, &opts, &mut checks).await?;
        }
        Scenario::HotSwap {
            rate,
            duration,
            every_ms,
        } => {
            let lab = Lab::start(bin, &[tenant("load", 100_000, 200, "loop")]).await?;
            let opts = hot_swap::HotSwap {
                rate,
                duration: secs(duration),
                every: Duration::from_millis(every_ms),
            };
            hot_swap::run(&lab, &opts, &mut checks).await?;
        }
        Scenario::Noisy {
            rate,
            hostile_rate,
            mode,
            duration,
            no_quarantine,
        } => {
            let serve_args: &[&str] = if no_quarantine {
                &["--flow-quarantine", "off"]
            } else {
                &[]
            };
            let lab = Lab::start_with(
                bin,
                &[
                    tenant("tenant-a", 100_000, 100, &mode),
                    tenant("tenant-b", 200_000, 200, "loop"),
                ],
                serve_args,
            )
            .await?;
            let opts = noisy::Noisy {
                rate,
                hostile_rate,
                duration: secs(duration),
                quarantine: !no_quarantine,
            };
            noisy::run(&lab, &opts, &mut checks).await?;
        }
    }
    if checks.failed.is_empty() {
        Ok(true)
    } else {
        eprintln!("pbx-load bench: {} check(s) failed:", checks.failed.len());
        for f in &checks.failed {
            eprintln!("  {f}");
        }
        Ok(false)
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let ok = match Cli::parse().command {
        Command::Register(args) => register(args).await?,
        Command::Calls(args) => calls(args).await?,
        Command::Serve(args) => serve(args).await?,
        Command::Bench(args) => run_bench(args).await?,
    };
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
