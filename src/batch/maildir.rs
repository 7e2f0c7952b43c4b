//! Maildir reading and writing.
//!
//! A Maildir is a directory with `cur/`, `new/` and `tmp/`. Messages in `new/` are unseen;
//! messages in `cur/` carry flags after `:2,` in their names (`1700000000.M1P2.host:2,FS`:
//! flagged, seen). Reading lists `cur/` and `new/` (never `tmp/`, which holds deliveries in
//! progress); writing puts each message into `tmp/` and renames it into `cur/` or `new/`, with
//! the flags kept.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The two Maildir subdirectories that hold messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subdir {
    /// `new/`: delivered, not yet seen by a mail reader.
    New,
    /// `cur/`: seen by a mail reader; flags in the name.
    Cur,
}

impl Subdir {
    /// The directory name.
    pub fn as_str(self) -> &'static str {
        match self {
            Subdir::New => "new",
            Subdir::Cur => "cur",
        }
    }
}

/// One message file of a Maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirEntry {
    /// Full path of the file.
    pub path: PathBuf,
    /// `cur` or `new`.
    pub subdir: Subdir,
    /// The unique part of the name (before `:2,`).
    pub unique: String,
    /// The flags (after `:2,`), `None` when the name has no info part.
    pub flags: Option<String>,
}

impl MaildirEntry {
    /// The file name this entry would have with its flags kept.
    pub fn file_name(&self) -> String {
        file_name(&self.unique, self.flags.as_deref())
    }
}

/// A Maildir file name from its unique part and flags.
pub fn file_name(unique: &str, flags: Option<&str>) -> String {
    match flags {
        Some(f) => format!("{unique}:2,{f}"),
        None => unique.to_string(),
    }
}

/// Splits a Maildir file name into its unique part and flags (`"a.b.c:2,FS"` →
/// `("a.b.c", Some("FS"))`). The `;2,` and `!2,` separators used on systems where `:` is not
/// allowed in names are understood too.
pub fn parse_name(name: &str) -> (&str, Option<&str>) {
    for sep in [":2,", ";2,", "!2,"] {
        if let Some((unique, flags)) = name.rsplit_once(sep) {
            return (unique, Some(flags));
        }
    }
    (name, None)
}

/// Whether `dir` looks like a Maildir (has `cur/` or `new/`).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// Lists the messages of the Maildir at `root`, `new/` first then `cur/`, each sorted by
/// name. Hidden files (starting with `.`) are skipped.
pub fn list(root: &Path) -> io::Result<Vec<MaildirEntry>> {
    let mut out = Vec::new();
    for subdir in [Subdir::New, Subdir::Cur] {
        let dir = root.join(subdir.as_str());
        if !dir.is_dir() {
            continue;
        }
        let mut names = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            names.push(name);
        }
        names.sort();
        for name in names {
            let (unique, flags) = parse_name(&name);
            out.push(MaildirEntry {
                path: dir.join(&name),
                subdir,
                unique: unique.to_string(),
                flags: flags.map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// Maildir flags for a message read from an mbox, from its `Status:` and `X-Status:`
/// header fields (`R` read → `S`, `A` answered → `R`, `F` flagged → `F`, `D` deleted → `T`),
/// sorted as the Maildir specification asks. Looks only at the header block.
pub fn flags_from_status(message: &[u8]) -> String {
    let mut flags = Vec::new();
    let header_end = memchr::memmem::find(message, b"\n\n")
        .or_else(|| memchr::memmem::find(message, b"\r\n\r\n"))
        .unwrap_or(message.len());
    for line in message[..header_end].split(|&b| b == b'\n') {
        let lower = line.to_ascii_lowercase();
        let (value, map): (&[u8], &[(u8, u8)]) = if let Some(v) = lower.strip_prefix(b"status:") {
            (v, &[(b'r', b'S')])
        } else if let Some(v) = lower.strip_prefix(b"x-status:") {
            (v, &[(b'a', b'R'), (b'f', b'F'), (b'd', b'T')])
        } else {
            continue;
        };
        for &(from, to) in map {
            if value.contains(&from) && !flags.contains(&to) {
                flags.push(to);
            }
        }
    }
    flags.sort_unstable();
    String::from_utf8(flags).unwrap_or_default()
}

/// Writes messages into a Maildir.
#[derive(Debug, Clone)]
pub struct MaildirWriter {
    root: PathBuf,
}

impl MaildirWriter {
    /// Opens (creating if needed) the Maildir at `root`.
    pub fn create(root: &Path) -> io::Result<Self> {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(MaildirWriter {
            root: root.to_owned(),
        })
    }

    /// The Maildir's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `data` as `subdir/unique[:2,flags]`: first into `tmp/`, then renamed. An
    /// existing file of the same name is replaced (names are chosen deterministically so that
    /// a resumed run rewrites rather than duplicates). Returns the final path.
    pub fn write(
        &self,
        subdir: Subdir,
        unique: &str,
        flags: Option<&str>,
        data: &[u8],
    ) -> io::Result<PathBuf> {
        if unique.is_empty() || unique.contains(['/', '\\']) || unique.starts_with('.') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unusable Maildir name {unique:?}"),
            ));
        }
        let tmp = self.root.join("tmp").join(unique);
        fs::write(&tmp, data)?;
        let dest = self
            .root
            .join(subdir.as_str())
            .join(file_name(unique, flags));
        fs::rename(&tmp, &dest)?;
        Ok(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        assert_eq!(parse_name("1.M2P3.host:2,FS"), ("1.M2P3.host", Some("FS")));
        assert_eq!(parse_name("1.M2P3.host:2,"), ("1.M2P3.host", Some("")));
        assert_eq!(parse_name("1.M2P3.host"), ("1.M2P3.host", None));
        assert_eq!(parse_name("1.host;2,S"), ("1.host", Some("S")));
        assert_eq!(file_name("u", Some("RS")), "u:2,RS");
    }

    #[test]
    fn list_and_write_keep_flags() {
        let dir = tempfile::tempdir().unwrap();
        let w = MaildirWriter::create(dir.path()).unwrap();
        w.write(Subdir::Cur, "2.b.host", Some("FS"), b"A: 2\n\n")
            .unwrap();
        w.write(Subdir::Cur, "1.a.host", Some("S"), b"A: 1\n\n")
            .unwrap();
        w.write(Subdir::New, "3.c.host", None, b"A: 3\n\n").unwrap();
        fs::write(dir.path().join("tmp/partial"), b"x").unwrap();
        let entries = list(dir.path()).unwrap();
        let names: Vec<_> = entries.iter().map(|e| (e.subdir, e.file_name())).collect();
        assert_eq!(
            names,
            vec![
                (Subdir::New, "3.c.host".to_string()),
                (Subdir::Cur, "1.a.host:2,S".to_string()),
                (Subdir::Cur, "2.b.host:2,FS".to_string()),
            ]
        );
        assert!(is_maildir(dir.path()));
        assert!(w.write(Subdir::Cur, "../x", None, b"").is_err());
    }

    #[test]
    fn status_headers_to_flags() {
        assert_eq!(
            flags_from_status(b"Status: RO\nX-Status: AF\n\nStatus: D\n"),
            "FRS"
        );
        assert_eq!(flags_from_status(b"Subject: x\n\n"), "");
        assert_eq!(flags_from_status(b"X-Status: D\r\n\r\n"), "T");
    }
}
