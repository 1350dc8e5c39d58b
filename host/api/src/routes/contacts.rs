//! Contacts: shared (no owner) or private to the user who made them. CRUD
//! goes through the generic handlers (see [`Contacts`]); CSV import and
//! export are here.

use crate::auth::Principal;
use crate::crud::handlers::TenantPath;
use crate::crud::{Crud, StoreResult};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ApiPath, ApiQuery, JSON_LIMIT, body_error};
use crate::permissions::{Access, Resource};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use pbx_store::{
    Contact, ContactId, ContactSpec, ImportReport, Page, Paged, Store, StoreError, TenantId, UserId,
};
use serde::Deserialize;
use std::future::Future;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Contacts, as a CRUD resource: the caller sees shared contacts and
/// their own private ones, and may make private contacts for themselves
/// only.
pub struct Contacts;

fn own_only(viewer: UserId, spec: &ContactSpec) -> StoreResult<()> {
    match spec.owner_id {
        Some(owner) if owner != viewer => Err(StoreError::invalid(
            "owner_id",
            "a private contact belongs to the user who makes it: set owner_id to your own user id, or null for a shared contact",
        )),
        _ => Ok(()),
    }
}

impl Crud for Contacts {
    type Id = ContactId;
    type Spec = ContactSpec;
    type Item = Contact;
    const SEGMENT: &'static str = "contacts";
    const NAME: &'static str = "contact";
    const RESOURCE: Resource = Resource::Contacts;

    fn example() -> serde_json::Value {
        serde_json::json!({
            "owner_id": null,
            "name": "Jane Doe",
            "number": "+33123456789",
            "email": "jane@example.com",
            "company": "Example",
            "tags": ["priority"]
        })
    }
    async fn create(
        store: &Store,
        actor: &str,
        tenant: TenantId,
        viewer: UserId,
        spec: &ContactSpec,
    ) -> StoreResult<Contact> {
        own_only(viewer, spec)?;
        store.create_contact(actor, tenant, spec).await
    }
    fn get(
        store: &Store,
        tenant: TenantId,
        viewer: UserId,
        id: ContactId,
    ) -> impl Future<Output = StoreResult<Contact>> + Send {
        store.get_contact(tenant, Some(viewer), id)
    }
    fn list(
        store: &Store,
        tenant: TenantId,
        viewer: UserId,
        page: Page,
    ) -> impl Future<Output = StoreResult<Paged<Contact>>> + Send {
        store.list_contacts(tenant, Some(viewer), page)
    }
    async fn update(
        store: &Store,
        actor: &str,
        tenant: TenantId,
        viewer: UserId,
        id: ContactId,
        spec: &ContactSpec,
    ) -> StoreResult<Contact> {
        own_only(viewer, spec)?;
        store
            .update_contact(actor, tenant, Some(viewer), id, spec)
            .await
    }
    fn delete(
        store: &Store,
        actor: &str,
        tenant: TenantId,
        viewer: UserId,
        id: ContactId,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        store.delete_contact(actor, tenant, Some(viewer), id)
    }
}

/// A CSV body (`text/csv`).
pub struct CsvBody(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        if ct.as_deref() != Some("text/csv") {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the file as the raw body with `Content-Type: text/csv` (e.g. curl --data-binary @contacts.csv)",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        if bytes.len() > JSON_LIMIT {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the CSV is over {JSON_LIMIT} bytes: split it into several imports"),
            ));
        }
        String::from_utf8(bytes.to_vec()).map(CsvBody).map_err(|_| {
            ApiError::invalid(
                "body",
                "the CSV is not UTF-8 text: save it as UTF-8 and retry",
            )
        })
    }
}

/// Who private imported contacts belong to.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Import as your private contacts instead of shared ones.
    #[serde(default)]
    pub private: bool,
}

/// Import contacts from CSV (header: name,number,email,company,tags);
/// good rows are created, bad ones reported by line.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/contacts/import", tag = "contacts",
    params(("tenant_id" = String, Path, description = "Tenant id"), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "Created contacts and per-row errors", body = Object),
        (status = 400, description = "Malformed id or CSV", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change contacts", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 413, description = "File too large", body = ErrorBody),
        (status = 415, description = "Not text/csv", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn import(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    CsvBody(text): CsvBody,
) -> ApiResult<Json<ImportReport>> {
    let tenant = principal.authorize(path.id()?, Resource::Contacts, Access::Write)?;
    let owner = query.private.then_some(principal.user_id);
    Ok(Json(
        state
            .store
            .import_contacts_csv(&principal.actor(), tenant, owner, &text)
            .await?,
    ))
}

/// Export the contacts you see as CSV.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/contacts/export.csv", tag = "contacts",
    params(("tenant_id" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "CSV file", content_type = "text/csv", body = String),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read contacts", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
) -> ApiResult<Response> {
    let tenant = principal.authorize(path.id()?, Resource::Contacts, Access::Read)?;
    let csv = state
        .store
        .export_contacts_csv(tenant, Some(principal.user_id))
        .await?;
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// The CSV routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(export))
}
