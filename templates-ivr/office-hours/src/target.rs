//! Where a menu key or an incident flag sends the caller, written as text
//! in the route's parameters: `extension:1001`, `queue:support`,
//! `voicemail:1001`, and for incident flags also `prompt:office-incident`.
//!
//! The long spellings are the template's own; the short ones of the
//! contract's `destination` kind (`ext:`, `vm:`) are accepted too, so that a
//! value picked in the portal's destination field reads the same. Anything
//! else is refused with a message that lists what is allowed: a typo in a
//! parameter must not silently turn a key into "invalid choice".

use std::fmt;

/// A place the template can send a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Ring this extension; on busy or no answer, its voicemail box.
    Extension(String),
    /// Wait in this queue; when the queue cannot take the call, voicemail.
    Queue(String),
    /// Leave a message in this box.
    Voicemail(String),
    /// Play this prompt, then say goodbye (incident flags only).
    Prompt(String),
}

/// Which targets a parameter allows: menu keys route somewhere, incident
/// flags may also just play a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// `extension`, `queue`, `voicemail`.
    Destinations,
    /// The destinations and `prompt`.
    DestinationsOrPrompt,
}

/// A target text that could not be read. The message says what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
    /// What the parameter accepts.
    pub allowed: Allowed,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let forms = match self.allowed {
            Allowed::Destinations => "extension:NUMBER, queue:NAME or voicemail:BOX",
            Allowed::DestinationsOrPrompt => {
                "prompt:NAME, extension:NUMBER, queue:NAME or voicemail:BOX"
            }
        };
        write!(f, "`{}`: {}; write {forms}", self.text, self.reason)
    }
}

impl std::error::Error for TargetError {}

impl Target {
    /// Read `text` as one of the `allowed` targets.
    ///
    /// The kind and the name are separated by one colon, with no spaces
    /// around it; names are 1-64 characters of letters, digits, `-`, `_`,
    /// `.` and `+` (extension numbers also take only digits, `*` and `#`).
    pub fn parse(text: &str, allowed: Allowed) -> Result<Target, TargetError> {
        let err = |reason: &str| TargetError {
            text: text.to_string(),
            reason: reason.to_string(),
            allowed,
        };
        let (kind, name) = text
            .split_once(':')
            .ok_or_else(|| err("no kind before a colon"))?;
        if name.is_empty() {
            return Err(err("nothing after the colon"));
        }
        if name.len() > 64 {
            return Err(err("the name is longer than 64 characters"));
        }
        let name_ok = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'));
        let target = match kind {
            "extension" | "ext" => {
                if !name
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    return Err(err("an extension number has only digits, * and #"));
                }
                Target::Extension(name.to_string())
            }
            "queue" if name_ok => Target::Queue(name.to_string()),
            "voicemail" | "vm" if name_ok => Target::Voicemail(name.to_string()),
            "prompt" if name_ok && allowed == Allowed::DestinationsOrPrompt => {
                Target::Prompt(name.to_string())
            }
            "prompt" if name_ok => return Err(err("a menu key cannot just play a prompt")),
            "queue" | "voicemail" | "vm" | "prompt" => {
                return Err(err(
                    "the name has a character other than letters, digits, - _ . +",
                ));
            }
            _ => return Err(err("unknown kind")),
        };
        Ok(target)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Extension(n) => write!(f, "extension:{n}"),
            Target::Queue(n) => write!(f, "queue:{n}"),
            Target::Voicemail(n) => write!(f, "voicemail:{n}"),
            Target::Prompt(n) => write!(f, "prompt:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_short_spellings_read_the_same() {
        let d = Allowed::Destinations;
        assert_eq!(
            Target::parse("extension:1001", d),
            Ok(Target::Extension("1001".into()))
        );
        assert_eq!(
            Target::parse("ext:1001", d),
            Ok(Target::Extension("1001".into()))
        );
        assert_eq!(
            Target::parse("queue:support", d),
            Ok(Target::Queue("support".into()))
        );
        assert_eq!(
            Target::parse("voicemail:1001", d),
            Ok(Target::Voicemail("1001".into()))
        );
        assert_eq!(
            Target::parse("vm:sales-box", d),
            Ok(Target::Voicemail("sales-box".into()))
        );
    }

    #[test]
    fn display_gives_back_the_long_spelling() {
        for text in [
            "extension:1001",
            "queue:support",
            "voicemail:1001",
            "prompt:x",
        ] {
            let t = Target::parse(text, Allowed::DestinationsOrPrompt).unwrap();
            assert_eq!(t.to_string(), text);
        }
        assert_eq!(
            Target::parse("ext:7", Allowed::Destinations)
                .unwrap()
                .to_string(),
            "extension:7"
        );
    }

    #[test]
    fn prompts_only_where_allowed() {
        assert_eq!(
            Target::parse("prompt:office-incident", Allowed::DestinationsOrPrompt),
            Ok(Target::Prompt("office-incident".into()))
        );
        let e = Target::parse("prompt:office-incident", Allowed::Destinations).unwrap_err();
        assert!(e.reason.contains("menu key"), "{e}");
        assert!(!e.to_string().contains("prompt:NAME"), "{e}");
    }

    #[test]
    fn malformed_texts_are_refused_with_the_accepted_forms() {
        let bad = [
            ("1001", "no kind"),
            ("extension:", "nothing after"),
            ("extension:10a1", "only digits"),
            ("Extension:1001", "unknown kind"),
            ("fax:1001", "unknown kind"),
            ("queue:sup port", "character"),
            (" queue:support", "unknown kind"),
            ("queue: support", "character"),
            ("tel:+441234", "unknown kind"),
        ];
        for (text, reason) in bad {
            let e = Target::parse(text, Allowed::Destinations).unwrap_err();
            assert!(e.reason.contains(reason), "{text}: {e}");
            assert!(
                e.to_string()
                    .contains("extension:NUMBER, queue:NAME or voicemail:BOX"),
                "{e}"
            );
        }
        let long = format!("queue:{}", "q".repeat(65));
        assert!(Target::parse(&long, Allowed::Destinations).is_err());
        let just_fits = format!("queue:{}", "q".repeat(64));
        assert!(Target::parse(&just_fits, Allowed::Destinations).is_ok());
    }
}
