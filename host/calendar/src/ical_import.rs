//! Import of holidays from iCalendar (RFC 5545) files, the format every
//! calendar application and public holiday feed can export.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::error::CalendarError;
use crate::holidays::{Holiday, HolidayCalendar, HolidayRule};
use crate::ical::{ContentLine, content_lines, parse_date_value, unescape_text};

/// Longest event accepted, in days; longer ones are almost certainly not
/// holidays (and would create thousands of entries).
const MAX_EVENT_DAYS: i64 = 366;
/// Most occurrences a bounded yearly rule (`COUNT`/`UNTIL`) may expand to.
const MAX_OCCURRENCES: usize = 1000;
/// Name used when an event has no SUMMARY.
const UNNAMED: &str = "Unnamed holiday";

impl HolidayCalendar {
    /// Imports every `VEVENT` of an iCalendar text as holidays.
    ///
    /// * `DTSTART;VALUE=DATE:YYYYMMDD` or `DTSTART:YYYYMMDDTHHMMSS[Z]` gives
    ///   the first day (the date as written, times are not shifted).
    /// * `DTEND` (exclusive for dates; a date-time ending at midnight is
    ///   exclusive too) or a `DURATION` turns multi-day events into one
    ///   holiday per day.
    /// * `SUMMARY` (unescaped) is the name; events without one are called
    ///   "Unnamed holiday".
    /// * `RRULE:FREQ=YEARLY` becomes a [`HolidayRule::Yearly`] rule (also
    ///   matching years before `DTSTART`); with `COUNT` or `UNTIL` the
    ///   occurrences are expanded into [`HolidayRule::Fixed`] dates instead.
    ///   Other recurrences (e.g. "fourth Thursday of November") cannot be
    ///   represented and are rejected rather than silently misplaced.
    ///   Without `RRULE` the holidays are fixed dates.
    /// * Events with `STATUS:CANCELLED` are skipped; `EXDATE`, `RDATE` and
    ///   `RECURRENCE-ID` are not interpreted.
    ///
    /// Lines may end in CRLF or LF and may be folded.
    pub fn from_ical(text: &str) -> Result<HolidayCalendar, CalendarError> {
        if !crate::ical::unfold(text)
            .iter()
            .any(|(_, line)| line.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR"))
        {
            return Err(CalendarError::NotICalendar);
        }
        let mut holidays = Vec::new();
        // Open components: (name, line of BEGIN).
        let mut stack: Vec<(String, usize)> = Vec::new();
        let mut event: Option<Event> = None;
        for line in content_lines(text)? {
            match line.name.as_str() {
                "BEGIN" => {
                    let component = line.value.trim().to_ascii_uppercase();
                    if component == "VEVENT" {
                        event = Some(Event::new(line.line));
                    }
                    stack.push((component, line.line));
                }
                "END" => {
                    let component = line.value.trim().to_ascii_uppercase();
                    match stack.pop() {
                        Some((open, _)) if open == component => {}
                        Some((open, begin)) => {
                            return Err(CalendarError::Ical {
                                line: line.line,
                                reason: format!(
                                    "END:{component} does not match BEGIN:{open} on line {begin}"
                                ),
                            });
                        }
                        None => {
                            return Err(CalendarError::Ical {
                                line: line.line,
                                reason: format!("END:{component} without a matching BEGIN"),
                            });
                        }
                    }
                    if component == "VEVENT"
                        && let Some(finished) = event.take()
                    {
                        finished.into_holidays(&mut holidays)?;
                    }
                }
                _ => {
                    // Properties of nested components (e.g. VALARM's SUMMARY)
                    // must not overwrite the event's own.
                    let in_event = stack.last().is_some_and(|(name, _)| name == "VEVENT");
                    if let (true, Some(event)) = (in_event, event.as_mut()) {
                        event.take_property(line);
                    }
                }
            }
        }
        if let Some((open, begin)) = stack.pop() {
            return Err(CalendarError::Ical {
                line: begin,
                reason: format!("BEGIN:{open} is never closed with END:{open}"),
            });
        }
        Ok(HolidayCalendar::new(holidays))
    }
}

/// The properties of one VEVENT that matter for holidays.
struct Event {
    begin_line: usize,
    start: Option<ContentLine>,
    end: Option<ContentLine>,
    duration: Option<ContentLine>,
    summary: Option<String>,
    rrule: Option<ContentLine>,
    cancelled: bool,
}

impl Event {
    fn new(begin_line: usize) -> Self {
        Self {
            begin_line,
            start: None,
            end: None,
            duration: None,
            summary: None,
            rrule: None,
            cancelled: false,
        }
    }

