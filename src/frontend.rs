//! What the network front ends ([`milter`](crate::milter) and [`smtp`](crate::smtp)) share:
//! the front ends differ only in how bytes arrive and leave.
//!
//! - [`Engine`]: what turns a message into an [`Outcome`] (the [`Sanitizer`], or a stand-in
//!   in tests).
//! - [`Sanitizing`]: sanitises one finished message off the reactor, in `spawn_blocking`,
//!   at most `max_concurrent` at once (a semaphore, so a burst of mail waits instead of
//!   exhausting memory or threads), within a time limit, and stores the original in the
//!   quarantine when the policy has one. The time limit is passed into the engine as a
//!   deadline ([`Engine::sanitize_until`]), a little before the front end's own, so that
//!   the work itself stops: a message over its budget ends as the engine decides (a
//!   "limit reached" notice, or a refusal) and its slot is free again at once, so one
//!   slow message never starves the messages behind it. Should an engine not stop (a
//!   loop that does not look at the deadline), the message still gives up its slot at
//!   its time-out: the work is counted as *overdue* instead, and at most `max_concurrent`
//!   overdue works run besides the normal ones (past that, an overdue work keeps its
//!   slot), so CPU use stays bounded at twice the limit. A message whose deadline has
//!   passed while it waited for a slot is not started. **Fail closed**: an error, a panic, a time-out or a
//!   quarantine write that fails is a [`Verdict::Failed`], which every front end answers
//!   with a temporary failure so that the MTA keeps the mail and retries.
//! - [`Job`]: the message and the envelope facts the quarantine metadata needs.
//! - [`Connections`]: the connection tasks of a listener and its graceful shutdown (stop
//!   accepting, tell idle connections to close, give messages in flight a grace time,
//!   then abort what is left).
//!
//! The audit line is [`crate::audit::record`], also shared.

// With only one of the `milter` and `smtp` features, the other front end is not there to link to.
#![cfg_attr(
    not(all(feature = "milter", feature = "smtp")),
    allow(rustdoc::broken_intra_doc_links)
)]

use std::borrow::Cow;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::policy::{OnLimit, Policy};
use crate::quarantine::{Quarantine, QuarantineMeta};
use crate::sanitize::Sanitizer;

/// What turns a message into an [`Outcome`]: the [`Sanitizer`], or a stand-in in tests.
pub trait Engine: Send + Sync + 'static {
    /// Sanitises one message.
    fn sanitize(&self, message: &[u8]) -> Result<Outcome>;

    /// Sanitises one message, stopping the work by `deadline`. The front ends call this
    /// one. The default ignores the deadline (an engine that cannot stop: its slot is
    /// then held until it ends).
    fn sanitize_until(&self, message: &[u8], deadline: std::time::Instant) -> Result<Outcome> {
        let _ = deadline;
        self.sanitize(message)
    }
}

impl Engine for Sanitizer {
    fn sanitize(&self, message: &[u8]) -> Result<Outcome> {
        Sanitizer::sanitize(self, message)
    }

    /// The core's time budget: work stops at `deadline` or at the policy's
    /// `limits.time_budget_ms`, whichever comes first.
    fn sanitize_until(&self, message: &[u8], deadline: std::time::Instant) -> Result<Outcome> {
        Sanitizer::sanitize_until(self, message, deadline)
    }
}

impl<F> Engine for F
where
    F: Fn(&[u8]) -> Result<Outcome> + Send + Sync + 'static,
{
    fn sanitize(&self, message: &[u8]) -> Result<Outcome> {
        self(message)
    }
}

/// The result of sanitising one message.
#[derive(Debug)]
pub enum Verdict {
    /// Sanitised successfully.
    Sanitized(Box<Outcome>),
    /// The policy refuses the message (a limit with `on_limit = "reject"`).
    Rejected(String),
    /// Anything else: an error, a panic, a time-out, a quarantine write that failed.
    Failed(String),
}

