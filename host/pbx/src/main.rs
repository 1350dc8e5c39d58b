//! The `pbx` command.
//!
//! `pbx flow test FLOW.wasm SCENARIO.toml...` runs a call flow against
//! scripted calls (the simulator); `pbx flow describe FLOW.wasm` prints
//! what a flow says about itself; `pbx flow check FLOW.wasm` runs the
//! upload validation; `pbx admin ...` sets up tenants, extensions and
//! flows and lists call records in the store; `pbx status` shows the
//! registrations and calls of a running `pbx serve`.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The Wasm-scripted PBX.
#[derive(Parser)]
#[command(name = "pbx", version, about)]
struct Cli {
    /// Log line format on stderr: `text` for people, `json` (one object
    /// per line, with the span fields such as tenant and call id) for log
    /// collectors. Verbosity comes from RUST_LOG (default `warn`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// `--log-format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Install the global `tracing` subscriber: RUST_LOG filtering (default
/// `warn`), stderr, in `format`.
fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // The fields of the spans around an event (the call's tenant and
        // id) go in each line's "span" (innermost) and "spans" members.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Work with call flows (WebAssembly components).
    #[command(subcommand)]
    Flow(cmd::flow::FlowCommand),
    /// Run the PBX: SIP, the admin API, and on first start a demo tenant
    /// with three extensions (credentials printed).
    Serve(cmd::serve::ServeArgs),
    /// Set the PBX up: tenants, extensions, flows, call records (in the
    /// data directory's database, or PostgreSQL with --database).
    Admin {
        #[command(flatten)]
        store: cmd::admin::StoreArgs,
        #[command(subcommand)]
        command: cmd::admin::AdminCommand,
    },
    /// Show what a running `pbx serve` is doing: registrations and calls
    /// in progress (asks it over <data_dir>/pbx.sock).
    Status(cmd::status::StatusArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Flow(c) => cmd::flow::run(c).await,
            Command::Admin { store, command } => cmd::admin::run(store, command).await,
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Status(args) => cmd::status::run(args).await,
        }
    })
}
