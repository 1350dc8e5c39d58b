//! Numbers in French: "cent", "deux cents", "mille", "deux mille",
//! "un million", "deux milliards". Below one hundred French is irregular
//! (soixante et onze, quatre-vingt-dix-neuf), so each of 0-99 is its own
//! prompt (`num-0`..`num-99`); above, the words are `num-hundred` (cent),
//! `num-thousand` (mille), `num-million` (million), `num-billion`
//! (milliard) and `minus` (moins). Plural forms ("cents", "millions") are
//! silent in speech, so one prompt serves both.

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
    for (scale, word) in [(1_000_000_000, "num-billion"), (1_000_000, "num-million")] {
        if rest >= scale {
            // "un million", "un milliard": the count is always spoken.
            compose(rest / scale, out);
            out.push(word.to_owned());
            rest %= scale;
        }
    }
    if rest >= 1000 {
        // "mille", never "un mille".
        let thousands = rest / 1000;
        if thousands > 1 {
            compose(thousands, out);
        }
        out.push("num-thousand".to_owned());
        rest %= 1000;
    }
    let hundreds = rest / 100;
    if hundreds > 0 {
        // "cent", never "un cent".
        if hundreds > 1 {
            out.push(format!("num-{hundreds}"));
        }
        out.push("num-hundred".to_owned());
    }
    let below_hundred = rest % 100;
    if below_hundred > 0 {
        out.push(format!("num-{below_hundred}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn say(n: i64) -> String {
        number_names(n)
            .iter()
            .map(|s| s.strip_prefix("num-").unwrap_or(s))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn below_one_hundred_is_one_prompt() {
        assert_eq!(say(0), "0");
        assert_eq!(say(7), "7");
        assert_eq!(say(13), "13");
        assert_eq!(say(20), "20");
        assert_eq!(say(21), "21");
        assert_eq!(say(71), "71");
        assert_eq!(say(99), "99");
    }

    #[test]
    fn hundreds_thousands_and_more() {
        assert_eq!(say(100), "hundred");
        assert_eq!(say(101), "hundred 1");
        assert_eq!(say(110), "hundred 10");
        assert_eq!(say(200), "2 hundred");
        assert_eq!(say(999), "9 hundred 99");
        assert_eq!(say(1000), "thousand");
        assert_eq!(say(1001), "thousand 1");
        assert_eq!(say(2080), "2 thousand 80");
        assert_eq!(say(180_000), "hundred 80 thousand");
        assert_eq!(say(1_000_000), "1 million");
        assert_eq!(say(2_001_000), "2 million thousand");
        assert_eq!(say(1_000_000_000), "1 billion");
    }

    #[test]
    fn negatives_and_extremes() {
        assert_eq!(say(-5), "minus 5");
        let max = number_names(i64::MAX);
        assert_eq!(max.first().map(String::as_str), Some("num-9"));
        assert!(max.ends_with(&["num-8", "num-hundred", "num-7"].map(String::from)));
        assert_eq!(number_names(i64::MIN)[0], "minus");
    }

    #[test]
    fn every_name_is_a_generated_prompt() {
        let generated: Vec<String> = (0..100)
            .map(|n| format!("num-{n}"))
            .chain(
                [
                    "num-hundred",
                    "num-thousand",
                    "num-million",
                    "num-billion",
                    "minus",
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
    }
}
