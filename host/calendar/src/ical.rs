//! Lexical layer of the iCalendar (RFC 5545) importer: line unfolding,
//! content-line splitting, text unescaping and date values.
//!
//! Only what holiday import needs is implemented; the structure of the file
//! (components, events, recurrence) is handled in `ical_import`.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::error::CalendarError;

/// One unfolded `NAME;PARAM=VALUE:VALUE` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentLine {
    /// 1-based number of the physical line where this logical line starts.
    pub line: usize,
    /// Property name, upper-cased (names are case-insensitive).
    pub name: String,
    /// Parameters with upper-cased names and unquoted values.
    pub params: Vec<(String, String)>,
    /// The raw value (still escaped for TEXT properties).
    pub value: String,
}

impl ContentLine {
    /// Value of the parameter `name` (upper case), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Joins folded lines (a line starting with a space or tab continues the
/// previous one, minus that first character), accepting CRLF and LF and an
/// optional byte-order mark. Returns `(first physical line number, text)`.
pub(crate) fn unfold(text: &str) -> Vec<(usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (index, physical) in text.split('\n').enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        match (physical.chars().next(), logical.last_mut()) {
            (Some(' ' | '\t'), Some((_, previous))) => previous.push_str(&physical[1..]),
            _ if physical.trim().is_empty() => {}
            _ => logical.push((index + 1, physical.to_owned())),
        }
    }
    logical
}

/// Splits unfolded lines into content lines; the first malformed line is
/// reported with its number.
pub(crate) fn content_lines(text: &str) -> Result<Vec<ContentLine>, CalendarError> {
    unfold(text)
        .into_iter()
        .map(|(line, text)| parse_content_line(line, &text))
        .collect()
}

fn parse_content_line(line: usize, text: &str) -> Result<ContentLine, CalendarError> {
    let malformed = || CalendarError::Ical {
        line,
        reason: format!("expected NAME:VALUE or NAME;PARAM=VALUE:VALUE, found \"{text}\""),
    };
    let name_end = text.find([';', ':']).ok_or_else(malformed)?;
    let name = &text[..name_end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(malformed());
    }
    let mut params = Vec::new();
    let mut rest = &text[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let (key, after_key) = after.split_once('=').ok_or_else(malformed)?;
        let (value, remaining) = split_param_value(after_key).ok_or_else(malformed)?;
        params.push((key.trim().to_ascii_uppercase(), value));
        rest = remaining;
    }
    let value = rest.strip_prefix(':').ok_or_else(malformed)?;
    Ok(ContentLine {
        line,
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_owned(),
    })
}

/// Reads one parameter value (possibly double-quoted, which may contain `:`
/// and `;`) and returns it unquoted with the remaining text, which starts
/// with `;` or `:`.
fn split_param_value(text: &str) -> Option<(String, &str)> {
    let mut in_quotes = false;
    let mut value = String::new();
    for (index, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' | ':' if !in_quotes => return Some((value, &text[index..])),
            _ => value.push(c),
        }
    }
    None
}

/// Undoes TEXT escaping: `\\`, `\;`, `\,` and `\n`/`\N` (newline).
/// Unknown escapes are kept verbatim rather than rejected, as real-world
/// exporters are sloppy.
pub(crate) fn unescape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(escaped @ ('\\' | ';' | ',')) => out.push(escaped),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Parses a DATE (`YYYYMMDD`) or DATE-TIME (`YYYYMMDDTHHMMSS`, optionally
/// followed by `Z`) value. A DATE becomes midnight so that start and end
/// handling is uniform; the flag tells whether a time was present.
///
/// The date is taken as written: a `Z` (UTC) or `TZID` time is not shifted
/// into the tenant's zone, since holidays are whole local days.
pub(crate) fn parse_date_value(value: &str) -> Option<(NaiveDateTime, bool)> {
    let value = value.trim();
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (date_part, time_part) = match value.split_once(['T', 't']) {
        Some((date, time)) => (date, Some(time.strip_suffix(['Z', 'z']).unwrap_or(time))),
        None => (value, None),
    };
    if date_part.len() != 8 || !all_digits(date_part) {
        return None;
    }
    let date = NaiveDate::parse_from_str(date_part, "%Y%m%d").ok()?;
    match time_part {
        None => Some((date.and_time(NaiveTime::MIN), false)),
        Some(time) if time.len() == 6 && all_digits(time) => {
            let time = NaiveTime::parse_from_str(time, "%H%M%S").ok()?;
            Some((date.and_time(time), true))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_crlf_and_lf_with_space_and_tab_continuations() {
        let text = "\u{feff}BEGIN:VCALENDAR\r\nSUMMARY:Fête de\r\n  la Victoire\r\n\tday\nEND:VCALENDAR\n\n";
        let lines = unfold(text);
        assert_eq!(
            lines,
            vec![
                (1, "BEGIN:VCALENDAR".to_owned()),
                (2, "SUMMARY:Fête de la Victoireday".to_owned()),
                (5, "END:VCALENDAR".to_owned()),
            ]
        );
    }

    #[test]
    fn splits_names_params_and_values() {
        let lines =
            content_lines("dtstart;value=DATE;X-NOTE=\"a:b;c\":20261225\nSUMMARY:a:b").unwrap();
        assert_eq!(lines[0].name, "DTSTART");
        assert_eq!(lines[0].param("VALUE"), Some("DATE"));
        assert_eq!(lines[0].param("X-NOTE"), Some("a:b;c"));
        assert_eq!(lines[0].value, "20261225");
        assert_eq!(lines[1].value, "a:b");
    }

    #[test]
    fn malformed_line_is_reported_with_its_number() {
        let err = content_lines("BEGIN:VCALENDAR\nthis is not a property\n").unwrap_err();
        assert!(matches!(err, CalendarError::Ical { line: 2, .. }), "{err}");
    }

    #[test]
    fn unescapes_text() {
        assert_eq!(
            unescape_text(r"Christmas\, Boxing Day\; \\ office\nclosed \x"),
            "Christmas, Boxing Day; \\ office\nclosed \\x"
        );
    }

    #[test]
    fn parses_dates_and_date_times() {
        let (at, timed) = parse_date_value("20261225").unwrap();
        assert_eq!(at.to_string(), "2026-12-25 00:00:00");
        assert!(!timed);
        let (at, timed) = parse_date_value("20260501T093000Z").unwrap();
        assert_eq!(at.to_string(), "2026-05-01 09:30:00");
        assert!(timed);
        for bad in ["2026-12-25", "20261325", "20261225T25", "20261225T250000"] {
            assert_eq!(parse_date_value(bad), None, "{bad}");
        }
    }
}
