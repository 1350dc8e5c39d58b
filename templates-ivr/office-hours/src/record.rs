//! Call-record fields the template sets, kept within the contract's limits.

use pbx_flow_sdk::{Call, Error};

/// The contract's limit on a field value, in bytes.
const MAX_VALUE: usize = 1024;

/// Set field `name` to `value`, cut at a character boundary if it is longer
/// than the contract allows (holiday names and closure messages come from
/// the tenant and may be long).
pub fn set(call: &Call, name: &str, value: &str) -> Result<(), Error> {
    call.set_field(name, truncate(value, MAX_VALUE))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a
/// character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "abc");
        // "é" is two bytes: cutting inside it drops it.
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("aé", 3), "aé");
    }
}