/// One message to sanitise, with what the quarantine metadata records.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// The whole message (header fields and body), CRLF line ends.
    pub message: Vec<u8>,
    /// Front end name for the quarantine metadata (`milter`, `smtp`).
    pub front_end: &'static str,
    /// MTA queue id, if known.
    pub queue_id: Option<String>,
    /// Envelope sender (empty for the null sender).
    pub sender: String,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// `Message-ID` seen by the front end (used when the report has none).
    pub message_id: Option<String>,
}

/// A sanitised (or failed) [`Job`].
#[derive(Debug)]
pub struct Done {
    /// What became of it.
    pub verdict: Verdict,
    /// Quarantine id of the stored original, when it was stored.
    pub quarantine_id: Option<String>,
    /// When the work started (queueing for a slot included).
    pub started: Instant,
}

/// Sanitising off the reactor, shared by the front ends. Cheap to clone.
#[derive(Clone)]
pub struct Sanitizing {
    engine: Arc<dyn Engine>,
    quarantine: Option<Quarantine>,
    permits: Arc<Semaphore>,
    /// Places for works past their time-out that have given their slot up.
    overdue: Arc<Semaphore>,
    max_concurrent: usize,
    timeout: Duration,
}

impl std::fmt::Debug for Sanitizing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitizing")
            .field("quarantine", &self.quarantine.as_ref().map(|q| q.dir()))
            .field("max_concurrent", &self.max_concurrent)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Default number of messages sanitised at once: the number of CPUs.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

pub use crate::error::panic_text;

/// Appends `src` to `out` with every bare LF made CRLF (what the wire and the milter body
/// want; a CR already before an LF is kept, a lone CR stays as it is).
pub fn extend_crlf(out: &mut Vec<u8>, src: &[u8]) {
    let mut prev = 0u8;
    for &b in src {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
}

/// `msg` with every bare LF made CRLF; borrowed when it has none.
pub fn to_crlf(msg: &[u8]) -> Cow<'_, [u8]> {
    let bare_lf = msg
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || msg[i - 1] != b'\r'));
    if !bare_lf {
        return Cow::Borrowed(msg);
    }
    let mut out = Vec::with_capacity(msg.len() + msg.len() / 40);
    extend_crlf(&mut out, msg);
    Cow::Owned(out)
}

/// What a front end did with a message: the result every front end answers with and the
/// audit line records (see [`crate::audit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Sanitised: only the rebuilt message goes on.
    Sanitized,
    /// Envelope on an allow-list: passed on untouched.
    Bypassed,
    /// Temporary failure: the MTA keeps the mail and retries (internal error, time-out,
    /// size limit with `on_limit = "remove"`, next hop unreachable).
    TempFailed,
    /// Permanently refused (policy, or the next hop's 5xx).
    Rejected,
}

impl Disposition {
    /// Lower-case name for logs and the audit line: `sanitized`, `bypassed`, `tempfail`,
    /// `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Sanitized => "sanitized",
            Disposition::Bypassed => "bypassed",
            Disposition::TempFailed => "tempfail",
            Disposition::Rejected => "rejected",
        }
    }

    /// The disposition of an SMTP reply code: 5xx rejected, anything else (a refusal
    /// that is not permanent) a temporary failure.
    pub fn of_refusal(code: u16) -> Self {
        if code >= 500 {
            Disposition::Rejected
        } else {
            Disposition::TempFailed
        }
    }
}

impl std::fmt::Display for Disposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An SMTP reply a front end gives (the milter as `SMFIR_REPLYCODE`, the SMTP front end
/// on the wire): code, enhanced status code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Three-digit reply code (`552`).
    pub code: u16,
    /// Enhanced status code (`5.3.4`).
    pub status: &'static str,
    /// Reply text.
    pub text: String,
}

