//! Maildir reading and writing.
//!
//! A Maildir is a directory with `cur/`, `new/` and `tmp/`. Messages in `new/` are unseen;
//! messages in `cur/` carry flags after `:2,` in their names (`1700000000.M1P2.host:2,FS`:
//! flagged, seen). Reading lists `cur/` and `new/` (never `tmp/`, which holds deliveries in
//! progress); writing puts each message into `tmp/` and renames it into `cur/` or `new/`, with
//! the flags kept.
//!
//! Maildir++ subfolders (`.Sent/`, `.Archive.2023/`: directories whose name starts with a
//! dot and that hold `cur/` or `new/`) are read too, and written back under the same name
//! with the `maildirfolder` marker file.

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
    /// Maildir++ folder (`""` for the top level, `".Sent"` for a subfolder).
    pub folder: String,
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

/// Lists the messages of the Maildir at `root` and of its Maildir++ subfolders (the top
/// level first, then the subfolders by name); in each, `new/` first then `cur/`, each sorted
/// by name. Hidden files (starting with `.`) are skipped.
pub fn list(root: &Path) -> io::Result<Vec<MaildirEntry>> {
    let mut folders = Vec::new();
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.')
            && name.len() > 1
            && name != ".."
            && entry.file_type()?.is_dir()
            && is_maildir(&entry.path())
        {
            folders.push(name);
        }
    }
    folders.sort();
    let mut out = Vec::new();
    list_folder(root, "", &mut out)?;
    for folder in folders {
        list_folder(root, &folder, &mut out)?;
    }
    Ok(out)
}

fn list_folder(root: &Path, folder: &str, out: &mut Vec<MaildirEntry>) -> io::Result<()> {
    let base = if folder.is_empty() {
        root.to_owned()
    } else {
        root.join(folder)
    };
    for subdir in [Subdir::New, Subdir::Cur] {
        let dir = base.join(subdir.as_str());
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
                folder: folder.to_string(),
                path: dir.join(&name),
                subdir,
                unique: unique.to_string(),
                flags: flags.map(str::to_string),
            });
        }
    }
    Ok(())
}

/// Whether `folder` is `""` or a usable Maildir++ folder name (`.Name`, no `/`, not `..`).
pub fn is_valid_folder(folder: &str) -> bool {
    folder.is_empty()
        || (folder.starts_with('.')
            && folder.len() > 1
            && folder != ".."
            && !folder.contains(['/', '\\']))
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
        self.write_in("", subdir, unique, flags, data)
    }

    /// [`MaildirWriter::write`] into the Maildir++ subfolder `folder` (`""` for the top
    /// level), created with its `maildirfolder` marker if needed.
    pub fn write_in(
        &self,
        folder: &str,
        subdir: Subdir,
        unique: &str,
        flags: Option<&str>,
        data: &[u8],
    ) -> io::Result<PathBuf> {
        if !is_valid_folder(folder) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unusable Maildir++ folder {folder:?}"),
            ));
        }
        let base = if folder.is_empty() {
            self.root.clone()
        } else {
            let base = self.root.join(folder);
            if !base.join("tmp").is_dir() {
                for sub in ["cur", "new", "tmp"] {
                    fs::create_dir_all(base.join(sub))?;
                }
                fs::write(base.join("maildirfolder"), b"")?;
            }
            base
        };
        if unique.is_empty() || unique.contains(['/', '\\']) || unique.starts_with('.') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unusable Maildir name {unique:?}"),
            ));
        }
        let tmp = base.join("tmp").join(unique);
        fs::write(&tmp, data)?;
        let dest = base.join(subdir.as_str()).join(file_name(unique, flags));
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
        w.write_in(".Sent", Subdir::Cur, "4.d.host", Some("S"), b"A: 4\n\n")
            .unwrap();
        assert!(dir.path().join(".Sent/maildirfolder").exists());
        let entries = list(dir.path()).unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[3].folder, ".Sent");
        assert_eq!(entries[3].file_name(), "4.d.host:2,S");
        assert!(w.write_in("..", Subdir::Cur, "x", None, b"").is_err());
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
