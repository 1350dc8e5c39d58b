//! Serde helper reading a date written either as a string or as a native
//! date literal of the configuration format.
//!
//! TOML users naturally write `from = 2026-08-10` (a TOML local date) as
//! well as `from = "2026-08-10"`. Format crates hand native dates to serde as
//! a single-entry map whose value is the date's text, so accepting "a string,
//! or a one-entry map with a string value" covers both without depending on
//! any particular format crate.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// Deserializes the text of a date (not yet parsed) from a string or a
/// native date value.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(DateTextVisitor)
}

/// Deserializes a full `YYYY-MM-DD` date, string or native.
pub(crate) fn deserialize_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<NaiveDate, D::Error> {
    let text = deserialize(deserializer)?;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        de::Error::custom(format!(
            "invalid date \"{text}\": expected YYYY-MM-DD, e.g. \"2026-08-10\""
        ))
    })
}

/// Same as [`deserialize`] for an optional field.
pub(crate) fn deserialize_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    deserialize(deserializer).map(Some)
}

struct DateTextVisitor;

impl<'de> Visitor<'de> for DateTextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date such as \"2026-05-15\" (or \"12-25\" for a yearly holiday)")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        let Some((_, text)) = map.next_entry::<de::IgnoredAny, String>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(text)
    }
}
