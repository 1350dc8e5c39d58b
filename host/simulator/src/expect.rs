//! Comparing what the flow did with what the scenario expects.

use crate::action::Action;
use crate::scenario::Expect;

/// The first difference between expected and actual behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// 1-based number of the expectation (or of the action, when the flow
    /// did more than expected).
    pub index: usize,
    /// What went wrong, for people.
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "expectation #{}: {}", self.index, self.message)
    }
}

/// Check `actions` against `expected`, exactly and in order.
pub fn check_actions(expected: &[Expect], actions: &[Action]) -> Result<(), Mismatch> {
    for (i, e) in expected.iter().enumerate() {
        let Some(a) = actions.get(i) else {
            return Err(Mismatch {
                index: i + 1,
                message: format!("expected {}, but the flow did nothing more", describe(e)),
            });
        };
        if let Some(why) = differs(e, a) {
            return Err(Mismatch {
                index: i + 1,
                message: format!("expected {}, got {a} ({why})", describe(e)),
            });
        }
    }
    if let Some(extra) = actions.get(expected.len()) {
        return Err(Mismatch {
            index: expected.len() + 1,
            message: format!("the flow did more than expected: {extra}"),
        });
    }
    Ok(())
}

/// Check that `expected` log event names occur in `logs` in that order.
pub fn check_logs(expected: &[String], logs: &[String]) -> Result<(), Mismatch> {
    let mut from = 0;
    for (i, name) in expected.iter().enumerate() {
        match logs[from..].iter().position(|l| l == name) {
            Some(p) => from += p + 1,
            None => {
                return Err(Mismatch {
                    index: i + 1,
                    message: format!(
                        "(expect-logs) expected log event `{name}` after {:?}; events were {logs:?}",
                        &expected[..i]
                    ),
                });
            }
        }
    }
    Ok(())
}

fn describe(e: &Expect) -> String {
    let mut s = e.action.clone();
    let fields: [(&str, Option<String>); 10] = [
        ("prompts", e.prompts.as_ref().map(|p| format!("{p:?}"))),
        ("digits", e.digits.as_ref().map(|d| format!("{d:?}"))),
        ("number", e.number.map(|n| n.to_string())),
        ("targets", e.targets.as_ref().map(|t| format!("{t:?}"))),
        ("target", e.target.clone()),
        ("queue", e.queue.clone()),
        ("box", e.mailbox.clone()),
        ("cause", e.cause.clone()),
        ("name", e.name.clone()),
        ("value", e.value.as_ref().map(|v| format!("{v:?}"))),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            s.push_str(&format!(" {k}={v}"));
        }
    }
    s
}

/// Why `a` does not satisfy `e`, if it does not.
fn differs(e: &Expect, a: &Action) -> Option<String> {
    if e.action != a.name() {
        return Some("a different action".into());
    }
    let mismatch = |field: &str| Some(format!("{field} differs"));
    match a {
        Action::Play(p) if e.prompts.as_ref().is_some_and(|x| x != p) => mismatch("prompts"),
        Action::Collect(d) | Action::SayDigits(d) if e.digits.as_ref().is_some_and(|x| x != d) => {
            mismatch("digits")
        }
        Action::SayNumber(n) if e.number.is_some_and(|x| x != *n) => mismatch("number"),
        Action::Dial(t) if e.targets.as_ref().is_some_and(|x| x != t) => mismatch("targets"),
        Action::Transfer(t) if e.target.as_ref().is_some_and(|x| x != t) => mismatch("target"),
        Action::Enqueue(q) if e.queue.as_ref().is_some_and(|x| x != q) => mismatch("queue"),
        Action::Voicemail(b) if e.mailbox.as_ref().is_some_and(|x| x != b) => mismatch("box"),
        Action::Hangup(c) if e.cause.as_ref().is_some_and(|x| x != c) => mismatch("cause"),
        Action::SetField(n, v)
            if e.name.as_ref().is_some_and(|x| x != n)
                || e.value.as_ref().is_some_and(|x| x != v) =>
        {
            mismatch("field")
        }
        _ => None,
    }
}
