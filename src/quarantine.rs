//! Quarantine of originals: front ends keep the original of every sanitised message so that
//! an administrator can look at it and, if it is wanted, release it to a recipient.
//!
//! Each entry is two files in the quarantine directory: `ID.eml` (the original, exactly as
//! it was given to the sanitiser) and `ID.json` ([`QuarantineMeta`]). `ID` is
//! [`Report::quarantine_id`](crate::Report::quarantine_id), derived from the original's
//! SHA-256, and is shown in the notice. Files are written to a temporary name, fsync'd and
//! renamed into place, so a crash never leaves a half-written entry under its real name;
//! the `.json` is written last, so an entry is listed only once its original is complete.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::Report;

/// Metadata stored next to a quarantined original.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuarantineMeta {
    /// Quarantine id.
    pub id: String,
    /// When it was stored, in seconds since the Unix epoch.
    pub stored_at: u64,
    /// Front end that stored it (`milter`, `smtp`...).
    pub front_end: String,
    /// MTA queue id.
    pub queue_id: Option<String>,
    /// Envelope sender (empty for the null sender).
    pub sender: String,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// `Message-ID` of the original.
    pub message_id: Option<String>,
    /// Size of the original in bytes.
    pub size: u64,
    /// SHA-256 of the original.
    pub original_sha256: String,
    /// Actions taken by the sanitiser.
    pub actions: Vec<String>,
    /// Removed items: `name (detected type, size bytes, sha256)`.
    pub removed: Vec<String>,
    /// Every release of this original.
    pub releases: Vec<Release>,
}

/// One release of a quarantined original.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Recipient it was sent to.
    pub to: String,
    /// When, in seconds since the Unix epoch.
    pub at: u64,
    /// Who released it (the invoking user).
    pub by: String,
}

impl QuarantineMeta {
    /// Metadata for an original sanitised with `report`.
    pub fn from_report(report: &Report, size: usize) -> Self {
        QuarantineMeta {
            id: report.quarantine_id().to_string(),
            stored_at: now_secs(),
            message_id: report.message_id.clone(),
            size: size as u64,
            original_sha256: report.original_sha256.clone(),
            actions: report
                .actions
                .iter()
                .map(|a| a.token().to_string())
                .collect(),
            removed: report
                .removed
                .iter()
                .map(|i| {
                    format!(
                        "{} ({}, {} bytes, sha256 {})",
                        i.name.as_deref().unwrap_or("-"),
                        i.detected_type,
                        i.size,
                        i.sha256
                    )
                })
                .collect(),
            ..QuarantineMeta::default()
        }
    }
}

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Parses an age such as `30d`, `12h`, `90m`, `3600s` or `2w` (a bare number is days).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(mugai::quarantine::parse_age("30d").unwrap(), Duration::from_secs(30 * 86400));
/// assert_eq!(mugai::quarantine::parse_age("90m").unwrap(), Duration::from_secs(5400));
/// assert!(mugai::quarantine::parse_age("soon").is_err());
/// ```
pub fn parse_age(s: &str) -> Result<Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "d"),
    };
    let n: u64 = num.parse().map_err(|_| Error::PolicyValue {
        field: "--older-than",
        message: format!("`{s}` is not an age like 30d, 12h, 90m"),
    })?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(Error::PolicyValue {
                field: "--older-than",
                message: format!("unknown unit in `{s}` (use s, m, h, d or w)"),
            });
        }
    };
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

