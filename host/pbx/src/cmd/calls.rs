//! `pbx serve`'s call model: the media engine, prompts, routing cache,
//! compiled flows, call records and observability, started before the SIP
//! service so that its router is ready for the first INVITE.

use super::serve::ServeArgs;
use pbx::call::flows::FlowCache;
use pbx::call::limits::TenantCalls;
use pbx::call::observe::Observability;
use pbx::call::tenant::RegisteredCheck;
use pbx::call::{CallDeps, CallModel, Clock, Router};
use pbx::control::RegistrationMirror;
use pbx::live::LiveCalls;
use pbx::metrics::Metrics;
use pbx::prompts::PromptLibrary;
use pbx_flow::FlowEngine;
use pbx_media::codec::Codec;
use pbx_media::prompt::cache::PromptCache;
use pbx_media::{EngineConfig, MediaEngine};
use pbx_sip::service::AppConfig;
use pbx_store::{CallRecordWriter, Page, RoutingCache, Store, WriterConfig};
use std::sync::Arc;
use std::time::SystemTime;

/// What `pbx serve` keeps of the call model.
pub struct Calls {
    /// For the SIP service.
    pub app: AppConfig,
    /// Calls in progress.
    pub live: LiveCalls,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The routing cache (SIP credentials read it too).
    pub routing: RoutingCache,
}

/// Start the call model.
pub async fn start(
    args: &ServeArgs,
    store: &Store,
    engine: &FlowEngine,
    mirror: &RegistrationMirror,
) -> Result<Calls, String> {
    let media = MediaEngine::start(EngineConfig {
        bind: args.sip.ip(),
        port_min: args.rtp_ports.0,
        port_max: args.rtp_ports.1,
        workers: 1,
        ..EngineConfig::default()
    })
    .map_err(|e| format!("cannot start media: {e}"))?;
    let library = PromptLibrary::new(
        &args.sounds,
        &args.data_dir,
        Arc::new(PromptCache::new(&Codec::ALL)),
    );
    library.check().map_err(|e| {
        format!("{e}; generate the built-in sounds with scripts/build-sounds.sh or pass --sounds")
    })?;
    let library = Arc::new(library);
    {
        // Decode the built-in prompts before the first call needs them.
        let library = library.clone();
        tokio::task::spawn_blocking(move || library.preload_builtin(&["en"]));
    }
    match library.moh_class(pbx::prompts::DEFAULT_MOH_CLASS) {
        Ok(class) => media.add_moh_class(class),
        Err(e) => tracing::warn!(error = %e, "no music on hold"),
    }
    let routing = RoutingCache::load(store)
        .await
        .map_err(|e| format!("cannot load routing: {e}"))?;
    let flows = FlowCache::new(engine.clone(), store.clone());
    warm(&flows, &routing, store).await;
    {
        // Prepare newly activated versions before their first call.
        let (flows, routing, store) = (flows.clone(), routing.clone(), store.clone());
        let mut changes = store.subscribe();
        tokio::spawn(async move {
            use pbx_store::ChangeKind;
            loop {
                match changes.recv().await {
                    // Only flows, their versions and routes change what
                    // must be compiled (not key-value writes, flags, ...).
                    Ok(c)
                        if !matches!(
                            c.kind,
                            ChangeKind::Flow
                                | ChangeKind::FlowVersion
                                | ChangeKind::InboundRoute
                                | ChangeKind::Tenant
                        ) =>
                    {
                        continue;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    _ => {}
                }
                // Let the routing cache apply the change first.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                warm(&flows, &routing, &store).await;
            }
        });
    }
    let calls = TenantCalls::new();
    let metrics = Metrics::new();
    let router = Router::new(routing.clone(), calls.clone()).on_reject({
        let metrics = metrics.clone();
        Arc::new(move |reason| metrics.call_rejected(reason))
    });
    let registered: RegisteredCheck = {
        let mirror = mirror.clone();
        Arc::new(move |user: &str| {
            let prefix = format!("sip:{user}@");
            mirror
                .bindings(SystemTime::now())
                .iter()
                .any(|b| b.aor.starts_with(&prefix))
        })
    };
    let live = LiveCalls::new();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let model = Arc::new(CallModel {
        deps: Arc::new(CallDeps {
            media,
            prompts: library,
            store: store.clone(),
            data_dir: args.data_dir.clone(),
        }),
        router: router.clone(),
        flows,
        store: store.clone(),
        clock: args.clock.map(Clock::starting_at).unwrap_or_default(),
        calls,
        records: CallRecordWriter::spawn(store.clone(), WriterConfig::default()),
        registered,
        observer: Some(Arc::new(Observability::new(live.clone(), metrics.clone()))),
    });
    model.spawn(rx);
    Ok(Calls {
        app: AppConfig {
            router: Arc::new(router),
            calls: tx,
        },
        live,
        metrics,
        routing,
    })
}

async fn warm(flows: &FlowCache, routing: &RoutingCache, store: &Store) {
    match store.list_tenants(Page::first(1000)).await {
        Ok(page) => {
            let ids: Vec<_> = page.items.iter().map(|t| t.id).collect();
            flows.warm(routing, &ids).await;
        }
        Err(e) => tracing::warn!(error = %e, "flows not prepared"),
    }
}
