//! Call records: search by number, date range, direction, outcome and
//! flow, one record with its trace, and CSV export of a search.

use crate::auth::Principal;
use crate::crud::handlers::{ItemPath, TenantPath};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::permissions::{Access, Resource};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pbx_store::{CallRecord, CallRecordId, CallRecordQuery, Direction, Outcome, Paged};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Search criteria; each one given narrows the result.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallRecordSearch {
    /// Calls where this number is the caller, the dialled number or the DID.
    pub number: Option<String>,
    /// Calls that started at or after this instant (RFC 3339, e.g. 2026-01-31T00:00:00Z).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<Utc>>,
    /// Calls that started before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
    /// inbound, outbound or internal.
    #[param(value_type = Option<String>, example = "inbound")]
    pub direction: Option<Direction>,
    /// answered, busy, no_answer, unavailable, rejected, abandoned, voicemail or failed.
    #[param(value_type = Option<String>, example = "answered")]
    pub outcome: Option<Outcome>,
    /// Calls handled by the flow of this name.
    pub flow: Option<String>,
    /// Items per page, 1 to 500 (default 50; not used by the CSV export).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Items to skip (default 0; not used by the CSV export).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

impl CallRecordSearch {
    fn query(&self) -> ApiResult<CallRecordQuery> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from >= to
        {
            return Err(ApiError::invalid(
                "to",
                "`to` must be after `from`: the range is [from, to)",
            ));
        }
        Ok(CallRecordQuery {
            number: self.number.clone(),
            from: self.from,
            to: self.to,
            direction: self.direction,
            outcome: self.outcome,
            flow_name: self.flow.clone(),
        })
    }
}

/// Search the tenant's call records, newest first.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/call-records", tag = "call-records",
    params(("tenant_id" = String, Path, description = "Tenant id"), CallRecordSearch),
    responses(
        (status = 200, description = "A page of call records", body = Object),
        (status = 400, description = "Invalid criteria", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read call records", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn search(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(search): ApiQuery<CallRecordSearch>,
) -> ApiResult<Json<Paged<CallRecord>>> {
    let tenant = principal.authorize(path.id()?, Resource::CallRecords, Access::Read)?;
    let page = PageQuery {
        limit: search.limit,
        offset: search.offset,
    }
    .validate()?;
    let query = search.query()?;
    Ok(Json(
        state
            .store
            .search_call_records(tenant, &query, page.into())
            .await?,
    ))
}

/// Export the call records matching the criteria as CSV.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/call-records/export.csv", tag = "call-records",
    params(("tenant_id" = String, Path, description = "Tenant id"), CallRecordSearch),
    responses(
        (status = 200, description = "CSV file", content_type = "text/csv", body = String),
        (status = 400, description = "Invalid criteria", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read call records", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn export(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(search): ApiQuery<CallRecordSearch>,
) -> ApiResult<Response> {
    let tenant = principal.authorize(path.id()?, Resource::CallRecords, Access::Read)?;
    let query = search.query()?;
    let csv = state.store.export_call_records_csv(tenant, &query).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"call-records.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// One call record, with its legs and the flow's trace.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/call-records/{id}", tag = "call-records",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Call record id"),
    ),
    responses(
        (status = 200, description = "The call record", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read call records", body = ErrorBody),
        (status = 404, description = "No such call record in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn read(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<Json<CallRecord>> {
    let (tenant, id) = path.ids::<CallRecordId>()?;
    let tenant = principal.authorize(tenant, Resource::CallRecords, Access::Read)?;
    Ok(Json(state.store.get_call_record(tenant, id).await?))
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(export))
        .routes(routes!(read))
}
