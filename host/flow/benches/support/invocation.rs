//! The bench binary's command line.

/// Options of criterion's command line that take a value, to find the
/// positional filter among the arguments.
const VALUE_OPTIONS: &[&str] = &[
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--plotting-backend",
    "--output-format",
    "--format",
];

/// How the binary was invoked: benchmark mode (`cargo bench`) or test mode
/// (`cargo test --benches`), listing, and criterion's name filter.
pub struct Invocation {
    pub bench: bool,
    list: bool,
    filter: Option<String>,
}

impl Invocation {
    pub fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let has = |f: &str| args.iter().any(|a| a == f);
        let mut filter = None;
        let mut skip = false;
        for a in &args {
            if skip {
                skip = false;
            } else if VALUE_OPTIONS.contains(&a.as_str()) {
                skip = true;
            } else if !a.starts_with('-') {
                filter = Some(a.clone());
            }
        }
        Invocation {
            bench: has("--bench") && !has("--test"),
            list: has("--list"),
            filter,
        }
    }

    /// Whether a measurement printed outside criterion should run.
    pub fn wants(&self, name: &str) -> bool {
        !self.list && self.filter.as_deref().is_none_or(|f| name.contains(f))
    }
}
