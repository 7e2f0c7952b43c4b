//! (being written)
use crate::{Error, Outcome, Policy, Result};
pub(crate) fn run(_policy: &Policy, _input: &[u8]) -> Result<Outcome> {
    Err(Error::Internal("pipeline is being written".into()))
}
