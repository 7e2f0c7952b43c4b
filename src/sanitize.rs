//! The entry point: [`Sanitizer`] turns any byte string into a safe [`Outcome`].

use std::sync::Arc;
use std::time::Instant;

use crate::budget::Deadline;
use crate::error::Result;
use crate::outcome::Outcome;
use crate::policy::Policy;

/// Sanitises messages under one [`Policy`]. Cheap to clone and shareable between threads.
///
/// ```
/// use mugai::{Policy, Sanitizer};
/// let sanitizer = Sanitizer::new(Policy::default());
/// let mail = b"From: a@example.jp\r\nSubject: test\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>world</b></p>\r\n";
/// let outcome = sanitizer.sanitize(mail).unwrap();
/// let text = String::from_utf8(outcome.to_message()).unwrap();
/// assert!(text.contains("Hello"));
/// assert!(!text.contains("<b>"));
/// ```
#[derive(Debug, Clone)]
pub struct Sanitizer {
    policy: Arc<Policy>,
}

impl Sanitizer {
    /// Creates a sanitiser for `policy`.
    pub fn new(policy: Policy) -> Self {
        Sanitizer {
            policy: Arc::new(policy),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Sanitises one message.
    ///
    /// Never panics and never returns the input unchanged: malformed input yields a safe
    /// rendering. Errors are [`crate::Error::Rejected`] (a limit with `on_limit = "reject"`)
    /// and [`crate::Error::Internal`] (a caught panic); a front end must not deliver the
    /// original in either case.
    ///
    /// The work is bounded by the policy's `limits.time_budget_ms`, counted from now; see
    /// [`Sanitizer::sanitize_until`].
    pub fn sanitize(&self, input: &[u8]) -> Result<Outcome> {
        crate::pipeline::run(&self.policy, input, Deadline::never())
    }

    /// Sanitises one message, stopping work at `deadline` or at the end of the policy's
    /// time budget (`limits.time_budget_ms` from now), whichever comes first.
    ///
    /// Past the deadline the parts not yet handled are removed and listed
    /// ([`crate::RemovalReason::Limit`]) and `report.limits_hit` contains
    /// [`crate::budget::TIME_BUDGET`]; with `on_limit = "reject"` the result is
    /// [`crate::Error::Rejected`] instead. The output is still one text/plain message.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let s = mugai::Sanitizer::new(mugai::Policy::default());
    /// let mail = b"Subject: hi\r\n\r\nhello\r\n";
    /// let out = s.sanitize_until(mail, Instant::now() + Duration::from_secs(5)).unwrap();
    /// assert!(out.report.limits_hit.is_empty());
    /// let late = s.sanitize_until(mail, Instant::now()).unwrap();
    /// assert!(late.report.limits_hit.iter().any(|l| l == "time_budget"));
    /// ```
    pub fn sanitize_until(&self, input: &[u8], deadline: Instant) -> Result<Outcome> {
        crate::pipeline::run(&self.policy, input, Deadline::at(deadline))
    }
}
