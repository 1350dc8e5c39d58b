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
    #[command(subcommand)]
    command: Command,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
