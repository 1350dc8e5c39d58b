//! Numbers in English, British style: "one hundred and twenty-three",
//! "two thousand and five". Uses `num-0`..`num-19`, the tens `num-20`..
//! `num-90`, `num-hundred`, `num-thousand`, `num-million`, `num-billion`,
//! `minus` and `and`. Beyond a billion the count of billions is itself
//! spoken as a number ("nine billion ... billion"): there are no prompts
//! for larger scale words.

/// Scale words from the largest, with their values.
const SCALES: [(u64, &str); 3] = [
    (1_000_000_000, "num-billion"),
    (1_000_000, "num-million"),
    (1_000, "num-thousand"),
];

/// The prompt names for `n`.
pub fn number_names(n: i64) -> Vec<String> {
    let mut out = Vec::new();
    if n < 0 {
        out.push("minus".to_owned());
    }
    // unsigned_abs: -i64::MIN does not fit in an i64.
    let v = n.unsigned_abs();
    if v == 0 {
        out.push("num-0".to_owned());
    } else {
        compose(v, &mut out);
    }
    out
}

/// `v` > 0.
fn compose(v: u64, out: &mut Vec<String>) {
    let mut rest = v;
    let mut after_scale = false;
    for (scale, word) in SCALES {
        if rest >= scale {
            compose(rest / scale, out);
            out.push(word.to_owned());
            rest %= scale;
            after_scale = true;
        }
    }
    if rest > 0 {
        below_thousand(rest, after_scale, out);
    }
}

/// 1..=999. `after_scale`: a scale word came before, so a remainder below
/// one hundred takes "and" ("one thousand and one").
fn below_thousand(v: u64, after_scale: bool, out: &mut Vec<String>) {
    let hundreds = v / 100;
    let rest = v % 100;
    if hundreds > 0 {
        out.push(format!("num-{hundreds}"));
        out.push("num-hundred".to_owned());
    }
    if rest > 0 {
        if hundreds > 0 || after_scale {
            out.push("and".to_owned());
        }
        if rest < 20 {
            out.push(format!("num-{rest}"));
        } else {
            let (tens, units) = (rest / 10 * 10, rest % 10);
            out.push(format!("num-{tens}"));
            if units > 0 {
                out.push(format!("num-{units}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names as one string, without the "num-" prefix, for readable
    /// expectations.
    fn say(n: i64) -> String {
        number_names(n)
            .iter()
            .map(|s| s.strip_prefix("num-").unwrap_or(s))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn small_numbers() {
        assert_eq!(say(0), "0");
        assert_eq!(say(7), "7");
        assert_eq!(say(13), "13");
        assert_eq!(say(19), "19");
        assert_eq!(say(20), "20");
        assert_eq!(say(21), "20 1");
        assert_eq!(say(99), "90 9");
    }

    #[test]
    fn hundreds_take_and() {
        assert_eq!(say(100), "1 hundred");
        assert_eq!(say(101), "1 hundred and 1");
        assert_eq!(say(110), "1 hundred and 10");
        assert_eq!(say(123), "1 hundred and 20 3");
        assert_eq!(say(999), "9 hundred and 90 9");
    }

    #[test]
    fn scales() {
        assert_eq!(say(1000), "1 thousand");
        assert_eq!(say(1001), "1 thousand and 1");
        assert_eq!(say(1100), "1 thousand 1 hundred");
        assert_eq!(say(2005), "2 thousand and 5");
        assert_eq!(say(12_345), "12 thousand 3 hundred and 40 5");
        assert_eq!(say(123_000), "1 hundred and 20 3 thousand");
        assert_eq!(say(1_000_000), "1 million");
        assert_eq!(say(1_000_001), "1 million and 1");
        assert_eq!(say(2_000_300), "2 million 3 hundred");
        assert_eq!(say(1_000_000_000), "1 billion");
        assert_eq!(say(5_000_000_000_000), "5 thousand billion");
    }

    #[test]
    fn negatives_and_extremes() {
        assert_eq!(say(-5), "minus 5");
        assert_eq!(say(-1000), "minus 1 thousand");
        let max = number_names(i64::MAX);
        // 9,223,372,036 billion 854 million 775 thousand 807.
        assert_eq!(max.first().map(String::as_str), Some("num-9"));
        assert_eq!(max.iter().filter(|s| *s == "num-billion").count(), 2);
        assert!(max.ends_with(&["num-8", "num-hundred", "and", "num-7"].map(String::from)));
        let min = number_names(i64::MIN);
        assert_eq!(min[0], "minus");
        assert!(min.ends_with(&["num-8", "num-hundred", "and", "num-8"].map(String::from)));
    }

    #[test]
    fn every_name_is_a_generated_prompt() {
        let generated: Vec<String> = (0..20)
            .chain((20..=90).step_by(10))
            .map(|n| format!("num-{n}"))
            .chain(
                [
                    "num-hundred",
                    "num-thousand",
                    "num-million",
                    "num-billion",
                    "minus",
                    "and",
                ]
                .map(String::from),
            )
            .collect();
        // About 90 values from 0 to 3e9, each also negated.
        let mut n: i64 = 0;
        while n < 3_000_000_000 {
            for v in [n, -n] {
                for name in number_names(v) {
                    assert!(generated.contains(&name), "{v}: {name}");
                }
            }
            n = n * 13 / 10 + 1;
        }
        for n in [i64::MIN, i64::MAX, 0, 1, 99, 999_999] {
            for name in number_names(n) {
                assert!(generated.contains(&name), "{n}: {name}");
            }
        }
    }
}
