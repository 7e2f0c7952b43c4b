//! Errors returned by the library.

use std::path::PathBuf;

/// Everything that can go wrong when sanitising a mail or loading a policy.
///
/// Malformed *mail* is never an error: any byte string yields a safe output. Errors are
/// reserved for configuration problems, I/O in the front ends, and internal failures (a panic
/// caught inside the core), which front ends must treat as "temporary failure, keep the mail".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The policy file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    PolicyRead {
        /// File that was being read.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// The policy file is not valid TOML or has unknown/ill-typed fields.
    #[error("invalid policy {path}: {message}")]
    PolicyParse {
        /// File that was being parsed (or `<string>`).
        path: PathBuf,
        /// Parser message, including line and column.
        message: String,
    },
    /// The policy parsed but one of its values is out of range.
    #[error("invalid policy value for `{field}`: {message}")]
    PolicyValue {
        /// Name of the offending field.
        field: &'static str,
        /// Why the value was refused.
        message: String,
    },
    /// The policy asks to reject messages that exceed a limit, and this one did.
    #[error("message rejected by policy: {reason}")]
    Rejected {
        /// Which limit was exceeded.
        reason: String,
    },
    /// An internal failure (for example a panic in a third-party parser) was caught.
    /// The input must not be passed on; front ends answer a temporary failure.
    #[error("internal error while sanitising: {0}")]
    Internal(String),
    /// An I/O error in a front end or a store.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Underlying I/O error.
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with a description of what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Text of a caught panic's payload (`panic!("…")` gives a `&str` or a `String`; anything
/// else reads `panic`), for the error or log line that reports it.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payload_texts() {
        let caught = |f: fn()| std::panic::catch_unwind(f).err().map(|p| panic_text(&*p));
        assert_eq!(caught(|| panic!("plain")).as_deref(), Some("plain"));
        assert_eq!(caught(|| panic!("n = {}", 3)).as_deref(), Some("n = 3"));
        assert_eq!(
            caught(|| std::panic::panic_any(7u8)).as_deref(),
            Some("panic")
        );
    }
}