/// A quarantine directory.
#[derive(Debug, Clone)]
pub struct Quarantine {
    dir: PathBuf,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn write_atomic(dir: &Path, name: &str, data: &[u8]) -> Result<()> {
    let tmp = dir.join(format!(
        ".tmp-{}-{}-{name}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::io(format!("cannot create {}", tmp.display()), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = f.set_permissions(fs::Permissions::from_mode(0o600));
        }
        f.write_all(data)
            .and_then(|_| f.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
        let dest = dir.join(name);
        fs::rename(&tmp, &dest)
            .map_err(|e| Error::io(format!("cannot rename into {}", dest.display()), e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

impl Quarantine {
    /// A quarantine in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Quarantine { dir: dir.into() }
    }

    /// The quarantine a policy asks for, or `None` when it keeps no originals (see
    /// [`Policy::quarantine_enabled`](crate::policy::Policy::quarantine_enabled)).
    pub fn of_policy(policy: &crate::policy::Policy) -> Option<Self> {
        policy
            .quarantine_enabled()
            .then(|| Quarantine::new(policy.quarantine.dir.clone()))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str, ext: &str) -> Result<PathBuf> {
        if !valid_id(id) {
            return Err(Error::PolicyValue {
                field: "quarantine id",
                message: format!("`{id}` is not a quarantine id (hex digits)"),
            });
        }
        Ok(self.dir.join(format!("{id}.{ext}")))
    }

    /// Stores `original` under `meta.id`, durably: temp file, fsync, rename, fsync of the
    /// directory. Storing the same original again replaces its metadata.
    pub fn store(&self, original: &[u8], meta: &QuarantineMeta) -> Result<PathBuf> {
        let eml = self.path(&meta.id, "eml")?;
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("cannot create {}", self.dir.display()), e))?;
        write_atomic(&self.dir, &format!("{}.eml", meta.id), original)?;
        let json = serde_json::to_vec_pretty(meta).map_err(|e| {
            Error::io(
                "cannot serialise quarantine metadata",
                std::io::Error::other(e),
            )
        })?;
        write_atomic(&self.dir, &format!("{}.json", meta.id), &json)?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(eml)
    }

    /// Every entry, oldest first.
    pub fn list(&self) -> Result<Vec<QuarantineMeta>> {
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(format!("cannot list {}", self.dir.display()), e)),
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if valid_id(id)
                && let Ok(meta) = self.meta(id)
            {
                out.push(meta);
            }
        }
        out.sort_by(|a, b| a.stored_at.cmp(&b.stored_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The metadata of one entry.
    pub fn meta(&self, id: &str) -> Result<QuarantineMeta> {
        let p = self.path(id, "json")?;
        let data =
            fs::read(&p).map_err(|e| Error::io(format!("cannot read {}", p.display()), e))?;
        serde_json::from_slice(&data).map_err(|e| {
            Error::io(
                format!("invalid metadata {}", p.display()),
                std::io::Error::other(e),
            )
        })
    }

    /// The original of one entry.
    pub fn original(&self, id: &str) -> Result<Vec<u8>> {
        let p = self.path(id, "eml")?;
        fs::read(&p).map_err(|e| Error::io(format!("cannot read {}", p.display()), e))
    }

    /// The original of one entry, checked against the SHA-256 recorded in its metadata: a
    /// file changed (tampered with, or damaged) since it was stored is refused, and the
    /// refusal is logged.
    pub fn verified_original(&self, id: &str) -> Result<Vec<u8>> {
        let meta = self.meta(id)?;
        let original = self.original(id)?;
        let actual = crate::inspect::digest::sha256_hex(&original);
        if meta.original_sha256.is_empty() || !actual.eq_ignore_ascii_case(&meta.original_sha256) {
            tracing::warn!(
                id,
                recorded = %meta.original_sha256,
                actual = %actual,
                "quarantined original does not match its recorded SHA-256; refused"
            );
            return Err(Error::io(
                format!("quarantined original {id} refused"),
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{id}.eml does not match the SHA-256 recorded in {id}.json \
                         (recorded {}, file {actual}): it was changed after it was stored",
                        if meta.original_sha256.is_empty() {
                            "none"
                        } else {
                            &meta.original_sha256
                        }
                    ),
                ),
            ));
        }
        Ok(original)
    }

    /// Records a release of `id` to `to` by `by`.
    pub fn record_release(&self, id: &str, to: &str, by: &str) -> Result<()> {
        let mut meta = self.meta(id)?;
        meta.releases.push(Release {
            to: to.to_string(),
            at: now_secs(),
            by: by.to_string(),
        });
        let json = serde_json::to_vec_pretty(&meta).map_err(|e| {
            Error::io(
                "cannot serialise quarantine metadata",
                std::io::Error::other(e),
            )
        })?;
        write_atomic(&self.dir, &format!("{id}.json"), &json)
    }

    /// Sends the original of `id` to `to` through the SMTP relay `relay` (`host:port`,
    /// default port 25), with the original envelope sender, and records the release. The
    /// original must match its recorded SHA-256 ([`Quarantine::verified_original`]).
    pub fn release(&self, id: &str, to: &str, relay: &str, by: &str) -> Result<()> {
        use lettre::address::{Address, Envelope};
        use lettre::{SmtpTransport, Transport};
        let meta = self.meta(id)?;
        let original = self.verified_original(id)?;
        let bad = |what: &str, e: String| Error::PolicyValue {
            field: "release",
            message: format!("{what}: {e}"),
        };
        let to_addr: Address = to.parse().map_err(|e| bad("recipient", format!("{e}")))?;
        let from: Option<Address> = if meta.sender.is_empty() {
            None
        } else {
            meta.sender.parse().ok()
        };
        let envelope =
            Envelope::new(from, vec![to_addr]).map_err(|e| bad("envelope", format!("{e}")))?;
        let relay = if relay.is_empty() {
            "127.0.0.1:25"
        } else {
            relay
        };
        let (host, port) = match relay.rsplit_once(':') {
            Some((h, p)) => (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse::<u16>()
                    .map_err(|e| bad("relay port", format!("{e}")))?,
            ),
            None => (relay, 25),
        };
        let transport = SmtpTransport::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(60)))
            .build();
        // The transport ends DATA with CRLF "." CRLF itself: give it the message without its
        // final line end so that the recipient gets the original byte for byte.
        let data = original.strip_suffix(b"\r\n").unwrap_or(&original);
        transport.send_raw(&envelope, data).map_err(|e| {
            Error::io(
                format!("cannot release {id} through {relay}"),
                std::io::Error::other(e.to_string()),
            )
        })?;
        self.record_release(id, to, by)?;
        tracing::info!(target: "mugai::audit", id, to, relay, by, "quarantine release");
        Ok(())
    }

