//! Date of Easter Sunday, the anchor of most movable Christian holidays.

use chrono::NaiveDate;

/// Easter Sunday of `year` in the Gregorian calendar (Western churches).
///
/// Many public holidays (Good Friday, Easter Monday, Ascension, Whit Monday,
/// Corpus Christi, …) are defined as a fixed number of days from Easter, so
/// a holiday calendar only needs this one computation to cover them all.
/// Implemented with the anonymous Gregorian computus (Meeus/Jones/Butcher),
/// which is exact for every Gregorian year.
///
/// # Panics
///
/// Only if `year` is outside the range chrono can represent (about
/// ±262,000); any year taken from a [`NaiveDate`] is fine.
pub fn easter_sunday(year: i32) -> NaiveDate {
    // Golden number - 1: position in the 19-year Metonic cycle.
    let a = year.rem_euclid(19);
    let century = year.div_euclid(100);
    let year_of_century = year.rem_euclid(100);
    // Gregorian leap-year correction (skipped century leap days).
    let skipped_leap_days = century.div_euclid(4);
    let century_rest = century.rem_euclid(4);
    // Correction for the drift of the Metonic cycle against the real moon.
    let lunar_correction = (century - (century + 8).div_euclid(25) + 1).div_euclid(3);
    // Days from March 21 to the paschal full moon (epact-based).
    let h = (19 * a + century - skipped_leap_days - lunar_correction + 15).rem_euclid(30);
    let leap_quarters = year_of_century.div_euclid(4);
    let leap_rest = year_of_century.rem_euclid(4);
    // Days from the full moon to the following Sunday.
    let l = (32 + 2 * century_rest + 2 * leap_quarters - h - leap_rest).rem_euclid(7);
    // Rare adjustment that keeps Easter no later than April 25.
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = n.div_euclid(31);
    let day = n.rem_euclid(31) + 1;
    // month is 3 or 4 and day 1..=31 by construction, so the casts are lossless.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
        .expect("year is outside the range supported by chrono")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn known_easter_sundays() {
        assert_eq!(easter_sunday(2024), date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), date(2026, 4, 5));
        assert_eq!(easter_sunday(2027), date(2027, 3, 28));
        assert_eq!(easter_sunday(2038), date(2038, 4, 25));
    }

    #[test]
    fn extreme_dates_of_the_cycle() {
        // Earliest possible (March 22) and latest possible (April 25).
        assert_eq!(easter_sunday(1818), date(1818, 3, 22));
        assert_eq!(easter_sunday(2285), date(2285, 3, 22));
        assert_eq!(easter_sunday(1943), date(1943, 4, 25));
        // Years where the April 25 / 18 special cases of the Gauss rule apply.
        assert_eq!(easter_sunday(1981), date(1981, 4, 19));
        assert_eq!(easter_sunday(1954), date(1954, 4, 18));
        assert_eq!(easter_sunday(2000), date(2000, 4, 23));
    }

    #[test]
    fn always_a_sunday_between_march_22_and_april_25() {
        use chrono::{Datelike, Weekday};
        for year in 1583..=3000 {
            let easter = easter_sunday(year);
            assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
            assert!(
                easter >= date(year, 3, 22) && easter <= date(year, 4, 25),
                "{year}"
            );
        }
    }
}
