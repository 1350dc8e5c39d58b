//! Asterisk-style dial patterns.
//!
//! Administrators already know this notation from Asterisk dialplans, so the
//! outbound routes and DID tables accept it unchanged rather than inventing a
//! new syntax.
//!
//! A pattern is either a **literal** number (`112`, exact match) or `_`
//! followed by elements:
//!
//! | element   | matches                                   |
//! |-----------|-------------------------------------------|
//! | `X`       | one digit `0`-`9`                         |
//! | `Z`       | one digit `1`-`9`                         |
//! | `N`       | one digit `2`-`9`                         |
//! | `[1-5]`, `[137]`, `[1-37-9]` | one digit from the set / ranges |
//! | `0`-`9`, `*`, `#`, `+` | that character                |
//! | `.`       | one or more characters (only at the end)  |
//! | `!`       | zero or more characters (only at the end) |
//!
//! Pattern letters are case-insensitive (`_nxx` = `_NXX`).
//!
//! # Specificity
//!
//! When several patterns match a number, the most specific one wins, as in
//! Asterisk. Patterns are compared position by position; at each position the
//! element that matches **fewer** characters is more specific:
//! a literal (1) beats a set of k digits (k), so a literal beats `N` (8), which
//! beats `Z` (9), which beats `X` (10); any single-character element beats the
//! `.` tail, which beats the `!` tail. A pattern that has ended at a position
//! (exact length) is more specific than one that continues there with a tail.
//! The first differing position decides; full ties are broken by the
//! pattern's text so the order is total and deterministic.

use std::cmp::Ordering;
use std::fmt;

/// Why a dial pattern was rejected. Messages quote the offending input so a
/// configuration error can be fixed from the log line alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern text (or the part after `_`) is empty.
    #[error("dial pattern {0:?} is empty")]
    Empty(String),
    /// A character that is neither a pattern letter nor a dialable character.
    #[error("dial pattern {pattern:?}: unexpected character {ch:?} at position {pos}")]
    InvalidChar {
        /// The full pattern text.
        pattern: String,
        /// The rejected character.
        ch: char,
        /// Its byte position in the pattern.
        pos: usize,
    },
    /// `.` or `!` somewhere other than the last position.
    #[error("dial pattern {pattern:?}: {ch:?} is only allowed as the last character")]
    WildcardNotAtEnd {
        /// The full pattern text.
        pattern: String,
        /// `.` or `!`.
        ch: char,
    },
    /// A `[` without a matching `]`.
    #[error("dial pattern {0:?}: unterminated '[' set")]
    UnterminatedSet(String),
    /// `[]`, a reversed range such as `[5-1]`, or a non-digit inside a set.
    #[error(
        "dial pattern {pattern:?}: invalid set [{set}] (use digits and ranges like [1-5] or [137])"
    )]
    InvalidSet {
        /// The full pattern text.
        pattern: String,
        /// The content between the brackets.
        set: String,
    },
}

/// One position of a `_` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// Exactly this character.
    Lit(char),
    /// One digit whose bit (1 << digit) is set in the mask.
    Digits(u16),
}

impl Elem {
    fn matches(self, c: char) -> bool {
        match self {
            Elem::Lit(l) => l == c,
            Elem::Digits(mask) => c.to_digit(10).is_some_and(|d| mask & (1 << d) != 0),
        }
    }

    /// Number of characters this element accepts: the specificity weight.
    fn weight(self) -> u16 {
        match self {
            Elem::Lit(_) => 1,
            Elem::Digits(mask) => mask.count_ones() as u16,
        }
    }
}

/// What may follow the fixed elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// Nothing: the number must have exactly as many characters as elements.
    None,
    /// `.`: one or more further characters.
    OneOrMore,
    /// `!`: zero or more further characters.
    ZeroOrMore,
}

/// Weight used for "pattern ends here": more specific than anything.
const W_END: u16 = 0;
/// Weight of the `.` tail: less specific than any single-character element.
const W_DOT: u16 = 100;
/// Weight of the `!` tail: the least specific.
const W_BANG: u16 = 101;

