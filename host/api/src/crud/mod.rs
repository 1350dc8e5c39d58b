//! Create, read, list, replace and delete for every tenant-scoped entity,
//! written once.
//!
//! Each entity implements [`Crud`] by naming the store's five functions
//! for it (see the [`crud_resource!`](crate::crud_resource) macro and
//! `resources.rs`); the handlers, the routes and the OpenAPI operations
//! are generic over it. Every handler resolves the caller's tenant first
//! and passes it to the store, which filters every statement by it: a
//! row of another tenant is a 404, exactly like a missing one.

pub mod doc;
pub mod handlers;

use crate::permissions::Resource;
use pbx_store::{Page as StorePage, Paged, Store, StoreError, TenantId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Display;
use std::future::Future;
use std::str::FromStr;

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// One tenant-scoped entity as the API serves it.
pub trait Crud: Send + Sync + 'static {
    /// The entity's typed id.
    type Id: FromStr<Err = StoreError> + Copy + Send + Sync + Display + 'static;
    /// What a client sends to create or replace one.
    type Spec: DeserializeOwned + Serialize + Send + Sync + 'static;
    /// What the API returns.
    type Item: Serialize + Send + Sync + 'static;
    /// URL segment under `/tenants/{tenant_id}/`, e.g. `extensions`.
    const SEGMENT: &'static str;
    /// Singular name for messages and docs, e.g. `extension`.
    const NAME: &'static str;
    /// Permission family.
    const RESOURCE: Resource;

    /// A valid spec as JSON, for the OpenAPI example and the tests.
    fn example() -> serde_json::Value;
    /// Create. `viewer` is the caller: entities with private rows
    /// (contacts) show and change only what the caller may see.
    fn create(
        store: &Store,
        actor: &str,
        tenant: TenantId,
        viewer: UserId,
        spec: &Self::Spec,
    ) -> impl Future<Output = StoreResult<Self::Item>> + Send;
    /// Read one.
    fn get(
        store: &Store,
        tenant: TenantId,
        viewer: UserId,
        id: Self::Id,
    ) -> impl Future<Output = StoreResult<Self::Item>> + Send;
    /// List a page.
    fn list(
        store: &Store,
        tenant: TenantId,
        viewer: UserId,
        page: StorePage,
    ) -> impl Future<Output = StoreResult<Paged<Self::Item>>> + Send;
    /// Replace.
    fn update(
        store: &Store,
        actor: &str,
        tenant: TenantId,
        viewer: UserId,
        id: Self::Id,
        spec: &Self::Spec,
    ) -> impl Future<Output = StoreResult<Self::Item>> + Send;
    /// Delete.
    fn delete(
        store: &Store,
        actor: &str,
        tenant: TenantId,
        viewer: UserId,
        id: Self::Id,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Implement [`Crud`] for a marker type by naming the store's functions.
#[macro_export]
macro_rules! crud_resource {
    (
        $(#[$doc:meta])*
        $marker:ident {
            segment: $segment:literal,
            name: $name:literal,
            resource: $resource:expr,
            id: $id:ty,
            spec: $spec:ty,
            item: $item:ty,
            store: ($create:ident, $get:ident, $list:ident, $update:ident, $delete:ident),
            example: $example:expr $(,)?
        }
    ) => {
        $(#[$doc])*
        pub struct $marker;

        impl $crate::crud::Crud for $marker {
            type Id = $id;
            type Spec = $spec;
            type Item = $item;
            const SEGMENT: &'static str = $segment;
            const NAME: &'static str = $name;
            const RESOURCE: $crate::permissions::Resource = $resource;

            fn example() -> serde_json::Value {
                $example
            }
            fn create(
                store: &pbx_store::Store,
                actor: &str,
                tenant: pbx_store::TenantId,
                _viewer: pbx_store::UserId,
                spec: &Self::Spec,
            ) -> impl std::future::Future<Output = $crate::crud::StoreResult<Self::Item>> + Send {
                store.$create(actor, tenant, spec)
            }
            fn get(
                store: &pbx_store::Store,
                tenant: pbx_store::TenantId,
                _viewer: pbx_store::UserId,
                id: Self::Id,
            ) -> impl std::future::Future<Output = $crate::crud::StoreResult<Self::Item>> + Send {
                store.$get(tenant, id)
            }
            fn list(
                store: &pbx_store::Store,
                tenant: pbx_store::TenantId,
                _viewer: pbx_store::UserId,
                page: pbx_store::Page,
            ) -> impl std::future::Future<
                Output = $crate::crud::StoreResult<pbx_store::Paged<Self::Item>>,
            > + Send {
                store.$list(tenant, page)
            }
            fn update(
                store: &pbx_store::Store,
                actor: &str,
                tenant: pbx_store::TenantId,
                _viewer: pbx_store::UserId,
                id: Self::Id,
                spec: &Self::Spec,
            ) -> impl std::future::Future<Output = $crate::crud::StoreResult<Self::Item>> + Send {
                store.$update(actor, tenant, id, spec)
            }
            fn delete(
                store: &pbx_store::Store,
                actor: &str,
                tenant: pbx_store::TenantId,
                _viewer: pbx_store::UserId,
                id: Self::Id,
            ) -> impl std::future::Future<Output = $crate::crud::StoreResult<()>> + Send {
                store.$delete(actor, tenant, id)
            }
        }
    };
}

/// What the tests and tools need to know of a CRUD resource without its
/// types: where it lives and a valid body.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    /// URL segment under `/api/v1/tenants/{tenant_id}/`.
    pub segment: &'static str,
    /// Singular name.
    pub name: &'static str,
    /// A valid create body.
    pub example: serde_json::Value,
    /// Fields of the example that must hold the id of another resource of
    /// the same tenant: `(JSON pointer, segment to create it in)`.
    pub needs: &'static [(&'static str, &'static str)],
}

impl ResourceInfo {
    /// The info of `R`.
    pub fn of<R: Crud>(needs: &'static [(&'static str, &'static str)]) -> Self {
        ResourceInfo {
            segment: R::SEGMENT,
            name: R::NAME,
            example: R::example(),
            needs,
        }
    }
}
