//! The five generic handlers and their routes.

use super::Crud;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::permissions::Access;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use pbx_store::{Paged, TenantId};
use serde::Deserialize;

/// `{tenant_id}` of a collection path.
#[derive(Debug, Deserialize)]
pub struct TenantPath {
    /// The tenant's id, as sent.
    pub tenant_id: String,
}

impl TenantPath {
    /// The parsed id.
    pub fn id(&self) -> ApiResult<TenantId> {
        Ok(self.tenant_id.parse::<TenantId>()?)
    }
}

/// `{tenant_id}` and `{id}` of an item path.
#[derive(Debug, Deserialize)]
pub struct ItemPath {
    /// The tenant's id, as sent.
    pub tenant_id: String,
    /// The item's id, as sent.
    pub id: String,
}

impl ItemPath {
    /// The parsed ids.
    pub fn ids<I: std::str::FromStr<Err = pbx_store::StoreError>>(
        &self,
    ) -> ApiResult<(TenantId, I)> {
        Ok((self.tenant_id.parse::<TenantId>()?, self.id.parse::<I>()?))
    }
}

async fn list<R: Crud>(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<R::Item>>> {
    let tenant = principal.authorize(path.id()?, R::RESOURCE, Access::Read)?;
    let page = query.validate()?;
    Ok(Json(
        R::list(&state.store, tenant, principal.user_id, page.into()).await?,
    ))
}

async fn create<R: Crud>(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiJson(spec): ApiJson<R::Spec>,
) -> ApiResult<(StatusCode, Json<R::Item>)> {
    let tenant = principal.authorize(path.id()?, R::RESOURCE, Access::Write)?;
    let item = R::create(
        &state.store,
        &principal.actor(),
        tenant,
        principal.user_id,
        &spec,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

async fn read<R: Crud>(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<Json<R::Item>> {
    let (tenant, id) = path.ids::<R::Id>()?;
    let tenant = principal.authorize(tenant, R::RESOURCE, Access::Read)?;
    Ok(Json(
        R::get(&state.store, tenant, principal.user_id, id).await?,
    ))
}

async fn replace<R: Crud>(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
    ApiJson(spec): ApiJson<R::Spec>,
) -> ApiResult<Json<R::Item>> {
    let (tenant, id) = path.ids::<R::Id>()?;
    let tenant = principal.authorize(tenant, R::RESOURCE, Access::Write)?;
    Ok(Json(
        R::update(
            &state.store,
            &principal.actor(),
            tenant,
            principal.user_id,
            id,
            &spec,
        )
        .await?,
    ))
}

async fn remove<R: Crud>(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<StatusCode> {
    let (tenant, id) = path.ids::<R::Id>()?;
    let tenant = principal.authorize(tenant, R::RESOURCE, Access::Write)?;
    R::delete(
        &state.store,
        &principal.actor(),
        tenant,
        principal.user_id,
        id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The collection path of `R`, in axum's syntax.
pub fn collection_path<R: Crud>() -> String {
    format!("/tenants/{{tenant_id}}/{}", R::SEGMENT)
}

/// The item path of `R`, in axum's syntax.
pub fn item_path<R: Crud>() -> String {
    format!("/tenants/{{tenant_id}}/{}/{{id}}", R::SEGMENT)
}

/// Add `R`'s routes to `router`.
pub fn routes<R: Crud>(router: Router<AppState>) -> Router<AppState> {
    router
        .route(&collection_path::<R>(), get(list::<R>).post(create::<R>))
        .route(
            &item_path::<R>(),
            get(read::<R>).put(replace::<R>).delete(remove::<R>),
        )
}
