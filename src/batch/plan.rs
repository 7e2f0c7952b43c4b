//! The plan: everything decided before the first message is read.
//!
//! [`Plan::new`] turns [`BatchOptions`] into facts: the input and output formats (the
//! input's detected here, and only here), the number of workers, where everything is
//! written ([`Layout`], checked against the input), and the [`Source`]: the mapped mbox or
//! the sorted list of message files, with the input's total size for the progress display
//! and the journal. Nothing is written while planning, so a refusal leaves no trace.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::detect::{InputFormat, OutputFormat, detect};
use super::eml;
use super::job::Origin;
use super::journal::JournalHeader;
use super::maildir;
use super::mbox::MappedFile;
use super::paths::{Layout, resolved_text};
use super::run::BatchOptions;
use super::{io_err, refuse};
use crate::error::Result;

/// Message files in input order, each with its origin.
pub(super) type MessageFiles = Vec<(Origin, PathBuf)>;

/// Where the messages come from.
pub(super) enum Source {
    /// An mbox, memory-mapped; the dispatcher splits it.
    Mbox(Arc<MappedFile>),
    /// Message files in input order, each with its origin.
    Files(MessageFiles),
}

impl Source {
    /// The mapped mbox, when the source is one.
    pub(super) fn mbox_map(&self) -> Option<Arc<MappedFile>> {
        match self {
            Source::Mbox(m) => Some(m.clone()),
            Source::Files(_) => None,
        }
    }
}

/// What a run will do, decided before it does anything.
pub(super) struct Plan {
    /// When planning began (the summary's clock).
    pub(super) started: Instant,
    /// The input path, as given.
    pub(super) input: PathBuf,
    /// The input format, given or detected.
    pub(super) input_format: InputFormat,
    /// The output format, given or the input's kind.
    pub(super) output_format: OutputFormat,
    /// Worker threads.
    pub(super) jobs: usize,
    /// Every path the run writes.
    pub(super) layout: Layout,
    /// The messages.
    pub(super) source: Source,
    /// Size of the input in bytes (the sum of the message files for a directory).
    pub(super) total_bytes: u64,
    /// Files of an `.eml` tree that are not messages.
    pub(super) skipped_files: u64,
}

impl Plan {
    /// Plans the run `opts` asks for: formats, workers, paths (refusing unsafe ones) and
    /// the source.
    pub(super) fn new(opts: &BatchOptions) -> Result<Self> {
        let started = Instant::now();
        let input = &opts.input;
        let input_format = match opts.input_format {
            Some(f) => f,
            None => detect(input).map_err(io_err(format!("cannot read {}", input.display())))?,
        };
        let output_format = opts.output_format.unwrap_or(input_format.default_output());
        let jobs = if opts.jobs == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            opts.jobs
        };
        let layout = Layout::new(&opts.output, output_format);
        layout.check(input, opts.report.as_deref())?;
        let (source, total_bytes, skipped_files) = open_source(input, input_format)?;
        tracing::debug!(
            input = %input.display(),
            %input_format,
            %output_format,
            jobs,
            total_bytes,
            "batch planned"
        );
        Ok(Plan {
            started,
            input: input.clone(),
            input_format,
            output_format,
            jobs,
            layout,
            source,
            total_bytes,
            skipped_files,
        })
    }

    /// Messages in flight between the dispatcher and the writer: enough to keep the workers
    /// busy without a thread switch per message, few enough to bound memory.
    pub(super) fn window_size(&self) -> u64 {
        (self.jobs as u64 * 4).max(16)
    }

    /// The journal header of this run: a resume must be of the same input and formats.
    pub(super) fn journal_header(&self) -> JournalHeader {
        JournalHeader {
            mugai_journal: 1,
            input: resolved_text(&self.input),
            input_bytes: self.total_bytes,
            input_format: self.input_format.to_string(),
            output_format: self.output_format.to_string(),
        }
    }
}

/// Opens the input as `format`: maps an mbox, lists the files of a directory. Returns the
/// source, its size in bytes and the number of files skipped.
fn open_source(input: &Path, format: InputFormat) -> Result<(Source, u64, u64)> {
    let meta = fs::metadata(input).map_err(io_err(format!("cannot read {}", input.display())))?;
    if format.is_file() != meta.is_file() {
        let kind = if format.is_file() {
            "file"
        } else {
            "directory"
        };
        return Err(refuse(format!(
            "{} is not a {kind} ({format} input)",
            input.display()
        )));
    }
    match format {
        InputFormat::Mbox => {
            let map = MappedFile::open(input)
                .map_err(io_err(format!("cannot map {}", input.display())))?;
            Ok((Source::Mbox(Arc::new(map)), meta.len(), 0))
        }
        InputFormat::File => {
            let name = input
                .file_name()
                .map_or_else(|| PathBuf::from("message.eml"), PathBuf::from);
            let files = vec![(Origin::Tree { rel: name }, input.to_path_buf())];
            Ok((Source::Files(files), meta.len(), 0))
        }
        InputFormat::Maildir => {
            let (files, total) = list_maildir(input)?;
            Ok((Source::Files(files), total, 0))
        }
        InputFormat::Eml => {
            let (files, total, skipped) = list_eml(input)?;
            Ok((Source::Files(files), total, skipped))
        }
    }
}

/// The messages of a Maildir, with their total size.
fn list_maildir(input: &Path) -> Result<(MessageFiles, u64)> {
    let entries =
        maildir::list(input).map_err(io_err(format!("cannot list {}", input.display())))?;
    let total = entries.iter().map(|e| file_len(&e.path)).sum();
    let files = entries
        .into_iter()
        .map(|e| {
            let origin = Origin::Maildir {
                folder: e.folder,
                subdir: e.subdir,
                unique: e.unique,
                flags: e.flags,
            };
            (origin, e.path)
        })
        .collect();
    Ok((files, total))
}

/// The `.eml` files of a tree, with their total size and the number of other files.
fn list_eml(input: &Path) -> Result<(MessageFiles, u64, u64)> {
    let (rels, skipped) =
        eml::list(input).map_err(io_err(format!("cannot list {}", input.display())))?;
    let files: MessageFiles = rels
        .into_iter()
        .map(|rel| {
            let path = input.join(&rel);
            (Origin::Tree { rel }, path)
        })
        .collect();
    let total = files.iter().map(|(_, path)| file_len(path)).sum();
    Ok((files, total, skipped as u64))
}

/// The size of the file at `path`; 0 when it cannot be read (its worker will say why).
fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}
