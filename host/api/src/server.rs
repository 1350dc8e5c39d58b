//! Serving the API on a socket, and seeding a fresh store with a tenant and
//! its admin (for a first start, the demo server and the tests).

use crate::state::AppState;
use pbx_store::{Role, Store, Tenant, TenantSpec, User, UserSpec};
use tokio::net::TcpListener;

/// Serve the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, crate::router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// What [`seed`] created.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The tenant.
    pub tenant: Tenant,
    /// Its admin.
    pub admin: User,
    /// An API token of the admin (its secret).
    pub admin_token: String,
}

/// Create tenant `name` with an admin `<name>-admin` (password
/// `password`) and an API token for that admin.
pub async fn seed(
    store: &Store,
    name: &str,
    password: &str,
) -> Result<Seeded, pbx_store::StoreError> {
    let tenant = store
        .create_tenant(
            "seed",
            &TenantSpec {
                name: name.to_string(),
                max_inbound_calls: 10,
                max_outbound_calls: 10,
                max_extensions: 100,
                max_dids: 20,
                language: "en-GB".into(),
                time_zone: "Europe/London".into(),
                fallback_destination: None,
            },
        )
        .await?;
    let admin = store
        .create_user(
            "seed",
            &UserSpec {
                tenant_id: Some(tenant.id),
                username: format!("{name}-admin"),
                display_name: format!("{name} admin"),
                role: Role::TenantAdmin,
                disabled: false,
            },
            password,
        )
        .await?;
    let token = store
        .create_token("seed", Some(tenant.id), admin.id, "seed", None)
        .await?;
    Ok(Seeded {
        tenant,
        admin,
        admin_token: token.secret,
    })
}
