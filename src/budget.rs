//! The time budget of one sanitisation: a deadline carried through the pipeline.
//!
//! [`Deadline`] is a cheap `Copy` value; a loop that can run long either asks
//! [`Deadline::passed`] once per unit of work (a MIME part, a chunk) or keeps a [`Ticker`]
//! that reads the clock only every [`Ticker::STRIDE`] iterations. Work past the deadline
//! stops early: what was not handled is removed and listed as "limit reached"
//! (`limits_hit` gets [`TIME_BUDGET`]), or the message is rejected with
//! `on_limit = "reject"`.

use std::time::{Duration, Instant};

/// The name of the time-budget limit in `Report::limits_hit`.
pub const TIME_BUDGET: &str = "time_budget";

/// A point in time after which work stops; [`Deadline::never`] for no limit.
///
/// ```
/// use std::time::{Duration, Instant};
/// use mugai::budget::Deadline;
/// assert!(!Deadline::never().passed());
/// assert!(Deadline::at(Instant::now()).passed());
/// assert!(!Deadline::after(Duration::from_secs(60)).passed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Option<Instant>,
}

impl Deadline {
    /// No deadline: [`Deadline::passed`] is always false.
    pub const fn never() -> Self {
        Deadline { at: None }
    }

    /// A deadline at `instant`.
    pub const fn at(instant: Instant) -> Self {
        Deadline { at: Some(instant) }
    }

    /// A deadline `budget` from now (no deadline if that instant cannot be represented).
    pub fn after(budget: Duration) -> Self {
        Deadline {
            at: Instant::now().checked_add(budget),
        }
    }

    /// The earlier of two deadlines.
    pub fn min(self, other: Deadline) -> Self {
        match (self.at, other.at) {
            (Some(a), Some(b)) => Deadline::at(a.min(b)),
            (Some(a), None) | (None, Some(a)) => Deadline::at(a),
            (None, None) => Deadline::never(),
        }
    }

    /// The instant, if any.
    pub fn instant(self) -> Option<Instant> {
        self.at
    }

    /// Whether the deadline has passed (reads the clock).
    pub fn passed(self) -> bool {
        self.at.is_some_and(|at| Instant::now() >= at)
    }

    /// Time left before the deadline (`None` without a deadline; zero once passed).
    pub fn remaining(self) -> Option<Duration> {
        self.at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// A [`Ticker`] for a hot loop.
    pub fn ticker(self) -> Ticker {
        Ticker {
            deadline: self,
            count: 0,
            hit: false,
        }
    }
}

/// Checks a [`Deadline`] from a hot loop without reading the clock on every iteration.
///
/// ```
/// use std::time::Instant;
/// use mugai::budget::{Deadline, Ticker};
/// let mut t = Deadline::at(Instant::now()).ticker();
/// let stopped_at = (0..100_000).position(|_| t.tick());
/// assert_eq!(stopped_at, Some(Ticker::STRIDE - 1));
/// assert!(t.hit());
/// ```
#[derive(Debug, Clone)]
pub struct Ticker {
    deadline: Deadline,
    count: usize,
    hit: bool,
}

impl Ticker {
    /// Iterations between two clock reads.
    pub const STRIDE: usize = 4096;

    /// Counts one iteration; true once the deadline has passed (stays true).
    #[inline]
    pub fn tick(&mut self) -> bool {
        self.count += 1;
        if !self.hit && self.count.is_multiple_of(Self::STRIDE) {
            self.hit = self.deadline.passed();
        }
        self.hit
    }

    /// Whether a tick has seen the deadline pass.
    pub fn hit(&self) -> bool {
        self.hit
    }
}
