//! The OpenAPI document: generated from the handlers' annotations and the
//! CRUD table, served at `/api/v1/openapi.json`.

use crate::error::{ErrorBody, ErrorCode, ErrorDetail};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Paths};
use utoipa::{Modify, OpenApi};

/// The prefix every path of the API lives under.
pub const BASE: &str = "/api/v1";

/// The static part of the document: metadata, shared schemas, security
/// schemes. Paths are added by the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "PBX admin API",
        description = "Administration of tenants, numbers, routes, flows and call records. \
            Every error is `{\"error\": {\"code\", \"message\", \"field\"}}`; see docs/api.md.",
    ),
    components(schemas(ErrorBody, ErrorDetail, ErrorCode)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sessions and the caller"),
        (name = "tokens", description = "The caller's API tokens"),
        (name = "tenants", description = "Tenants (superadmin)"),
        (name = "users", description = "Users of a tenant"),
        (name = "flows", description = "Flows, versions, simulator, activation"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut Document) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from POST /api/v1/me/tokens"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "pbx_session",
                "Set by POST /api/v1/auth/login; changes also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// Put every path of `api` under [`BASE`].
pub fn prefix_paths(api: &mut Document) {
    let old = std::mem::replace(&mut api.paths, Paths::new());
    for (path, item) in old.paths {
        api.paths.paths.insert(format!("{BASE}{path}"), item);
    }
}
