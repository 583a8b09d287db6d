//! The kit's report: one line per check, PASS, FAIL (with the fix in one sentence) or SKIP.

use std::fmt;

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The backend did what the contract asks.
    Pass,
    /// It did not.
    Fail,
    /// The check could not run (the backend offers no such checkout).
    Skip,
}

/// One check's line.
#[derive(Debug, Clone)]
pub struct Line {
    /// How it ended.
    pub verdict: Verdict,
    /// The check's name.
    pub name: String,
    /// For a failure, the fix; for a skip, why.
    pub advice: String,
    /// What was seen, for a failure or a skip.
    pub seen: String,
}

/// Every check's line, in order.
#[derive(Debug, Default)]
pub struct Report {
    /// The lines.
    pub lines: Vec<Line>,
}

impl Report {
    /// Records a check that passed.
    pub fn pass(&mut self, name: &str) {
        self.push(Verdict::Pass, name, "", "");
    }

    /// Records a failed check, its fix and what was seen.
    pub fn fail(&mut self, name: &str, fix: &str, seen: &str) {
        self.push(Verdict::Fail, name, fix, seen);
    }

    /// Records a check that could not run, and why.
    pub fn skip(&mut self, name: &str, why: &str) {
        self.push(Verdict::Skip, name, why, "");
    }

    /// Records `Ok` as a pass, `Err(seen)` as a failure with `fix`.
    pub fn check(&mut self, name: &str, fix: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.pass(name),
            Err(seen) => self.fail(name, fix, &seen),
        }
    }

    fn push(&mut self, verdict: Verdict, name: &str, advice: &str, seen: &str) {
        let line = Line { verdict, name: name.to_owned(), advice: advice.to_owned(), seen: seen.to_owned() };
        println!("{line}");
        self.lines.push(line);
    }

    /// Whether the check `name` has a line already.
    pub fn has(&self, name: &str) -> bool {
        self.lines.iter().any(|line| line.name == name)
    }

    /// How many checks ended so.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.lines.iter().filter(|line| line.verdict == verdict).count()
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.verdict {
            Verdict::Pass => write!(f, "PASS {}", self.name),
            Verdict::Fail => write!(f, "FAIL {}: {} (seen: {})", self.name, self.advice, self.seen),
            Verdict::Skip => write!(f, "SKIP {}: {}", self.name, self.advice),
        }
    }
}
