//! Finding the next instant at which a local-time predicate flips, correctly
//! across daylight-saving changes.
//!
//! Opening hours are defined in wall-clock time, but "the next change" must
//! be a real instant. Wall-clock time jumps at DST changes: in spring some
//! local times never happen (a gap), in autumn some happen twice. Rather than
//! adding durations to local times (which goes wrong at those jumps), the
//! search works on real instants:
//!
//! * every candidate local time (day start, range starts and ends) is mapped
//!   to *all* instants that show it on the wall clock (none in a gap, two
//!   when repeated), and
//! * every UTC-offset change is itself a candidate, because the wall clock
//!   jumps there.
//!
//! Between two consecutive candidates the wall clock runs continuously
//! without crossing a candidate time, so the predicate is constant; the first
//! candidate where it differs from its current value is the answer. For a
//! change scheduled inside a gap this yields the earliest valid instant after
//! the gap, and for a repeated hour the first occurrence still in the future.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// How far ahead the search looks before concluding "never".
pub(crate) const HORIZON_DAYS: i64 = 370;

/// Length of the instant windows processed at a time; keeps the common case
/// (a change within hours) cheap while bounding memory.
const WINDOW: Duration = Duration::days(7);

/// Granularity of the offset-change scan; any two DST changes are further
/// apart than this.
const OFFSET_PROBE: Duration = Duration::hours(6);

/// The first instant after `at` (within [`HORIZON_DAYS`]) at which
/// `is_open(wall clock time)` differs from its value at `at`.
///
/// `candidates(date)` must return every time of day on `date` at which the
/// predicate may change (the caller includes 00:00 for per-day rules).
pub(crate) fn next_change(
    at: DateTime<Tz>,
    candidates: impl Fn(NaiveDate) -> Vec<NaiveTime>,
    is_open: impl Fn(NaiveDateTime) -> bool,
) -> Option<DateTime<Tz>> {
    let tz = at.timezone();
    let current = is_open(at.naive_local());
    let limit = at + Duration::days(HORIZON_DAYS);
    let mut low = at;
    while low < limit {
        let high = (low + WINDOW).min(limit);
        let mut instants = Vec::new();
        // Offsets are within ±1 day, so these local dates cover (low, high].
        let first_day = (low.naive_utc() - Duration::days(1)).date();
        let last_day = (high.naive_utc() + Duration::days(1)).date();
        for day in first_day.iter_days().take_while(|day| *day <= last_day) {
            for time in candidates(day) {
                let local = tz.from_local_datetime(&day.and_time(time));
                instants.extend(local.earliest());
                instants.extend(local.latest());
            }
        }
        instants.extend(offset_changes(tz, low, high));
        instants.retain(|instant| *instant > low && *instant <= high);
        instants.sort();
        instants.dedup();
        if let Some(change) = instants
            .into_iter()
            .find(|instant| is_open(instant.naive_local()) != current)
        {
            return Some(change);
        }
        low = high;
    }
    None
}

/// Instants in `(low, high]` where the UTC offset of `tz` changes, i.e. where
/// the wall clock jumps.
fn offset_changes(tz: Tz, low: DateTime<Tz>, high: DateTime<Tz>) -> Vec<DateTime<Tz>> {
    let offset = |at: NaiveDateTime| tz.offset_from_utc_datetime(&at).fix();
    let mut changes = Vec::new();
    let mut from = low.naive_utc();
    let end = high.naive_utc();
    while from < end {
        let to = (from + OFFSET_PROBE).min(end);
        if offset(from) != offset(to) {
            // Bisect to the first second with the new offset.
            let (mut before, mut after) = (from, to);
            while after - before > Duration::seconds(1) {
                let middle = before + (after - before) / 2;
                if offset(middle) == offset(from) {
                    before = middle;
                } else {
                    after = middle;
                }
            }
            // Offset changes happen on whole seconds, so the change is the
            // only whole second in (before, after].
            let change = after.with_nanosecond(0).unwrap_or(after);
            changes.push(tz.from_utc_datetime(&change));
        }
        from = to;
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(text: &str) -> DateTime<chrono::Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn finds_the_offset_change_itself() {
        let low = utc("2026-03-29T00:00:00Z").with_timezone(&Paris);
        let high = utc("2026-03-29T06:00:00Z").with_timezone(&Paris);
        let changes = offset_changes(Paris, low, high);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].to_utc(), utc("2026-03-29T01:00:00Z"));
        assert_eq!(changes[0].hour(), 3);
    }

    #[test]
    fn change_scheduled_in_a_gap_happens_when_the_gap_ends() {
        // Open from 02:30 local, which does not exist on 2026-03-29 in Paris.
        let at = utc("2026-03-29T00:00:00Z").with_timezone(&Paris); // 01:00 CET
        let change = next_change(
            at,
            |_| vec![time(0, 0), time(2, 30)],
            |local| local.time() >= time(2, 30),
        )
        .unwrap();
        assert_eq!(change.to_utc(), utc("2026-03-29T01:00:00Z")); // 03:00 CEST
    }

    #[test]
    fn repeated_hour_takes_the_first_future_occurrence() {
        // Closed from 02:45 local; 02:00-03:00 happens twice on 2026-10-25.
        let closes = |local: NaiveDateTime| local.time() < time(2, 45);
        let candidates = |_| vec![time(0, 0), time(2, 45)];
        let first_pass = utc("2026-10-25T00:30:00Z").with_timezone(&Paris); // 02:30 CEST
        let change = next_change(first_pass, candidates, closes).unwrap();
        assert_eq!(change.to_utc(), utc("2026-10-25T00:45:00Z"));

        let second_pass = utc("2026-10-25T01:30:00Z").with_timezone(&Paris); // 02:30 CET
        let change = next_change(second_pass, candidates, closes).unwrap();
        assert_eq!(change.to_utc(), utc("2026-10-25T01:45:00Z"));

        // Closed at 02:50 CEST, but the clock falls back to 02:00 CET, which
        // is open again: that jump is the next change.
        let closed = utc("2026-10-25T00:50:00Z").with_timezone(&Paris);
        let change = next_change(closed, candidates, closes).unwrap();
        assert_eq!(change.to_utc(), utc("2026-10-25T01:00:00Z"));
    }

    #[test]
    fn constant_predicate_never_changes() {
        let at = utc("2026-01-01T00:00:00Z").with_timezone(&Paris);
        assert_eq!(next_change(at, |_| vec![time(0, 0)], |_| true), None);
    }
}
