//! Field checks shared by the entities' `validate` functions.

use crate::error::{Result, StoreError};

/// A non-empty name of at most 100 characters without control characters.
pub(crate) fn name(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "is empty: give a name"));
    }
    if value.chars().count() > 100 {
        return Err(StoreError::invalid(field, "is longer than 100 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(StoreError::invalid(field, "contains control characters"));
    }
    Ok(())
}

/// A dialable number: an optional leading `+` then digits, `*` or `#`.
pub(crate) fn number(field: &str, value: &str) -> Result<()> {
    let digits = value.strip_prefix('+').unwrap_or(value);
    if digits.is_empty()
        || digits.len() > 32
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
    {
        return Err(StoreError::invalid(
            field,
            format!(
                "{value:?} is not a number: use digits, optionally with a leading +, e.g. +33123456789 or 100"
            ),
        ));
    }
    Ok(())
}

/// A BCP 47-looking language tag such as `fr` or `fr-FR`.
pub(crate) fn language(field: &str, value: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 35
        && value
            .split('-')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !ok {
        return Err(StoreError::invalid(
            field,
            format!("{value:?} is not a language tag: use e.g. en, fr or fr-FR"),
        ));
    }
    Ok(())
}

/// An IANA time zone name known to chrono-tz.
pub(crate) fn time_zone(field: &str, value: &str) -> Result<()> {
    value.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        StoreError::invalid(
            field,
            format!(
                "{value:?} is not an IANA time zone: use e.g. Europe/Paris or America/New_York"
            ),
        )
    })
}
