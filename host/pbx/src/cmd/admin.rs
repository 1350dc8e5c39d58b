//! `pbx admin ...`: set a PBX up from the command line, on the same store
//! code the API uses: tenants, extensions, flows (upload with the same
//! validation as the API, activate), call records, and superadmins (the
//! only way to make one: the API never creates them).

use clap::{Args, Subcommand};
use pbx_store::repo::extensions::{ClassOfService, ExtensionSpec};
use pbx_store::repo::flows::FlowSpec;
use pbx_store::repo::tenants::{Tenant, TenantSpec};
use pbx_store::repo::users::{Role, UserSpec};
use pbx_store::{Page, Store, StoreConfig};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the store is.
#[derive(Args, Debug)]
pub struct StoreArgs {
    /// Data directory: the SQLite database `pbx.db` and the stored flow
    /// components live here.
    #[arg(long, default_value = "data", global = true)]
    data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://...`) instead of the SQLite file.
    #[arg(long, global = true)]
    database: Option<String>,
}

/// `pbx admin` subcommands.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Extensions of a tenant.
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// Call flows of a tenant.
    #[command(subcommand)]
    Flow(FlowAdminCommand),
    /// Call records of a tenant.
    #[command(subcommand)]
    Calls(CallsCommand),
    /// Superadmins: global users who manage every tenant and its limits.
    #[command(subcommand)]
    Superadmin(SuperadminCommand),
}

/// `pbx admin superadmin ...`
#[derive(Subcommand, Debug)]
pub enum SuperadminCommand {
    /// Create a superadmin (no tenant) and an API token for it; prints
    /// the password and the token, which are shown this once.
    Create {
        /// Its login name, unique PBX-wide.
        username: String,
        /// Its password (at least 10 characters); a random one when
        /// left out.
        #[arg(long)]
        password: Option<String>,
        /// The name of its API token.
        #[arg(long, default_value = "cli")]
        token_name: String,
    },
}

/// `pbx admin tenant ...`
#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Its unique name.
        name: String,
        /// Language of prompts (e.g. `en`, `fr`).
        #[arg(long, default_value = "en")]
        language: String,
        /// IANA time zone for office hours (e.g. `Europe/Paris`). Limits
        /// start at 100 concurrent calls each way, 1,000 extensions and
        /// 100 DIDs.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// List tenants.
    List,
}

/// `pbx admin extension ...`
#[derive(Subcommand, Debug)]
pub enum ExtensionCommand {
    /// Add an extension with SIP credentials (user name = number).
    Add {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The extension number, e.g. 1001.
        number: String,
        /// SIP password.
        #[arg(long)]
        password: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List a tenant's extensions.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
    },
}

/// `pbx admin flow ...`
#[derive(Subcommand, Debug)]
pub enum FlowAdminCommand {
    /// Upload a new version of a flow (created if new), after the same
    /// validation as an API upload.
    Upload {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The flow's name in the tenant, e.g. `main-ivr`.
        name: String,
        /// The component (`.wasm`).
        file: PathBuf,
        /// Make this version the one new calls run.
        #[arg(long)]
        activate: bool,
    },
    /// Make version NUMBER of a flow the one new calls run.
    Activate {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// The flow's name.
        name: String,
        /// The version number (1, 2, ...).
        number: i64,
    },
    /// List a tenant's flows and their versions.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
    },
}

