//! The window: how the dispatcher and the writer agree on how many messages may be in
//! flight.
//!
//! The dispatcher numbers the jobs it sends (`seq` 0, 1, 2, …); the writer writes them in
//! that order and [`advance`](Window::advance)s the count of messages written. The
//! dispatcher may send job `seq` only while `seq < written + size`. That one inequality is
//! what bounds memory: however slow one message is, the writer never holds more than
//! `size` messages waiting for it, and the channels never hold more than that either.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

/// Shared by the dispatcher and the writer: how many messages have been written, so that
/// the dispatcher keeps at most `size` messages in flight.
pub(super) struct Window {
    written: Mutex<u64>,
    cv: Condvar,
    size: u64,
}

impl Window {
    /// A window of `size` messages, none written yet.
    pub(super) fn new(size: u64) -> Self {
        Window {
            written: Mutex::new(0),
            cv: Condvar::new(),
            size,
        }
    }

    /// Waits until job `seq` fits in the window. Returns `false`, without waiting further,
    /// once `stopped` says so (checked at least every 100 ms while waiting).
    pub(super) fn wait_for_room(&self, seq: u64, stopped: impl Fn() -> bool) -> bool {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        while seq >= *written + self.size {
            if stopped() {
                return false;
            }
            written = self
                .cv
                .wait_timeout(written, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Records that `written` messages have been written, and wakes the dispatcher.
    pub(super) fn advance(&self, written: u64) {
        *self.written.lock().unwrap_or_else(PoisonError::into_inner) = written;
        self.cv.notify_all();
    }

    /// Wakes the dispatcher so that it checks its stop condition (the writer failed).
    pub(super) fn wake(&self) {
        self.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn room_only_below_written_plus_size() {
        let window = Window::new(2);
        assert!(window.wait_for_room(0, || false));
        assert!(window.wait_for_room(1, || false));
        // Full: job 2 waits, and gives up once stopped.
        assert!(!window.wait_for_room(2, || true));
        window.advance(1);
        assert!(window.wait_for_room(2, || true));
        assert!(!window.wait_for_room(3, || true));
    }

    #[test]
    fn a_waiting_dispatcher_is_released_by_the_writer() {
        let window = Arc::new(Window::new(1));
        let waiter = {
            let window = window.clone();
            // Never stopped: only the writer's advance can let it through.
            std::thread::spawn(move || window.wait_for_room(1, || false))
        };
        window.advance(1);
        assert!(waiter.join().unwrap());
    }
}
