//! Input and output formats, and detecting the input's.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

/// What kind of input the batch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// One mbox file (mboxo or mboxrd).
    Mbox,
    /// A Maildir (`cur/`, `new/`).
    Maildir,
    /// A directory tree of `.eml` files.
    Eml,
    /// A single message file.
    File,
}

/// What kind of output the batch writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One mboxrd file.
    Mbox,
    /// A Maildir, flags kept.
    Maildir,
    /// A directory tree of `.eml` files mirroring the input.
    Eml,
}

impl InputFormat {
    /// The output format used when none is given: the same kind as the input (a single
    /// file gives an `.eml` tree of one file).
    pub fn default_output(self) -> OutputFormat {
        match self {
            InputFormat::Mbox => OutputFormat::Mbox,
            InputFormat::Maildir => OutputFormat::Maildir,
            InputFormat::Eml | InputFormat::File => OutputFormat::Eml,
        }
    }

    /// Whether the input is one file (mbox or single message) rather than a directory.
    pub fn is_file(self) -> bool {
        matches!(self, InputFormat::Mbox | InputFormat::File)
    }
}

impl InputFormat {
    /// Every input format, in the order the choices are listed.
    const ALL: [InputFormat; 4] = [
        InputFormat::Mbox,
        InputFormat::Maildir,
        InputFormat::Eml,
        InputFormat::File,
    ];
}

impl OutputFormat {
    /// Every output format, in the order the choices are listed.
    const ALL: [OutputFormat; 3] = [OutputFormat::Mbox, OutputFormat::Maildir, OutputFormat::Eml];
}

/// The entry of `all` whose name is `s` (in any case), or an error naming the choices.
fn parse_name<T: Copy + fmt::Display>(s: &str, all: &[T], what: &str) -> Result<T, String> {
    let lower = s.to_ascii_lowercase();
    all.iter()
        .find(|f| f.to_string() == lower)
        .copied()
        .ok_or_else(|| {
            let choices: Vec<String> = all.iter().map(T::to_string).collect();
            format!("unknown {what} `{lower}` ({})", choices.join(", "))
        })
}

impl FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_name(s, &Self::ALL, "input format")
    }
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_name(s, &Self::ALL, "output format")
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Mbox => "mbox",
            InputFormat::Maildir => "maildir",
            InputFormat::Eml => "eml",
            InputFormat::File => "file",
        })
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Mbox => "mbox",
            OutputFormat::Maildir => "maildir",
            OutputFormat::Eml => "eml",
        })
    }
}

/// Detects the format of `path`: a directory with `cur/` or `new/` is a Maildir, any other
/// directory an `.eml` tree; a file whose first non-blank line starts with `From ` is an
/// mbox, any other file a single message.
pub fn detect(path: &Path) -> io::Result<InputFormat> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Ok(if super::maildir::is_maildir(path) {
            InputFormat::Maildir
        } else {
            InputFormat::Eml
        });
    }
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)?
        .take(4096)
        .read_to_end(&mut head)?;
    Ok(if super::mbox::starts_like_mbox(&head) {
        InputFormat::Mbox
    } else {
        InputFormat::File
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_kind() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("md/cur")).unwrap();
        std::fs::create_dir_all(root.join("tree/x")).unwrap();
        std::fs::write(
            root.join("box"),
            b"From a@b Mon Jan  2 03:04:05 2023\nA: b\n\n",
        )
        .unwrap();
        std::fs::write(root.join("one.eml"), b"From: a@b\nSubject: x\n\nhi\n").unwrap();
        assert_eq!(detect(&root.join("md")).unwrap(), InputFormat::Maildir);
        assert_eq!(detect(&root.join("tree")).unwrap(), InputFormat::Eml);
        assert_eq!(detect(&root.join("box")).unwrap(), InputFormat::Mbox);
        assert_eq!(detect(&root.join("one.eml")).unwrap(), InputFormat::File);
        assert!(detect(&root.join("missing")).is_err());
        assert_eq!("MBOX".parse::<InputFormat>().unwrap(), InputFormat::Mbox);
        assert!("x".parse::<OutputFormat>().is_err());
        assert_eq!(
            "Tar".parse::<InputFormat>().unwrap_err(),
            "unknown input format `tar` (mbox, maildir, eml, file)"
        );
        assert_eq!(
            "tar".parse::<OutputFormat>().unwrap_err(),
            "unknown output format `tar` (mbox, maildir, eml)"
        );
        for format in InputFormat::ALL {
            let name = format.to_string().to_uppercase();
            assert_eq!(name.parse::<InputFormat>().unwrap(), format);
        }
        for format in OutputFormat::ALL {
            assert_eq!(format.to_string().parse::<OutputFormat>().unwrap(), format);
        }
    }
}