impl Refusal {
    /// The answer to a message over `max_message_bytes`, as `on_limit` says: `Reject` a
    /// permanent refusal (552 5.3.4), `Remove` a temporary one (452 4.3.4), since a
    /// message that was never read whole cannot be rebuilt.
    pub fn over_limit(on_limit: OnLimit, max_message_bytes: usize) -> Self {
        let max = max_message_bytes;
        match on_limit {
            OnLimit::Reject => Refusal {
                code: 552,
                status: "5.3.4",
                text: format!("Message too big for the mail sanitiser (limit {max} bytes)"),
            },
            OnLimit::Remove => Refusal {
                code: 452,
                status: "4.3.4",
                text: format!(
                    "Message too big for the mail sanitiser (limit {max} bytes), try again later"
                ),
            },
        }
    }

    /// The answer to a message the policy refuses ([`Verdict::Rejected`]): 554 5.6.0.
    pub fn by_policy(reason: &str) -> Self {
        Refusal {
            code: 554,
            status: "5.6.0",
            text: format!("Message refused by the mail sanitisation policy: {reason}"),
        }
    }

    /// What becomes of the message: [`Disposition::Rejected`] for a 5xx, else
    /// [`Disposition::TempFailed`].
    pub fn disposition(&self) -> Disposition {
        Disposition::of_refusal(self.code)
    }
}

impl Sanitizing {
    /// Sanitising with `engine` for `policy` (its quarantine directory, if any), at most
    /// `max_concurrent` messages at once, each answered within `timeout` (queueing
    /// included).
    pub fn new(
        policy: &Policy,
        engine: Arc<dyn Engine>,
        max_concurrent: usize,
        timeout: Duration,
    ) -> Self {
        let quarantine = Quarantine::of_policy(policy);
        let max_concurrent = max_concurrent.max(1);
        Sanitizing {
            engine,
            quarantine,
            permits: Arc::new(Semaphore::new(max_concurrent)),
            overdue: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            timeout,
        }
    }

    /// The quarantine, when the policy has one.
    pub fn quarantine(&self) -> Option<&Quarantine> {
        self.quarantine.as_ref()
    }

    /// The quarantine directory for logs, or `off`.
    pub fn quarantine_label(&self) -> String {
        self.quarantine
            .as_ref()
            .map_or_else(|| "off".into(), |q| q.dir().display().to_string())
    }

    /// Most messages sanitised at once.
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Sanitises `job` and waits for the result; never fails (failures are
    /// [`Verdict::Failed`]).
    pub async fn run(&self, job: Job) -> Done {
        let mut flight = self.start(job);
        loop {
            if let Some(done) = flight.next(None).await {
                return done;
            }
        }
    }

    /// Starts sanitising `job`; [`InFlight::next`] gives the result, or wakes up every so
    /// often so that the caller can tell its MTA that it is alive.
    pub fn start(&self, job: Job) -> InFlight {
        let started = Instant::now();
        let permits = self.permits.clone();
        InFlight {
            stage: Stage::Queued {
                job: Some(job),
                permit: Box::pin(async move { permits.acquire_owned().await }),
            },
            engine: self.engine.clone(),
            quarantine: self.quarantine.clone(),
            overdue: self.overdue.clone(),
            started,
            deadline: tokio::time::Instant::from_std(started + self.timeout),
            budget: engine_deadline(started, self.timeout),
            timeout: self.timeout,
        }
    }
}

/// The deadline given to the engine: the front end's, less a tenth of the time-out
/// (between 50 ms and 2 s), so that a result made at the engine's deadline (a "limit
/// reached" notice) still arrives before the front end gives up.
fn engine_deadline(started: Instant, timeout: Duration) -> Instant {
    let margin = (timeout / 10).clamp(Duration::from_millis(50), Duration::from_secs(2));
    started + timeout.saturating_sub(margin)
}

type PermitFuture = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = std::result::Result<
                    tokio::sync::OwnedSemaphorePermit,
                    tokio::sync::AcquireError,
                >,
            > + Send,
    >,
>;

enum Stage {
    Queued {
        job: Option<Job>,
        permit: PermitFuture,
    },
    Running(
        tokio::task::JoinHandle<(Verdict, Option<String>)>,
        Arc<std::sync::Mutex<Slot>>,
    ),
    Over,
}

/// What a running work holds: its slot, or (past its time-out) an overdue place. Shared
/// by the blocking task and its [`InFlight`]; released when the task ends.
#[derive(Debug)]
struct Slot {
    slot: Option<tokio::sync::OwnedSemaphorePermit>,
    overdue: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A message being sanitised (see [`Sanitizing::start`]).
pub struct InFlight {
    stage: Stage,
    engine: Arc<dyn Engine>,
    quarantine: Option<Quarantine>,
    overdue: Arc<Semaphore>,
    started: Instant,
    deadline: tokio::time::Instant,
    /// The deadline given to the engine (see [`engine_deadline`]).
    budget: Instant,
    timeout: Duration,
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlight")
            .field("started", &self.started)
            .finish()
    }
}

impl InFlight {
    fn done(&mut self, verdict: Verdict, quarantine_id: Option<String>) -> Option<Done> {
        self.stage = Stage::Over;
        Some(Done {
            verdict,
            quarantine_id,
            started: self.started,
        })
    }

