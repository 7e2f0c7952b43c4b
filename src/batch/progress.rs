//! Progress of a run: a bar on a terminal, a log line every few seconds otherwise.
//!
//! Only the writer thread updates the progress, after each message written, so the display
//! needs no locking; it throttles itself (10 bar updates, or one log line per 5 seconds) so
//! that a run of small messages does not spend its time drawing. Log lines go through
//! `tracing` at `info` level, with the counts as fields, so they land wherever the
//! program's logs go (plain or JSON).

use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

use super::report::Tally;

/// How progress is shown on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A progress bar when standard error is a terminal, periodic log lines otherwise.
    #[default]
    Auto,
    /// Always a progress bar.
    Bar,
    /// Periodic log lines.
    Log,
    /// Nothing.
    Off,
}

/// Progress on standard error: an indicatif bar, or a log line every 5 seconds.
pub(super) struct ProgressDisplay {
    mode: Progress,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last: Instant,
    total_bytes: u64,
    prior: Tally,
}

impl ProgressDisplay {
    /// A display in `mode` for an input of `total_bytes`, of which `prior` (the counts of
    /// earlier, interrupted runs) is done already.
    pub(super) fn new(mode: Progress, total_bytes: u64, prior: Tally) -> Self {
        let mode = match mode {
            Progress::Auto if io::stderr().is_terminal() => Progress::Bar,
            Progress::Auto => Progress::Log,
            m => m,
        };
        let bar = (mode == Progress::Bar).then(|| new_bar(total_bytes, prior.bytes_in));
        let now = Instant::now();
        ProgressDisplay {
            mode,
            bar,
            started: now,
            last: now,
            total_bytes,
            prior,
        }
    }

    /// Shows `tally` (the counts of this run), unless the last update was too recent.
    pub(super) fn update(&mut self, tally: &Tally) {
        if self.mode == Progress::Off {
            return;
        }
        let now = Instant::now();
        let every = if self.mode == Progress::Bar {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(5)
        };
        if now.duration_since(self.last) < every {
            return;
        }
        self.last = now;
        let secs = now.duration_since(self.started).as_secs_f64().max(1e-9);
        match &self.bar {
            Some(bar) => self.draw(bar, tally, secs),
            None => self.log(tally, secs),
        }
    }

    /// Clears the bar at the end of the run.
    pub(super) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// Moves the bar and shows the counts beside it.
    fn draw(&self, bar: &indicatif::ProgressBar, tally: &Tally, secs: f64) {
        let msgs = tally.messages();
        bar.set_position(self.prior.bytes_in + tally.bytes_in);
        bar.set_message(format!(
            "{} msgs, {:.0} msg/s, {} failed",
            self.prior.messages() + msgs,
            msgs as f64 / secs,
            self.prior.failed + tally.failed
        ));
    }

    /// Logs the counts, rates, share done and time left.
    fn log(&self, tally: &Tally, secs: f64) {
        let messages = self.prior.messages() + tally.messages();
        let failed = self.prior.failed + tally.failed;
        let rate = tally.messages() as f64 / secs;
        let mbps = tally.bytes_in as f64 / 1e6 / secs;
        let done_bytes = self.prior.bytes_in + tally.bytes_in;
        let pct = if self.total_bytes > 0 {
            done_bytes as f64 * 100.0 / self.total_bytes as f64
        } else {
            100.0
        };
        let eta = if tally.bytes_in > 0 {
            let left = self.total_bytes.saturating_sub(done_bytes) as f64;
            format!("{:.0} s", left / (tally.bytes_in as f64 / secs))
        } else {
            "?".into()
        };
        tracing::info!(
            messages,
            failed,
            bytes_done = done_bytes,
            bytes_total = self.total_bytes,
            "{messages} msgs ({failed} failed), {rate:.0} msg/s, {mbps:.2} MB/s, \
             {pct:.1}%, ETA {eta}"
        );
    }
}

/// An indicatif bar over `total_bytes`, starting at `done`.
fn new_bar(total_bytes: u64, done: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total_bytes);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {percent:>3}% {binary_bytes_per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_position(done);
    bar.reset_eta();
    bar
}
