//! Where a run writes, and the checks that keep it from writing where it must not.
//!
//! Besides the output itself a run writes a journal, a failed folder, for an mbox output a
//! partial file, and maybe a report. [`Layout`] names them all in one place, and
//! [`Layout::check`] refuses any of them that is, contains, or lies inside the input (after
//! resolving `..` and symbolic links), and a report that would land on one of the others.
//! The input is the only copy of the originals: it is never written.

use std::fs;
use std::path::{Path, PathBuf};

use super::detect::OutputFormat;
use super::{io_err, refuse};
use crate::error::Result;

/// Every path a run writes, derived from the output path and format.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// The output: an mbox file or a directory.
    pub(super) output: PathBuf,
    /// The resume journal (`OUTPUT.mugai-journal`, or `OUTPUT/.mugai-journal` for a
    /// directory).
    pub(super) journal: PathBuf,
    /// The failed folder (`OUTPUT.failed/`, or `OUTPUT/failed/` for a directory).
    pub(super) failed_dir: PathBuf,
    /// For an mbox output, the file written until the run completes
    /// (`OUTPUT.mugai-partial`).
    pub(super) partial: Option<PathBuf>,
}

impl Layout {
    /// The layout of an output at `output` in `format`.
    pub(super) fn new(output: &Path, format: OutputFormat) -> Self {
        let (journal, failed_dir, partial) = match format {
            OutputFormat::Mbox => (
                with_suffix(output, ".mugai-journal"),
                with_suffix(output, ".failed"),
                Some(with_suffix(output, ".mugai-partial")),
            ),
            _ => (output.join(".mugai-journal"), output.join("failed"), None),
        };
        Layout {
            output: output.to_path_buf(),
            journal,
            failed_dir,
            partial,
        }
    }

    /// Refuses a layout (and `report`) that would write over or into `input`, and a report
    /// that would be written over one of the other paths.
    pub(super) fn check(&self, input: &Path, report: Option<&Path>) -> Result<()> {
        let mut written: Vec<&Path> = vec![&self.output, &self.journal, &self.failed_dir];
        if let Some(p) = &self.partial {
            written.push(p);
        }
        if let Some(r) = report {
            written.push(r);
        }
        check_paths(input, &written)?;
        let Some(r) = report else {
            return Ok(());
        };
        let r = resolve(r).map_err(io_err(format!("cannot resolve {}", r.display())))?;
        for p in &written[..written.len() - 1] {
            if resolve(p).is_ok_and(|p| r == p) {
                return Err(refuse(format!(
                    "the report {} would be written over {}",
                    r.display(),
                    p.display()
                )));
            }
        }
        Ok(())
    }

    /// Whether a fresh run would find something already there: the mbox or its partial
    /// file, or a non-empty output directory.
    pub(super) fn occupied(&self) -> bool {
        match &self.partial {
            Some(partial) => self.output.exists() || partial.exists(),
            None => {
                self.output.exists()
                    && fs::read_dir(&self.output).map_or(true, |mut d| d.next().is_some())
            }
        }
    }
}

/// `path` with `suffix` appended to its last component (`a.mbox` → `a.mbox.failed`).
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The absolute, symlink-resolved form of `path`, which need not exist yet (its nearest
/// existing ancestor is resolved).
pub(super) fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(mut c) => {
                for part in rest.iter().rev() {
                    c.push(part);
                }
                return Ok(c);
            }
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                _ => return Ok(abs),
            },
        }
    }
}

/// `path` resolved and as text, for the journal (the path itself when it cannot be
/// resolved).
pub(super) fn resolved_text(path: &Path) -> String {
    resolve(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

/// Refuses output paths that are, contain, or lie inside the input.
fn check_paths(input: &Path, outputs: &[&Path]) -> Result<()> {
    let inp = resolve(input).map_err(io_err(format!("cannot resolve {}", input.display())))?;
    for out in outputs {
        let o = resolve(out).map_err(io_err(format!("cannot resolve {}", out.display())))?;
        if o == inp {
            return Err(refuse(format!(
                "refusing to write over the input {}",
                input.display()
            )));
        }
        if o.starts_with(&inp) {
            return Err(refuse(format!(
                "refusing to write {} inside the input {}",
                out.display(),
                input.display()
            )));
        }
        if inp.starts_with(&o) {
            return Err(refuse(format!(
                "refusing to write {}: the input {} is inside it",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_output_over_or_inside_input() {
        let dir = tempfile::tempdir().unwrap();
        let inp = dir.path().join("in");
        fs::create_dir_all(inp.join("cur")).unwrap();
        assert!(check_paths(&inp, &[&inp]).is_err());
        assert!(check_paths(&inp, &[&inp.join("out")]).is_err());
        assert!(check_paths(&inp.join("cur"), &[&inp]).is_err());
        assert!(check_paths(&inp, &[&dir.path().join("out/x")]).is_ok());
        // Through a relative path with `..`.
        let odd = inp.join("cur/../");
        assert!(check_paths(&inp, &[&odd]).is_err());
    }

    #[test]
    fn with_suffix_appends() {
        assert_eq!(
            with_suffix(Path::new("/a/b.mbox"), ".failed"),
            PathBuf::from("/a/b.mbox.failed")
        );
    }
}
