//! Directory trees of `.eml` files, and atomic file writes.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

/// Lists the `.eml` files (case-insensitive extension) under `root`, as paths relative to
/// `root`, sorted. Symbolic links are not followed; hidden entries (`.name`) are skipped.
/// Returns the files and the number of other files that were skipped.
pub fn list(root: &Path) -> io::Result<(Vec<PathBuf>, usize)> {
    let mut files = Vec::new();
    let mut skipped = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(root.join(&rel))? {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            let child = rel.join(&name);
            if kind.is_dir() {
                stack.push(child);
            } else if kind.is_file() {
                if is_eml(&child) {
                    files.push(child);
                } else {
                    skipped += 1;
                }
            }
        }
    }
    files.sort();
    Ok((files, skipped))
}

/// Whether `path` ends in `.eml` (any case).
pub fn is_eml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
}

/// Whether `rel` is a plain relative path (no `..`, no root, no prefix), safe to join to an
/// output directory.
pub fn is_safe_relative(rel: &Path) -> bool {
    !rel.as_os_str().is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Writes `data` to `path` through a temporary file in the same directory and a rename, so
/// that `path` never holds a partial file. Creates missing parent directories.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.mugai-tmp"));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
    }
    fs::rename(&tmp, path)
}

/// Writes sanitised messages into a directory tree mirroring the input's relative paths.
#[derive(Debug, Clone)]
pub struct EmlWriter {
    root: PathBuf,
}

impl EmlWriter {
    /// Writes under `root` (created if needed).
    pub fn create(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(EmlWriter {
            root: root.to_owned(),
        })
    }

    /// Writes `data` at `root/rel` atomically and returns the path. `rel` must be a plain
    /// relative path.
    pub fn write(&self, rel: &Path, data: &[u8]) -> io::Result<PathBuf> {
        if !is_safe_relative(rel) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unsafe relative path {}", rel.display()),
            ));
        }
        let path = self.root.join(rel);
        write_atomic(&path, data)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_eml_tree_sorted_and_mirrors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/c")).unwrap();
        fs::write(root.join("b/c/2.EML"), b"x").unwrap();
        fs::write(root.join("a.eml"), b"x").unwrap();
        fs::write(root.join("b/notes.txt"), b"x").unwrap();
        fs::write(root.join(".hidden.eml"), b"x").unwrap();
        let (files, skipped) = list(root).unwrap();
        assert_eq!(
            files,
            vec![PathBuf::from("a.eml"), PathBuf::from("b/c/2.EML")]
        );
        assert_eq!(skipped, 1);

        let out = tempfile::tempdir().unwrap();
        let w = EmlWriter::create(out.path()).unwrap();
        let p = w.write(&files[1], b"hello").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        assert!(w.write(Path::new("../escape.eml"), b"x").is_err());
        assert!(w.write(Path::new("/abs.eml"), b"x").is_err());
        // No temporary file left behind.
        assert_eq!(fs::read_dir(out.path().join("b/c")).unwrap().count(), 1);
    }
}
