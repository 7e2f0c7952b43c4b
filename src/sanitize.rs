//! The entry point: [`Sanitizer`] turns any byte string into a safe [`Outcome`].

use std::sync::Arc;

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
    pub fn sanitize(&self, input: &[u8]) -> Result<Outcome> {
        crate::pipeline::run(&self.policy, input)
    }
}