    /// Waits for the result. With `tick`, returns `None` when `tick` has passed without a
    /// result (call again). Called again after a result, it answers
    /// [`Verdict::Failed`].
    pub async fn next(&mut self, tick: Option<Duration>) -> Option<Done> {
        let sleep = tokio::time::sleep(tick.unwrap_or(Duration::from_secs(3600)));
        tokio::pin!(sleep);
        let ticking = tick.is_some();
        loop {
            match &mut self.stage {
                Stage::Queued { job, permit } => {
                    tokio::select! {
                        p = permit => match p {
                            // Its deadline passed while it waited: not started.
                            Ok(_) if Instant::now() >= self.budget => return self.timed_out(),
                            Ok(p) => {
                                let job = job.take().unwrap_or_default();
                                let engine = self.engine.clone();
                                let quarantine = self.quarantine.clone();
                                let budget = self.budget;
                                let slot = Arc::new(std::sync::Mutex::new(Slot {
                                    slot: Some(p),
                                    overdue: None,
                                }));
                                let held = slot.clone();
                                let handle = tokio::task::spawn_blocking(move || {
                                    let _held = held;
                                    sanitize_blocking(&*engine, quarantine.as_ref(), job, budget)
                                });
                                self.stage = Stage::Running(handle, slot);
                            }
                            Err(_) => return self.done(Verdict::Failed("server shutting down".into()), None),
                        },
                        _ = &mut sleep, if ticking => return None,
                        _ = tokio::time::sleep_until(self.deadline) => return self.timed_out(),
                    }
                }
                Stage::Running(handle, slot) => {
                    tokio::select! {
                        joined = handle => return match joined {
                            Ok((verdict, qid)) => self.done(verdict, qid),
                            Err(e) => self.done(Verdict::Failed(format!("sanitiser task failed: {e}")), None),
                        },
                        _ = &mut sleep, if ticking => return None,
                        // The engine got an earlier deadline and normally stops by itself;
                        // if it has not, its slot goes to the next message.
                        _ = tokio::time::sleep_until(self.deadline) => {
                            give_up_slot(slot, &self.overdue);
                            return self.timed_out();
                        }
                    }
                }
                Stage::Over => {
                    return self.done(Verdict::Failed("result already taken".into()), None);
                }
            }
        }
    }