    fn take_property(&mut self, line: ContentLine) {
        match line.name.as_str() {
            "DTSTART" => self.start = Some(line),
            "DTEND" => self.end = Some(line),
            "DURATION" => self.duration = Some(line),
            "SUMMARY" => self.summary = Some(unescape_text(&line.value).trim().to_owned()),
            "RRULE" => self.rrule = Some(line),
            "STATUS" => self.cancelled = line.value.trim().eq_ignore_ascii_case("CANCELLED"),
            _ => {}
        }
    }

    fn name(&self) -> String {
        match &self.summary {
            Some(summary) if !summary.is_empty() => summary.clone(),
            _ => UNNAMED.to_owned(),
        }
    }

    /// Appends this event's holidays (one per day) to `out`.
    fn into_holidays(self, out: &mut Vec<Holiday>) -> Result<(), CalendarError> {
        if self.cancelled {
            return Ok(());
        }
        let name = self.name();
        let start_line = self.start.as_ref().ok_or_else(|| CalendarError::Ical {
            line: self.begin_line,
            reason: format!("event \"{name}\" has no DTSTART; add the date of the holiday"),
        })?;
        let start = date_time(start_line)?;
        let end = match (&self.end, &self.duration) {
            (Some(end), _) => date_time(end)?,
            (None, Some(duration)) => start + parse_duration(duration)?,
            (None, None) => start.date().and_time(NaiveTime::MIN) + Duration::days(1),
        };
        // The end is exclusive: an event ending exactly at midnight does not
        // touch the following day.
        let last = if end.time() == NaiveTime::MIN {
            end.date().pred_opt().unwrap_or(end.date())
        } else {
            end.date()
        }
        .max(start.date());
        if (last - start.date()).num_days() >= MAX_EVENT_DAYS {
            return Err(CalendarError::Ical {
                line: self.begin_line,
                reason: format!(
                    "event \"{name}\" spans more than {MAX_EVENT_DAYS} days; \
                     split it into shorter events"
                ),
            });
        }
        let days: Vec<NaiveDate> = start
            .date()
            .iter_days()
            .take_while(|d| *d <= last)
            .collect();
        let recurrence = match &self.rrule {
            Some(rule) => parse_rrule(rule, start.date(), &name)?,
            None => Recurrence::Once,
        };
        for day in days {
            match recurrence {
                Recurrence::Once => {
                    out.push(Holiday::new(&name, HolidayRule::Fixed { date: day })?)
                }
                Recurrence::Yearly => out.push(Holiday::new(
                    &name,
                    HolidayRule::Yearly {
                        month: day.month(),
                        day: day.day(),
                    },
                )?),
                Recurrence::Bounded { count, until } => {
                    let occurrences = (day.year()..=until.map_or(i32::MAX, |u| u.year()))
                        .filter_map(|year| day.with_year(year))
                        .take_while(|date| until.is_none_or(|until| *date <= until))
                        .take(count.unwrap_or(usize::MAX).min(MAX_OCCURRENCES + 1));
                    let before = out.len();
                    for date in occurrences {
                        out.push(Holiday::new(&name, HolidayRule::Fixed { date })?);
                    }
                    if out.len() - before > MAX_OCCURRENCES {
                        return Err(CalendarError::Ical {
                            line: self.begin_line,
                            reason: format!(
                                "the yearly rule of \"{name}\" expands to more than \
                                 {MAX_OCCURRENCES} dates; remove COUNT/UNTIL to make it a plain \
                                 yearly holiday"
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

fn date_time(line: &ContentLine) -> Result<NaiveDateTime, CalendarError> {
    let parsed = parse_date_value(&line.value);
    if let (Some((_, true)), Some(kind)) = (parsed, line.param("VALUE"))
        && kind.eq_ignore_ascii_case("DATE")
    {
        return Err(CalendarError::Ical {
            line: line.line,
            reason: format!(
                "{} is declared VALUE=DATE but \"{}\" has a time; \
                 write just YYYYMMDD or drop VALUE=DATE",
                line.name, line.value
            ),
        });
    }
    parsed.map(|(at, _)| at).ok_or_else(|| CalendarError::Ical {
        line: line.line,
        reason: format!(
            "{} value \"{}\" is neither a date (YYYYMMDD) nor a date-time (YYYYMMDDTHHMMSS)",
            line.name, line.value
        ),
    })
}

/// Parses a non-negative DURATION such as `P3D`, `P1W` or `PT12H`.
fn parse_duration(line: &ContentLine) -> Result<Duration, CalendarError> {
    let invalid = || CalendarError::Ical {
        line: line.line,
        reason: format!(
            "DURATION \"{}\" is not a duration like P3D, P1W or PT8H",
            line.value
        ),
    };
    let text = line.value.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let body = text.strip_prefix('P').ok_or_else(invalid)?;
    let mut total = Duration::zero();
    let mut number = String::new();
    let mut in_time = false;
    for c in body.chars() {
        match c {
            '0'..='9' => number.push(c),
            'T' if number.is_empty() && !in_time => in_time = true,
            unit => {
                let n: i64 = number.parse().map_err(|_| invalid())?;
                number.clear();
                total += match (unit, in_time) {
                    ('W', false) => Duration::weeks(n),
                    ('D', false) => Duration::days(n),
                    ('H', true) => Duration::hours(n),
                    ('M', true) => Duration::minutes(n),
                    ('S', true) => Duration::seconds(n),
                    _ => return Err(invalid()),
                };
            }
        }
    }
    if !number.is_empty() || body.is_empty() {
        return Err(invalid());
    }
    Ok(total)
}

/// What an RRULE means for holiday import.
#[derive(Clone, Copy)]
enum Recurrence {
    Once,
    Yearly,
    Bounded {
        count: Option<usize>,
        until: Option<NaiveDate>,
    },
}

/// Accepts only yearly rules on the start's month and day; anything else
/// would need a rule kind the holiday model does not have.
fn parse_rrule(
    line: &ContentLine,
    start: NaiveDate,
    name: &str,
) -> Result<Recurrence, CalendarError> {
    let unsupported = |detail: String| CalendarError::Ical {
        line: line.line,
        reason: format!(
            "RRULE \"{}\" of \"{name}\" is not supported ({detail}); only FREQ=YEARLY on a fixed \
             month and day (optionally with COUNT or UNTIL) can be imported, so replace the event \
             with explicit dates",
            line.value
        ),
    };
    let mut yearly = false;
    let mut count = None;
    let mut until = None;
    for part in line.value.split(';').filter(|part| !part.trim().is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| unsupported(format!("\"{part}\" is not KEY=VALUE")))?;
        let value = value.trim();
        match key.trim().to_ascii_uppercase().as_str() {
            "FREQ" => yearly = value.eq_ignore_ascii_case("YEARLY"),
            "INTERVAL" if value == "1" => {}
            "WKST" => {}
            "BYMONTH" if value.parse() == Ok(start.month()) => {}
            "BYMONTHDAY" if value.parse() == Ok(start.day()) => {}
            "COUNT" => {
                count = Some(
                    value
                        .parse()
                        .map_err(|_| unsupported(format!("bad COUNT \"{value}\"")))?,
                );
            }
            "UNTIL" => {
                let (at, _) = parse_date_value(value)
                    .ok_or_else(|| unsupported(format!("bad UNTIL \"{value}\"")))?;
                until = Some(at.date());
            }
            other => return Err(unsupported(format!("{other}={value}"))),
        }
    }
    if !yearly {
        return Err(unsupported("FREQ is not YEARLY".to_owned()));
    }
    Ok(if count.is_some() || until.is_some() {
        Recurrence::Bounded { count, until }
    } else {
        Recurrence::Yearly
    })
}
