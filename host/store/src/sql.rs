//! Portable query building: positional `$n` parameters (accepted by both
//! SQLite and PostgreSQL) bound from a list of typed [`Arg`]s, and the
//! paginated select every list function uses.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool};

use crate::error::Result;
use crate::page::{Page, Paged};
use crate::row;

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Arg::OptText(s)
    }
}
impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}
impl From<Option<i64>> for Arg {
    fn from(i: Option<i64>) -> Self {
        Arg::OptInt(i)
    }
}
impl From<bool> for Arg {
    fn from(b: bool) -> Self {
        Arg::Bool(b)
    }
}

/// Binds `args` in order.
pub(crate) fn bind<'q>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    args: &'q [Arg],
) -> Query<'q, Any, AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Text(s) => q.bind(s.as_str()),
            Arg::OptText(s) => q.bind(s.as_deref()),
            Arg::Int(i) => q.bind(*i),
            Arg::OptInt(i) => q.bind(*i),
            Arg::Bool(b) => q.bind(i64::from(*b)),
        };
    }
    q
}

/// `$1, $2, ... $n` starting at `$first`.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs `SELECT COUNT(*) {from_where}` and `SELECT * {from_where} ORDER BY
/// {order} LIMIT .. OFFSET ..` with the same `args`, mapping rows with `map`.
pub(crate) async fn fetch_page<T>(
    pool: &AnyPool,
    from_where: &str,
    order: &str,
    mut args: Vec<Arg>,
    page: Page,
    map: impl Fn(&AnyRow) -> Result<T>,
) -> Result<Paged<T>> {
    page.check()?;
    let count_sql = format!("SELECT COUNT(*) {from_where}");
    let total = row::count(&bind(sqlx::query(&count_sql), &args).fetch_one(pool).await?)?;
    let n = args.len();
    let list_sql = format!(
        "SELECT * {from_where} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    args.push(Arg::Int(i64::from(page.limit)));
    args.push(Arg::Int(page.offset as i64));
    let rows = bind(sqlx::query(&list_sql), &args).fetch_all(pool).await?;
    Ok(Paged {
        items: rows.iter().map(map).collect::<Result<_>>()?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}