    fn timed_out(&mut self) -> Option<Done> {
        let why = format!("sanitising took longer than {:?}", self.timeout);
        self.done(Verdict::Failed(why), None)
    }
}

/// A work past its time-out that still runs: its slot is released for the next message
/// if an overdue place is free (the work then holds that place until it ends); otherwise
/// it keeps the slot, so that at most `max_concurrent` overdue works run at once.
fn give_up_slot(slot: &std::sync::Mutex<Slot>, overdue: &Arc<Semaphore>) {
    let mut held = slot.lock().unwrap_or_else(|p| p.into_inner());
    if held.slot.is_none() {
        return;
    }
    match overdue.clone().try_acquire_owned() {
        Ok(place) => {
            held.overdue = Some(place);
            held.slot = None;
            tracing::warn!(
                "sanitiser still running past its deadline; its slot goes to the next message"
            );
        }
        Err(_) => tracing::warn!(
            "sanitiser still running past its deadline; too many overdue, it keeps its slot"
        ),
    }
}

/// The blocking part: sanitise by `deadline`, catching panics, then quarantine the original.
fn sanitize_blocking(
    engine: &dyn Engine,
    quarantine: Option<&Quarantine>,
    job: Job,
    deadline: Instant,
) -> (Verdict, Option<String>) {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        engine.sanitize_until(&job.message, deadline)
    }));
    let outcome = match result {
        Err(p) => {
            return (
                Verdict::Failed(format!("sanitiser panicked: {}", panic_text(&*p))),
                None,
            );
        }
        Ok(Err(Error::Rejected { reason })) => return (Verdict::Rejected(reason), None),
        Ok(Err(e)) => return (Verdict::Failed(e.to_string()), None),
        Ok(Ok(outcome)) => outcome,
    };
    let Some(q) = quarantine else {
        return (Verdict::Sanitized(Box::new(outcome)), None);
    };
    let mut meta = QuarantineMeta::from_report(&outcome.report, job.message.len());
    meta.front_end = job.front_end.into();
    meta.queue_id = job.queue_id;
    meta.sender = job.sender;
    meta.recipients = job.recipients;
    if meta.message_id.is_none() {
        meta.message_id = job.message_id;
    }
    let store = std::panic::catch_unwind(AssertUnwindSafe(|| q.store(&job.message, &meta)));
    match store {
        Ok(Ok(_)) => (Verdict::Sanitized(Box::new(outcome)), Some(meta.id)),
        Ok(Err(e)) => (
            Verdict::Failed(format!("cannot quarantine the original: {e}")),
            None,
        ),
        Err(p) => (
            Verdict::Failed(format!("quarantine panicked: {}", panic_text(&*p))),
            None,
        ),
    }
}

/// The connection tasks of one listener, with a shutdown flag they watch.
#[derive(Debug)]
pub struct Connections {
    tasks: JoinSet<()>,
    tx: watch::Sender<bool>,
    rx: watch::Receiver<bool>,
    next_id: u64,
    what: &'static str,
}

impl Connections {
    /// No connections yet; `what` names the front end in logs (`milter`, `smtp`).
    pub fn new(what: &'static str) -> Self {
        let (tx, rx) = watch::channel(false);
        Connections {
            tasks: JoinSet::new(),
            tx,
            rx,
            next_id: 0,
            what,
        }
    }

