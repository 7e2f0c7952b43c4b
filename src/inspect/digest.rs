//! SHA-256 of removed content (sha2 uses the CPU's SHA extensions when present).

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `data`.
///
/// ```
/// assert_eq!(
///     mugai::inspect::digest::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}
