//! Pagination of list functions.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// Which slice of a list to return: `limit` rows after skipping `offset`.
///
/// Offset pagination, because admin lists are small and the portal shows
/// page numbers; the order of every list is stable (by a unique key), so
/// pages neither overlap nor skip rows while nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Rows per page, 1 to [`Page::MAX_LIMIT`].
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

impl Page {
    /// The largest page a caller may ask for.
    pub const MAX_LIMIT: u32 = 1000;

    /// The first `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self { limit, offset: 0 }
    }

    /// Rejects a zero or oversized limit with a message saying the range.
    pub fn check(&self) -> Result<()> {
        if self.limit == 0 || self.limit > Self::MAX_LIMIT {
            return Err(StoreError::invalid(
                "limit",
                format!(
                    "{} is out of range: use 1 to {}",
                    self.limit,
                    Self::MAX_LIMIT
                ),
            ));
        }
        if self.offset > i64::MAX as u64 {
            return Err(StoreError::invalid("offset", "too large"));
        }
        Ok(())
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::first(100)
    }
}

/// One page of a list, with the total number of rows matching the filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Rows matching the filter over all pages.
    pub total: u64,
    /// The limit that was applied.
    pub limit: u32,
    /// The offset that was applied.
    pub offset: u64,
}
