//! Pagination of list endpoints: `?limit=&offset=` in, a page with the
//! total out.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items one page may hold.
pub const MAX_LIMIT: u32 = 500;

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// How many items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// A validated [`PageQuery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page.
    pub limit: u32,
    /// Items skipped.
    pub offset: u64,
}

impl PageQuery {
    /// Check the bounds and apply defaults.
    pub fn validate(self) -> Result<PageRequest, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::invalid(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > i64::MAX as u64 {
            return Err(ApiError::invalid("offset", "offset is too large"));
        }
        Ok(PageRequest { limit, offset })
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: u64,
    /// The page size used.
    pub limit: u32,
    /// The offset used.
    pub offset: u64,
}

impl<T> Page<T> {
    /// A page of `items` out of `total`.
    pub fn new(items: Vec<T>, total: u64, req: PageRequest) -> Self {
        Page {
            items,
            total,
            limit: req.limit,
            offset: req.offset,
        }
    }

    /// Convert every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl From<PageRequest> for pbx_store::Page {
    fn from(r: PageRequest) -> Self {
        pbx_store::Page {
            limit: r.limit,
            offset: r.offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let r = PageQuery::default().validate().unwrap();
        assert_eq!(
            r,
            PageRequest {
                limit: 50,
                offset: 0
            }
        );
        assert!(
            PageQuery {
                limit: Some(0),
                offset: None
            }
            .validate()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: Some(501),
                offset: None
            }
            .validate()
            .is_err()
        );
        let e = PageQuery {
            limit: None,
            offset: Some(u64::MAX),
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("offset"));
    }
}
