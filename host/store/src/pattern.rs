//! Number patterns of inbound and outbound routes.
//!
//! A pattern is a dialled number where `X` stands for any one digit and a
//! final `*` for any rest (including nothing):
//!
//! * `+33123456789` matches that number only;
//! * `1XX` matches three-digit numbers starting with 1;
//! * `+331*` matches every number starting with `+331`;
//! * `*` matches everything (a catch-all route).
//!
//! When several patterns match, routes are ordered by their priority, then
//! by [`NumberPattern::specificity`] (more literal characters first).

use crate::error::{Result, StoreError};

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern {
    /// Literal characters and `X` wildcards, without the final `*`.
    body: Vec<u8>,
    /// Whether a final `*` accepts any rest.
    open: bool,
}

impl NumberPattern {
    /// Parses and checks a pattern.
    pub fn parse(text: &str) -> Result<Self> {
        let (body, open) = match text.strip_suffix('*') {
            Some(b) => (b, true),
            None => (text, false),
        };
        let valid = body.char_indices().all(|(i, c)| {
            c.is_ascii_digit() || c == 'X' || c == '#' || c == '*' || (c == '+' && i == 0)
        });
        if !valid || (body.is_empty() && !open) || text.len() > 40 {
            return Err(StoreError::invalid(
                "pattern",
                format!(
                    "{text:?} is not a number pattern: use digits, X for any digit and a final * \
                     for any rest, e.g. +331*, 1XX or *"
                ),
            ));
        }
        Ok(Self {
            body: body.as_bytes().to_vec(),
            open,
        })
    }

    /// Whether `number` matches.
    pub fn matches(&self, number: &str) -> bool {
        let n = number.as_bytes();
        if n.len() < self.body.len() || (!self.open && n.len() != self.body.len()) {
            return false;
        }
        self.body.iter().zip(n).all(|(&p, &c)| {
            if p == b'X' {
                c.is_ascii_digit()
            } else {
                p == c
            }
        })
    }

    /// How specific the pattern is: literal characters count 2, `X` counts
    /// 1, and a closed pattern beats an open one of the same body.
    pub fn specificity(&self) -> u32 {
        let body: u32 = self
            .body
            .iter()
            .map(|&b| if b == b'X' { 1 } else { 2 })
            .sum();
        body * 2 + u32::from(!self.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_prefix_wildcards_and_catch_all() {
        let exact = NumberPattern::parse("+33123").unwrap();
        assert!(exact.matches("+33123"));
        assert!(!exact.matches("+331234"));
        let prefix = NumberPattern::parse("+331*").unwrap();
        assert!(prefix.matches("+331"));
        assert!(prefix.matches("+33199"));
        assert!(!prefix.matches("+332"));
        let x = NumberPattern::parse("1XX").unwrap();
        assert!(x.matches("123"));
        assert!(!x.matches("12a"));
        assert!(!x.matches("1234"));
        assert!(NumberPattern::parse("*").unwrap().matches("anything"));
        assert!(exact.specificity() > prefix.specificity());
        assert!(
            NumberPattern::parse("1XX").unwrap().specificity()
                > NumberPattern::parse("1*").unwrap().specificity()
        );
    }

    #[test]
    fn bad_patterns_are_refused_with_an_example() {
        for bad in ["", "12a", "1+2", "abc*"] {
            let err = NumberPattern::parse(bad).unwrap_err().to_string();
            assert!(err.contains("e.g."), "{bad}: {err}");
        }
    }
}