    /// Removes entries stored more than `age` before `now`. Returns how many.
    pub fn purge(&self, age: Duration, now: SystemTime) -> Result<usize> {
        let cutoff = now
            .checked_sub(age)
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut n = 0;
        for meta in self.list()? {
            if meta.stored_at <= cutoff {
                // Metadata first: a half-purged entry is no longer listed.
                let json = self.path(&meta.id, "json")?;
                fs::remove_file(&json)
                    .map_err(|e| Error::io(format!("cannot remove {}", json.display()), e))?;
                let _ = fs::remove_file(self.path(&meta.id, "eml")?);
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_list_show_purge() {
        let dir = tempfile::tempdir().unwrap();
        let q = Quarantine::new(dir.path().join("q"));
        assert!(q.list().unwrap().is_empty());
        let report = Report {
            original_sha256: "0123456789abcdef".repeat(4),
            message_id: Some("<m@x>".into()),
            ..Report::default()
        };
        let mut meta = QuarantineMeta::from_report(&report, 5);
        meta.sender = "a@x".into();
        meta.stored_at = 1000;
        q.store(b"hello", &meta).unwrap();
        assert_eq!(meta.id.len(), 24);
        assert_eq!(q.original(&meta.id).unwrap(), b"hello");
        let listed = q.list().unwrap();
        assert_eq!(listed, vec![meta.clone()]);
        q.record_release(&meta.id, "b@y", "admin").unwrap();
        assert_eq!(q.meta(&meta.id).unwrap().releases[0].to, "b@y");
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(q.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(q.meta("../etc/passwd").is_err());
        assert_eq!(
            q.purge(
                Duration::from_secs(10),
                UNIX_EPOCH + Duration::from_secs(1005)
            )
            .unwrap(),
            0
        );
        assert_eq!(
            q.purge(Duration::from_secs(10), SystemTime::now()).unwrap(),
            1
        );
        assert!(q.list().unwrap().is_empty());
    }
}
