//! `pbx flow ...`: test, describe and check call flows without a PBX.

use clap::Subcommand;
use pbx_flow::bindings::{ParamKind, Value};
use pbx_flow::{FlowEngine, FlowLimits, PreparedFlow};
use pbx_simulator::Scenario;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Flow subcommands.
#[derive(Subcommand)]
pub enum FlowCommand {
    /// Run a flow against one or more scenario files and check what it did.
    /// Exits 0 when every scenario passes, 1 when one fails, 2 on bad input.
    Test {
        /// The flow component (.wasm).
        flow: PathBuf,
        /// Scenario files (.toml).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Print only the verdicts, not the traces.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Print the flow's name, version and parameter schema.
    Describe {
        /// The flow component (.wasm).
        flow: PathBuf,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the upload checks on a flow and say whether the PBX would accept it.
    Check {
        /// The flow component (.wasm).
        flow: PathBuf,
    },
    /// Create a call-flow project: source, build.sh, scenarios, README, and
    /// copies of the WIT contract and the language's SDK.
    New {
        /// The language: rust, c, cpp, zig, go, js or python.
        #[arg(long)]
        lang: String,
        /// The flow's name (a-z, 0-9 and '-'): the project is DIR/NAME.
        name: String,
        /// Where to create the project (default: the current directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Write into DIR/NAME even when it exists and is not empty.
        #[arg(long)]
        force: bool,
    },
}

/// Run a flow subcommand.
pub async fn run(cmd: FlowCommand) -> ExitCode {
    match cmd {
        FlowCommand::Test {
            flow,
            scenarios,
            quiet,
        } => test(&flow, &scenarios, quiet).await,
        FlowCommand::Describe { flow, json } => describe(&flow, json).await,
        FlowCommand::Check { flow } => match load(&flow).await {
            Ok((_, f)) => {
                println!(
                    "ok: {} {} ({} bytes, sha256 {})",
                    f.description.name, f.description.version, f.size, f.hash
                );
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        FlowCommand::New {
            lang,
            name,
            dir,
            force,
        } => super::scaffold::run(super::scaffold::Options {
            lang,
            name,
            dir,
            force,
        }),
    }
}

/// A flow engine for the command line (a few instances, 30 s per call).
pub(crate) fn engine() -> Result<FlowEngine, String> {
    let limits = FlowLimits {
        instances_total: 16,
        wall_clock_per_call: Duration::from_secs(30),
        ..FlowLimits::default()
    };
    FlowEngine::new(limits, None).map_err(|e| format!("cannot start the flow engine: {e:#}"))
}

async fn load(path: &Path) -> Result<(FlowEngine, PreparedFlow), ExitCode> {
    let fail = |m: String| {
        eprintln!("error: {m}");
        ExitCode::from(2)
    };
    let bytes =
        std::fs::read(path).map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let engine = engine().map_err(fail)?;
    let flow = engine
        .prepare(&bytes)
        .await
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    Ok((engine, flow))
}

async fn test(flow_path: &Path, scenarios: &[PathBuf], quiet: bool) -> ExitCode {
    let (engine, flow) = match load(flow_path).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (mut passed, mut failed) = (0, 0);
    for path in scenarios {
        let scenario = match Scenario::load(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let report = match pbx_simulator::run(&engine, &flow, &scenario).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        if !quiet {
            println!("== {} ({})", path.display(), scenario.description);
            for event in &report.trace.events {
                println!("{event}");
            }
            if report.trace.dropped > 0 {
                println!("   ... {} more events dropped", report.trace.dropped);
            }
            println!("   outcome: {}", report.outcome.name());
        }
        match &report.mismatch {
            None => {
                passed += 1;
                println!("PASS {}", path.display());
            }
            Some(m) => {
                failed += 1;
                println!("FAIL {}: {m}", path.display());
                println!("   actions were:");
                for (i, a) in report.actions.iter().enumerate() {
                    println!("   {:>3}. {a}", i + 1);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn describe(path: &Path, json: bool) -> ExitCode {
    let (_, flow) = match load(path).await {
        Ok(x) => x,
        Err(code) => return code,
    };
    let d = &flow.description;
    if json {
        let doc = describe_json(&flow);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("{} {}\n{}\n", d.name, d.version, d.description);
        for p in &d.params {
            let default = p
                .default
                .as_ref()
                .map(|v| format!(" = {}", value_json(v)))
                .unwrap_or_default();
            let req = if p.required { " (required)" } else { "" };
            println!(
                "  {:<20} {:<16}{default}{req}\n  {:<20} {}",
                p.name,
                kind_name(p.kind),
                "",
                p.label
            );
        }
    }
    ExitCode::SUCCESS
}

/// What a flow says about itself, as JSON (name, version, description,
/// parameter schema, hash and size): printed by `pbx flow describe --json`
/// and stored with every uploaded version.
pub(crate) fn describe_json(flow: &PreparedFlow) -> serde_json::Value {
    let d = &flow.description;
    let params: Vec<serde_json::Value> = d
        .params
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name, "label": p.label, "help": p.help,
                "kind": kind_name(p.kind), "required": p.required,
                "default": p.default.as_ref().map(value_json),
            })
        })
        .collect();
    serde_json::json!({
        "name": d.name, "version": d.version, "description": d.description,
        "params": params, "sha256": flow.hash, "size": flow.size,
    })
}

fn kind_name(k: ParamKind) -> &'static str {
    match k {
        ParamKind::Text => "text",
        ParamKind::Integer => "integer",
        ParamKind::Boolean => "boolean",
        ParamKind::Extension => "extension",
        ParamKind::Queue => "queue",
        ParamKind::VoicemailBox => "voicemail-box",
        ParamKind::Prompt => "prompt",
        ParamKind::Schedule => "schedule",
        ParamKind::HolidayCalendar => "holiday-calendar",
        ParamKind::Flag => "flag",
        ParamKind::Destination => "destination",
        ParamKind::TextList => "text-list",
    }
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Text(s) => serde_json::json!(s),
        Value::Integer(i) => serde_json::json!(i),
        Value::Boolean(b) => serde_json::json!(b),
        Value::TextList(l) => serde_json::json!(l),
    }
}