/// `pbx admin calls ...`
#[derive(Subcommand, Debug)]
pub enum CallsCommand {
    /// The most recent call records.
    List {
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

/// Run `cmd` against the store of `store`.
pub async fn run(store: StoreArgs, cmd: AdminCommand) -> ExitCode {
    match execute(store, cmd).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// The actor recorded in the audit log for command-line changes.
const ACTOR: &str = "cli";

async fn open(args: &StoreArgs) -> Result<Store, String> {
    let config = match &args.database {
        Some(url) => StoreConfig::postgres(&args.data_dir, url),
        None => StoreConfig::sqlite(&args.data_dir),
    };
    Store::open(&config).await.map_err(|e| e.to_string())
}

async fn tenant_named(store: &Store, name: &str) -> Result<Tenant, String> {
    let mut page = Page::first(500);
    loop {
        let batch = store.list_tenants(page).await.map_err(|e| e.to_string())?;
        if let Some(t) = batch.items.iter().find(|t| t.spec.name == name) {
            return Ok(t.clone());
        }
        if batch.items.is_empty() || page.offset + (batch.items.len() as u64) >= batch.total {
            return Err(format!(
                "no tenant named {name:?}: list them with `pbx admin tenant list`"
            ));
        }
        page.offset += batch.items.len() as u64;
    }
}

async fn execute(args: StoreArgs, cmd: AdminCommand) -> Result<(), String> {
    let store = open(&args).await?;
    let fail = |e: pbx_store::StoreError| e.to_string();
    match cmd {
        AdminCommand::Tenant(TenantCommand::Create {
            name,
            language,
            time_zone,
        }) => {
            let spec = TenantSpec {
                name,
                max_inbound_calls: 100,
                max_outbound_calls: 100,
                max_extensions: 1000,
                max_dids: 100,
                language,
                time_zone,
                fallback_destination: None,
            };
            let t = store.create_tenant(ACTOR, &spec).await.map_err(fail)?;
            println!("created tenant {} ({})", t.spec.name, t.id);
        }
        AdminCommand::Tenant(TenantCommand::List) => {
            let page = store.list_tenants(Page::first(500)).await.map_err(fail)?;
            for t in page.items {
                println!(
                    "{}\t{}\t{}\t{}",
                    t.id, t.spec.name, t.spec.language, t.spec.time_zone
                );
            }
        }
        AdminCommand::Extension(ExtensionCommand::Add {
            tenant,
            number,
            password,
            name,
        }) => {
            let t = tenant_named(&store, &tenant).await?;
            let spec = ExtensionSpec {
                sip_username: number.clone(),
                display_name: if name.is_empty() {
                    number.clone()
                } else {
                    name
                },
                number,
                sip_password: password,
                voicemail_pin: None,
                class_of_service: ClassOfService::National,
                pickup_group: None,
                call_group: None,
                forwarding: Vec::new(),
                personal_flow_id: None,
                personal_flow_params: serde_json::Value::Null,
                language: None,
            };
            let e = store
                .create_extension(ACTOR, t.id, &spec)
                .await
                .map_err(fail)?;
            println!("added extension {} to {}", e.spec.number, t.spec.name);
        }
        AdminCommand::Extension(ExtensionCommand::List { tenant }) => {
            let t = tenant_named(&store, &tenant).await?;
            let page = store
                .list_extensions(t.id, Page::first(500))
                .await
                .map_err(fail)?;
            for e in page.items {
                println!(
                    "{}\t{}\t{}",
                    e.spec.number, e.spec.display_name, e.spec.class_of_service
                );
            }
        }
        AdminCommand::Flow(cmd) => flow(&store, cmd).await?,
        AdminCommand::Superadmin(SuperadminCommand::Create {
            username,
            password,
            token_name,
        }) => {
            let password = password.unwrap_or_else(random_password);
            let spec = UserSpec {
                tenant_id: None,
                display_name: username.clone(),
                username,
                role: Role::Superadmin,
                disabled: false,
            };
            let user = store
                .create_user(ACTOR, &spec, &password)
                .await
                .map_err(fail)?;
            let token = store
                .create_token(ACTOR, None, user.id, &token_name, None)
                .await
                .map_err(fail)?;
            println!("created superadmin {} ({})", user.spec.username, user.id);
            println!("  password: {password}");
            println!("  API token: {}", token.secret);
        }
        AdminCommand::Calls(CallsCommand::List { tenant, limit }) => {
            let t = tenant_named(&store, &tenant).await?;
            let query = Default::default();
            let page = store
                .search_call_records(t.id, &query, Page::first(limit))
                .await
                .map_err(fail)?;
            let shown = page.items.len();
            for c in page.items {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.started_at, c.caller, c.dialled, c.outcome, c.hangup_cause
                );
            }
            println!("{shown} of {} calls", page.total);
        }
    }
    Ok(())
}

/// A random password of 20 letters and digits.
fn random_password() -> String {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| CHARS[rand::random_range(0..CHARS.len())] as char)
        .collect()
}

async fn flow(store: &Store, cmd: FlowAdminCommand) -> Result<(), String> {
    let fail = |e: pbx_store::StoreError| e.to_string();
    match cmd {
        FlowAdminCommand::Upload {
            tenant,
            name,
            file,
            activate,
        } => {
            let t = tenant_named(store, &tenant).await?;
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let engine = super::flow::engine()?;
            let prepared = engine
                .prepare(&bytes)
                .await
                .map_err(|e| format!("{} refused: {e}", file.display()))?;
            let describe = super::flow::describe_json(&prepared);
            let flow = match store.find_flow_by_name(t.id, &name).await {
                Ok(f) => f,
                Err(pbx_store::StoreError::NotFound { .. }) => {
                    let spec = FlowSpec {
                        name: name.clone(),
                        description: prepared.description.description.clone(),
                    };
                    store.create_flow(ACTOR, t.id, &spec).await.map_err(fail)?
                }
                Err(e) => return Err(e.to_string()),
            };
            let version = store
                .create_flow_version(ACTOR, t.id, flow.id, &bytes, &describe)
                .await
                .map_err(fail)?;
            println!(
                "uploaded {name} version {} ({} bytes, sha256 {})",
                version.version, version.size, version.sha256
            );
            if activate {
                store
                    .activate_flow_version(ACTOR, t.id, flow.id, Some(version.id))
                    .await
                    .map_err(fail)?;
                println!("activated {name} version {}", version.version);
            }
        }
        FlowAdminCommand::Activate {
            tenant,
            name,
            number,
        } => {
            let t = tenant_named(store, &tenant).await?;
            let flow = store.find_flow_by_name(t.id, &name).await.map_err(fail)?;
            let versions = store
                .list_flow_versions(t.id, flow.id, Page::first(1000))
                .await
                .map_err(fail)?;
            let Some(v) = versions.items.iter().find(|v| v.version == number) else {
                return Err(format!(
                    "{name} has no version {number}: list them with `pbx admin flow list`"
                ));
            };
            store
                .activate_flow_version(ACTOR, t.id, flow.id, Some(v.id))
                .await
                .map_err(fail)?;
            println!("activated {name} version {number}");
        }
        FlowAdminCommand::List { tenant } => {
            let t = tenant_named(store, &tenant).await?;
            let flows = store
                .list_flows(t.id, Page::first(500))
                .await
                .map_err(fail)?;
            for f in flows.items {
                let versions = store
                    .list_flow_versions(t.id, f.id, Page::first(1000))
                    .await
                    .map_err(fail)?;
                for v in versions.items {
                    let active = if f.active_version_id == Some(v.id) {
                        " (active)"
                    } else {
                        ""
                    };
                    println!(
                        "{}\tversion {}{active}\t{} bytes",
                        f.spec.name, v.version, v.size
                    );
                }
            }
        }
    }
    Ok(())
}