/// A parsed dial pattern (see the module documentation for the syntax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPattern {
    text: String,
    elems: Vec<Elem>,
    tail: Tail,
}

const X_MASK: u16 = 0b11_1111_1111;
const Z_MASK: u16 = X_MASK & !0b1;
const N_MASK: u16 = X_MASK & !0b11;

fn is_dialable(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | '+')
}

impl DialPattern {
    /// Parses a literal number or a `_` pattern.
    ///
    /// Surrounding whitespace is trimmed; anything else unexpected is an error
    /// rather than being ignored, because a silently mis-parsed route sends
    /// calls to the wrong carrier.
    pub fn parse(text: &str) -> Result<DialPattern, PatternError> {
        let text = text.trim();
        let Some(body) = text.strip_prefix('_') else {
            if text.is_empty() {
                return Err(PatternError::Empty(text.to_string()));
            }
            let mut elems = Vec::with_capacity(text.len());
            for (pos, ch) in text.char_indices() {
                if !is_dialable(ch) {
                    return Err(PatternError::InvalidChar {
                        pattern: text.to_string(),
                        ch,
                        pos,
                    });
                }
                elems.push(Elem::Lit(ch));
            }
            return Ok(DialPattern {
                text: text.to_string(),
                elems,
                tail: Tail::None,
            });
        };
        if body.is_empty() {
            return Err(PatternError::Empty(text.to_string()));
        }
        let mut elems = Vec::new();
        let mut tail = Tail::None;
        let mut chars = body.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            let pos = i + 1; // account for the leading '_'
            let elem = match ch.to_ascii_uppercase() {
                'X' => Elem::Digits(X_MASK),
                'Z' => Elem::Digits(Z_MASK),
                'N' => Elem::Digits(N_MASK),
                '.' | '!' => {
                    if chars.peek().is_some() {
                        return Err(PatternError::WildcardNotAtEnd {
                            pattern: text.to_string(),
                            ch,
                        });
                    }
                    tail = if ch == '.' {
                        Tail::OneOrMore
                    } else {
                        Tail::ZeroOrMore
                    };
                    break;
                }
                '[' => {
                    let start = i + 1;
                    let end = loop {
                        match chars.next() {
                            Some((j, ']')) => break j,
                            Some(_) => {}
                            None => return Err(PatternError::UnterminatedSet(text.to_string())),
                        }
                    };
                    Elem::Digits(parse_set(text, &body[start..end])?)
                }
                c if is_dialable(c) => Elem::Lit(c),
                _ => {
                    return Err(PatternError::InvalidChar {
                        pattern: text.to_string(),
                        ch,
                        pos,
                    });
                }
            };
            elems.push(elem);
        }
        Ok(DialPattern {
            text: text.to_string(),
            elems,
            tail,
        })
    }

    /// The pattern as written (trimmed), for logs and configuration dumps.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern begins with a literal `+`; DID tables use this to
    /// reject patterns that could never match a normalised number.
    pub(crate) fn starts_with_plus(&self) -> bool {
        self.elems.first() == Some(&Elem::Lit('+'))
    }

    /// Whether `number` matches the whole pattern (not just a prefix).
    pub fn matches(&self, number: &str) -> bool {
        let mut chars = number.chars();
        for elem in &self.elems {
            match chars.next() {
                Some(c) if elem.matches(c) => {}
                _ => return false,
            }
        }
        let rest = chars.count();
        match self.tail {
            Tail::None => rest == 0,
            Tail::OneOrMore => rest >= 1,
            Tail::ZeroOrMore => true,
        }
    }

    fn weights(&self) -> impl Iterator<Item = u16> + '_ {
        let tail = match self.tail {
            Tail::None => W_END,
            Tail::OneOrMore => W_DOT,
            Tail::ZeroOrMore => W_BANG,
        };
        self.elems
            .iter()
            .map(|e| e.weight())
            .chain(std::iter::once(tail))
    }

    /// Compares specificity: [`Ordering::Less`] means `self` is **more**
    /// specific, so sorting ascending puts the winning pattern first.
    /// See the module documentation for the rules.
    pub fn cmp_specificity(&self, other: &DialPattern) -> Ordering {
        let mut a = self.weights();
        let mut b = other.weights();
        loop {
            match (a.next(), b.next()) {
                (Some(x), Some(y)) => match x.cmp(&y) {
                    Ordering::Equal => {}
                    ord => return ord,
                },
                // Both sequences end with a tail weight, at possibly different
                // lengths; the shorter one already ended with W_END or a tail.
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (None, None) => return self.text.cmp(&other.text),
            }
        }
    }
}

