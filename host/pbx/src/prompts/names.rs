//! Checks and normal forms for the three parts of a prompt's path: tenant
//! id, language and prompt name. Every part is checked against a strict
//! character set before it is joined to a folder, which is what keeps a
//! flow-supplied name from ever escaping the prompt folders.

use super::PromptError;

/// Longest prompt name (the same rule as flow and record-field names).
pub const MAX_NAME_LEN: usize = 64;
/// Longest language tag accepted (BCP 47 tags in practice stay far below).
pub const MAX_LANGUAGE_LEN: usize = 35;

/// Checks a prompt name: 1-64 characters of `a-z`, `0-9`, `-` and `_`.
pub fn check_name(name: &str) -> Result<(), PromptError> {
    let ok = (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(PromptError::InvalidName(name.to_owned()))
    }
}

/// Checks a tenant id used as a folder name: 1-64 characters of ASCII
/// letters, digits, `-` and `_` (the store's ids are UUIDs).
pub fn check_tenant(tenant_id: &str) -> Result<(), PromptError> {
    let ok = (1..=64).contains(&tenant_id.len())
        && tenant_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(PromptError::InvalidTenant(tenant_id.to_owned()))
    }
}

/// The folder name of a language tag: lower case, `_` read as `-`
/// ("en_GB" and "en-GB" both give "en-gb"). Tags are case-insensitive, so
/// prompt folders are named in lower case.
pub fn normalize_language(language: &str) -> Result<String, PromptError> {
    let bad = || PromptError::InvalidLanguage(language.to_owned());
    if language.is_empty() || language.len() > MAX_LANGUAGE_LEN {
        return Err(bad());
    }
    let tag: String = language
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let ok = tag
        .split('-')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok { Ok(tag) } else { Err(bad()) }
}

/// The languages to try, in order: the tag itself, the tag shortened one
/// subtag at a time down to its primary subtag ("zh-hant-tw", "zh-hant",
/// "zh"), then `default`; each once. An empty `language` means the
/// default. `default` must already be normalised.
pub fn language_chain(language: &str, default: &str) -> Result<Vec<String>, PromptError> {
    let mut chain = Vec::with_capacity(3);
    if !language.is_empty() {
        let mut tag = normalize_language(language)?;
        loop {
            let shorter = tag.rfind('-').map(|i| tag[..i].to_owned());
            chain.push(tag);
            match shorter {
                Some(s) => tag = s,
                None => break,
            }
        }
    }
    if !chain.iter().any(|l| l == default) {
        chain.push(default.to_owned());
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_strict_and_cannot_escape() {
        for good in ["office-welcome", "num-0", "a", "vm_busy", &"x".repeat(64)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../etc/passwd",
            "a/b",
            "..",
            "Welcome",
            "name.wav",
            "a b",
            "é",
            "x\0",
            &"x".repeat(65),
        ] {
            let e = check_name(bad).unwrap_err();
            assert!(
                matches!(e, PromptError::InvalidName(ref n) if n == bad),
                "{bad}"
            );
            assert!(e.to_string().contains("a-z, 0-9"), "{e}");
        }
    }

    #[test]
    fn tenant_ids_cannot_escape() {
        assert!(check_tenant("0190c6f4-9f3a-7c2e-8d1b-3e4f5a6b7c8d").is_ok());
        for bad in ["", "..", "a/b", "a\\b", &"t".repeat(65)] {
            assert!(
                matches!(check_tenant(bad), Err(PromptError::InvalidTenant(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn languages_normalise_and_reject_junk() {
        assert_eq!(normalize_language("en-GB").unwrap(), "en-gb");
        assert_eq!(normalize_language("fr_CA").unwrap(), "fr-ca");
        assert_eq!(normalize_language("EN").unwrap(), "en");
        for bad in [
            "",
            "en-",
            "-en",
            "en--gb",
            "../en",
            "en/gb",
            "e n",
            &"a".repeat(36),
        ] {
            assert!(
                matches!(
                    normalize_language(bad),
                    Err(PromptError::InvalidLanguage(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn chain_goes_exact_primary_default_without_repeats() {
        assert_eq!(language_chain("en-GB", "en").unwrap(), ["en-gb", "en"]);
        assert_eq!(
            language_chain("fr-CA", "en").unwrap(),
            ["fr-ca", "fr", "en"]
        );
        assert_eq!(language_chain("fr", "en").unwrap(), ["fr", "en"]);
        assert_eq!(language_chain("en", "en").unwrap(), ["en"]);
        assert_eq!(language_chain("", "fr").unwrap(), ["fr"]);
        assert_eq!(
            language_chain("zh-Hant-TW", "en").unwrap(),
            ["zh-hant-tw", "zh-hant", "zh", "en"]
        );
        assert!(language_chain("e/n", "en").is_err());
    }
}