    /// The accept loop of a listener: until `shutdown` completes, takes each connection
    /// `accept` gives and hands it, with its peer, to `serve` (which starts its task with
    /// [`Connections::spawn`]), and reaps ended tasks. A failed accept (out of file
    /// descriptors, say) is logged and retried after 100 ms. Afterwards call
    /// [`Connections::shutdown`].
    pub async fn accept_until<C, P, A>(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
        mut accept: impl FnMut() -> A,
        mut serve: impl FnMut(&mut Self, C, P),
    ) where
        A: std::future::Future<Output = std::io::Result<(C, P)>>,
    {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.reap() => {}
                accepted = accept() => match accepted {
                    Ok((conn, peer)) => serve(self, conn, peer),
                    Err(e) => {
                        tracing::warn!(error = %e, front_end = self.what, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
    }

    /// A number for the next connection (for log spans).
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The shutdown flag for a new connection: it turns `true` when the server stops;
    /// the connection then closes as soon as no message is in flight.
    pub fn shutdown_flag(&self) -> watch::Receiver<bool> {
        self.rx.clone()
    }

    /// Runs a connection task.
    pub fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.spawn(task);
    }

    /// Waits for a connection task to end and logs a failure; never completes while there
    /// are none (for `select!` next to `accept`).
    pub async fn reap(&mut self) {
        match self.tasks.join_next().await {
            Some(Err(e)) => tracing::error!(error = %e, "{} connection task failed", self.what),
            Some(Ok(())) => {}
            None => std::future::pending().await,
        }
    }

    /// Stops: raises the shutdown flag, waits at most `grace` for the connections to end,
    /// then aborts the rest.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.tx.send(true);
        tracing::info!(
            connections = self.tasks.len(),
            "shutting down: no new connections, finishing messages in flight (at most {grace:?})"
        );
        let tasks = &mut self.tasks;
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                connections = self.tasks.len(),
                "shutdown grace time over, closing the remaining connections"
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        tracing::info!("mugai {} stopped", self.what);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job of message `m` and nothing else.
    fn job(m: &[u8]) -> Job {
        Job {
            message: m.to_vec(),
            ..Job::default()
        }
    }

    /// What the test engines answer when they do not panic or sleep.
    fn refused(reason: &str) -> Result<Outcome> {
        Err(Error::Rejected {
            reason: reason.into(),
        })
    }

    #[test]
    fn crlf() {
        assert_eq!(&*to_crlf(b"a\r\nb\n\nc"), b"a\r\nb\r\n\r\nc");
        assert_eq!(&*to_crlf(b"\na"), b"\r\na");
        assert!(matches!(to_crlf(b"a\r\n"), Cow::Borrowed(b"a\r\n")));
        let mut out = b"x: ".to_vec();
        extend_crlf(&mut out, b"a\n b\r\n\tc\r");
        assert_eq!(out, b"x: a\r\n b\r\n\tc\r");
    }

    #[tokio::test]
    async fn panics_and_errors_fail_closed() {
        let engine: Arc<dyn Engine> = Arc::new(|m: &[u8]| -> Result<Outcome> {
            if m.starts_with(b"panic") {
                panic!("boom");
            }
            refused("no")
        });
        let s = Sanitizing::new(&Policy::default(), engine, 1, Duration::from_secs(5));
        let d = s.run(job(b"panic")).await;
        assert!(matches!(d.verdict, Verdict::Failed(ref r) if r.contains("boom")));
        let d = s.run(job(b"x")).await;
        assert!(matches!(d.verdict, Verdict::Rejected(_)));
    }

    /// An engine that ignores the deadline (`stuck` sleeps 1.5 s): past its time-out it
    /// gives its slot to the next message, but only `max_concurrent` such overdue works
    /// may run; past that, an overdue work keeps its slot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn overdue_work_gives_up_its_slot_within_a_bound() {
        let engine: Arc<dyn Engine> = Arc::new(|m: &[u8]| -> Result<Outcome> {
            if m == b"stuck" {
                std::thread::sleep(Duration::from_millis(1500));
            }
            refused("ok")
        });
        let s = Sanitizing::new(&Policy::default(), engine, 1, Duration::from_millis(300));
        // 1: stuck, times out, becomes overdue; 2: gets the slot and is done in time.
        let d = s.run(job(b"stuck")).await;
        assert!(matches!(d.verdict, Verdict::Failed(_)), "{:?}", d.verdict);
        let d = s.run(job(b"quick")).await;
        assert!(matches!(d.verdict, Verdict::Rejected(_)), "{:?}", d.verdict);
        // 3: stuck too; the only overdue place is taken by 1, so 3 keeps the slot and 4
        // waits for it past its own time-out.
        let d = s.run(job(b"stuck")).await;
        assert!(matches!(d.verdict, Verdict::Failed(_)), "{:?}", d.verdict);
        let d = s.run(job(b"quick")).await;
        assert!(matches!(d.verdict, Verdict::Failed(_)), "{:?}", d.verdict);
    }

    #[tokio::test]
    async fn time_out_fails_closed() {
        let engine: Arc<dyn Engine> = Arc::new(|_: &[u8]| -> Result<Outcome> {
            std::thread::sleep(Duration::from_millis(500));
            refused("x")
        });
        let s = Sanitizing::new(&Policy::default(), engine, 1, Duration::from_millis(50));
        let d = s.run(Job::default()).await;
        assert!(matches!(d.verdict, Verdict::Failed(ref r) if r.contains("longer")));
    }
}