impl fmt::Display for DialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for DialPattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DialPattern::parse(s)
    }
}

/// Parses the inside of `[...]` into a digit mask.
fn parse_set(pattern: &str, set: &str) -> Result<u16, PatternError> {
    let err = || PatternError::InvalidSet {
        pattern: pattern.to_string(),
        set: set.to_string(),
    };
    let digits: Vec<char> = set.chars().collect();
    if digits.is_empty() {
        return Err(err());
    }
    let mut mask = 0u16;
    let mut i = 0;
    while i < digits.len() {
        let lo = digits[i].to_digit(10).ok_or_else(err)?;
        if digits.get(i + 1) == Some(&'-') {
            let hi = digits
                .get(i + 2)
                .and_then(|c| c.to_digit(10))
                .ok_or_else(err)?;
            if hi < lo {
                return Err(err());
            }
            for d in lo..=hi {
                mask |= 1 << d;
            }
            i += 3;
        } else {
            mask |= 1 << lo;
            i += 1;
        }
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DialPattern {
        DialPattern::parse(s).unwrap()
    }

    #[test]
    fn french_national_number() {
        // N is 2-9 as in Asterisk, so a Paris number (01...) needs Z.
        let pat = p("_0NXXXXXXXX");
        assert!(pat.matches("0242345678"));
        assert!(!pat.matches("0142345678"));
        assert!(!pat.matches("0242"));
        assert!(!pat.matches("0042345678"));
        assert!(!pat.matches("02423456789"));
        let z = p("_0ZXXXXXXXX");
        assert!(z.matches("0142345678"));
        assert!(!z.matches("0142"));
        assert!(!z.matches("0042345678"));
    }

    #[test]
    fn dot_needs_at_least_one_more() {
        let pat = p("_00.");
        assert!(pat.matches("0033123"));
        assert!(pat.matches("001"));
        assert!(!pat.matches("00"));
        assert!(!pat.matches("0133"));
    }

    #[test]
    fn bang_accepts_zero_more() {
        let pat = p("_00!");
        assert!(pat.matches("00"));
        assert!(pat.matches("0033"));
        assert!(!pat.matches("0"));
    }

    #[test]
    fn x_dot_matches_any_number_of_two_or_more() {
        let pat = p("_X.");
        assert!(pat.matches("12"));
        assert!(pat.matches("0033123"));
        assert!(!pat.matches("1"));
        assert!(!pat.matches("*1"));
    }

    #[test]
    fn ranges_and_sets() {
        let pat = p("_[1-3]XX");
        assert!(pat.matches("100"));
        assert!(pat.matches("399"));
        assert!(!pat.matches("400"));
        assert!(!pat.matches("099"));
        assert!(!pat.matches("1000"));
        let set = p("_[137]");
        assert!(set.matches("3") && set.matches("7"));
        assert!(!set.matches("2"));
        let multi = p("_[1-37-9]");
        assert!(multi.matches("2") && multi.matches("8"));
        assert!(!multi.matches("5"));
    }

    #[test]
    fn plus_prefixed() {
        let pat = p("_+33X.");
        assert!(pat.matches("+33142345678"));
        assert!(!pat.matches("+33"));
        assert!(!pat.matches("0033142345678"));
        assert!(!pat.matches("+44123"));
    }

    #[test]
    fn literal_is_exact() {
        let pat = p("112");
        assert!(pat.matches("112"));
        assert!(!pat.matches("1123"));
        assert!(!pat.matches("11"));
        // Pattern letters are not special in a literal.
        assert!(DialPattern::parse("1X2").is_err());
    }

    #[test]
    fn z_and_n_and_special_chars() {
        let z = p("_Z");
        assert!(z.matches("1") && !z.matches("0"));
        let n = p("_n");
        assert!(n.matches("2") && !n.matches("1"));
        let star = p("_*XX#");
        assert!(star.matches("*21#"));
        assert!(!star.matches("121#"));
    }

    #[test]
    fn parse_errors_are_specific() {
        assert_eq!(
            DialPattern::parse("_"),
            Err(PatternError::Empty("_".into()))
        );
        assert_eq!(DialPattern::parse(" "), Err(PatternError::Empty("".into())));
        assert!(matches!(
            DialPattern::parse("_0.X"),
            Err(PatternError::WildcardNotAtEnd { ch: '.', .. })
        ));
        assert!(matches!(
            DialPattern::parse("_0!1"),
            Err(PatternError::WildcardNotAtEnd { ch: '!', .. })
        ));
        assert_eq!(
            DialPattern::parse("_[1-3"),
            Err(PatternError::UnterminatedSet("_[1-3".into()))
        );
        assert!(matches!(
            DialPattern::parse("_[5-1]"),
            Err(PatternError::InvalidSet { .. })
        ));
        assert!(matches!(
            DialPattern::parse("_[]"),
            Err(PatternError::InvalidSet { .. })
        ));
        assert!(matches!(
            DialPattern::parse("_[1a]"),
            Err(PatternError::InvalidSet { .. })
        ));
        assert_eq!(
            DialPattern::parse("_0Y"),
            Err(PatternError::InvalidChar {
                pattern: "_0Y".into(),
                ch: 'Y',
                pos: 2
            })
        );
        let msg = DialPattern::parse("_0.X").unwrap_err().to_string();
        assert!(msg.contains("_0.X") && msg.contains("last"), "{msg}");
    }

    fn most_specific<'a>(pats: &'a [DialPattern], number: &str) -> &'a str {
        pats.iter()
            .filter(|p| p.matches(number))
            .min_by(|a, b| a.cmp_specificity(b))
            .unwrap()
            .as_str()
    }

    #[test]
    fn specificity_literal_beats_n_beats_x_beats_dot() {
        let pats: Vec<_> = ["_X.", "_XXX", "_NXX", "_1XX", "112", "_11!"]
            .iter()
            .map(|s| p(s))
            .collect();
        assert_eq!(most_specific(&pats, "112"), "112");
        // Position 1: literal 1 beats X, even though `!` comes later.
        assert_eq!(most_specific(&pats, "113"), "_11!");
        assert_eq!(most_specific(&pats, "123"), "_1XX");
        assert_eq!(most_specific(&pats, "213"), "_NXX");
        assert_eq!(most_specific(&pats, "013"), "_XXX");
        assert_eq!(most_specific(&pats, "0133"), "_X.");
        assert_eq!(most_specific(&pats, "11"), "_11!");
    }

    #[test]
    fn specificity_set_size_and_tails() {
        assert_eq!(p("_[12]X").cmp_specificity(&p("_NX")), Ordering::Less);
        assert_eq!(p("_ZX").cmp_specificity(&p("_XX")), Ordering::Less);
        assert_eq!(p("_NX").cmp_specificity(&p("_ZX")), Ordering::Less);
        assert_eq!(p("_00X").cmp_specificity(&p("_00.")), Ordering::Less);
        assert_eq!(p("_00.").cmp_specificity(&p("_00!")), Ordering::Less);
        assert_eq!(p("_00").cmp_specificity(&p("_00!")), Ordering::Less);
        assert_eq!(p("_0033.").cmp_specificity(&p("_00.")), Ordering::Less);
        assert_eq!(p("_00.").cmp_specificity(&p("_0033.")), Ordering::Greater);
        // Ties are broken deterministically, never Equal for distinct text.
        assert_ne!(p("_[13]X").cmp_specificity(&p("_[12]X")), Ordering::Equal);
        assert_eq!(p("_X.").cmp_specificity(&p("_X.")), Ordering::Equal);
    }
}
