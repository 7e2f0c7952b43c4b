//! The dispatcher: walks the source in input order and hands each message not yet done to
//! the workers.
//!
//! It runs on the caller's thread. Before sending job `seq` it waits for room in the
//! [`Window`], which is what bounds the messages in flight. It stops sending when the
//! caller's stop flag is set (Ctrl-C) or the writer failed; the jobs already sent are still
//! finished and written, so an interrupted run ends at a consistent checkpoint.
//!
//! On resume, messages whose index is below the checkpoint are skipped; an mbox splitter
//! restarts at the offset of the last message done instead of scanning from the start.

use std::path::PathBuf;

use crossbeam_channel::Sender;

use super::job::{Job, JobData, Origin};
use super::journal::Start;
use super::mbox::{MappedFile, Splitter};
use super::plan::Source;
use super::window::Window;

/// Sends every message of `source` not done according to `start`, in input order. Returns
/// `true` when all were sent, `false` when `stopped` cut the run short.
pub(super) fn dispatch(
    source: &Source,
    start: &Start,
    tx: Sender<Job>,
    window: &Window,
    stopped: impl Fn() -> bool,
) -> bool {
    let mut dispatcher = Dispatcher {
        seq: 0,
        tx,
        window,
        stopped,
    };
    match source {
        Source::Mbox(map) => dispatcher.mbox(map, start),
        Source::Files(files) => dispatcher.files(files, start.skip_below()),
    }
}

/// The dispatcher's state: the next sequence number and where to send.
struct Dispatcher<'a, S> {
    seq: u64,
    tx: Sender<Job>,
    window: &'a Window,
    stopped: S,
}

impl<S: Fn() -> bool> Dispatcher<'_, S> {
    /// Splits the mapped mbox and sends its messages.
    fn mbox(&mut self, map: &MappedFile, start: &Start) -> bool {
        let bytes = map.bytes();
        let base = bytes.as_ptr() as usize;
        let skip_below = start.skip_below();
        let splitter = match start.input_offset() {
            Some(offset) => {
                Splitter::starting_at(bytes, offset, skip_below.saturating_sub(1) as usize)
            }
            None => Splitter::new(bytes),
        };
        for msg in splitter {
            let index = msg.index as u64;
            if index < skip_below {
                continue;
            }
            let start = msg.raw.as_ptr() as usize - base;
            let origin = Origin::Mbox {
                offset: msg.offset,
                separator: msg.separator.to_vec(),
            };
            let data = JobData::Range {
                start,
                end: start + msg.raw.len(),
            };
            if !self.send(index, origin, data) {
                return false;
            }
        }
        true
    }

    /// Sends the message files.
    fn files(&mut self, files: &[(Origin, PathBuf)], skip_below: u64) -> bool {
        for (index, (origin, path)) in files.iter().enumerate() {
            let index = index as u64;
            if index < skip_below {
                continue;
            }
            if !self.send(index, origin.clone(), JobData::File(path.clone())) {
                return false;
            }
        }
        true
    }

    /// Sends one job once the window has room; `false` when stopped (or the workers are
    /// gone).
    fn send(&mut self, index: u64, origin: Origin, data: JobData) -> bool {
        if !self.window.wait_for_room(self.seq, &self.stopped) || (self.stopped)() {
            return false;
        }
        let job = Job {
            seq: self.seq,
            index,
            origin,
            data,
        };
        self.seq += 1;
        self.tx.send(job).is_ok()
    }
}
