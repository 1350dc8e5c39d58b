//! Reading typed values out of rows, with errors that name the column.
//!
//! Queries go through `sqlx::Any`, whose value types are the portable core
//! (integers, text, booleans); ids, instants and JSON are converted here.

use std::str::FromStr;

use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::time::{Timestamp, from_ms};

fn bad(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("column {col}: {e}"))
}

/// A TEXT column.
pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String> {
    row.try_get::<String, _>(col).map_err(|e| bad(col, e))
}

/// A nullable TEXT column.
pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(col)
        .map_err(|e| bad(col, e))
}

/// A BIGINT column.
pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64> {
    row.try_get::<i64, _>(col).map_err(|e| bad(col, e))
}

/// A nullable BIGINT column.
pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    row.try_get::<Option<i64>, _>(col).map_err(|e| bad(col, e))
}

/// A boolean column, stored as BIGINT 0 or 1 on both engines.
pub(crate) fn boolean(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(int(row, col)? != 0)
}

/// A TEXT column parsed with `FromStr` (ids, enums).
pub(crate) fn parsed<T: FromStr>(row: &AnyRow, col: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text(row, col)?.parse().map_err(|e| bad(col, e))
}

/// A nullable TEXT column parsed with `FromStr`.
pub(crate) fn opt_parsed<T: FromStr>(row: &AnyRow, col: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    opt_text(row, col)?
        .map(|s| s.parse().map_err(|e| bad(col, e)))
        .transpose()
}

/// A BIGINT milliseconds column.
pub(crate) fn ts(row: &AnyRow, col: &str) -> Result<Timestamp> {
    from_ms(int(row, col)?)
}

/// A nullable BIGINT milliseconds column.
pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<Timestamp>> {
    opt_int(row, col)?.map(from_ms).transpose()
}

/// A TEXT column holding JSON.
pub(crate) fn json<T: DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T> {
    serde_json::from_str(&text(row, col)?).map_err(|e| bad(col, e))
}

/// Serializes a value for a JSON TEXT column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(format!("encoding JSON: {e}")))
}

/// The `COUNT(*)` of a row set, as the page total.
pub(crate) fn count(row: &AnyRow) -> Result<u64> {
    let n = row.try_get::<i64, _>(0).map_err(|e| bad("count", e))?;
    Ok(n.max(0) as u64)
}
