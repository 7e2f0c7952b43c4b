//! Arbitrary bytes as an MTA's side of a milter connection → codec + session state machine,
//! with the real sanitiser at end of message: no panic; every reply encodes; body replies stay
//! within the protocol's chunk size.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mugai::milter::codec::{Command, Frame, Response};
use mugai::milter::session::{Session, SessionConfig, Step, Verdict};
use mugai::{Policy, Sanitizer};
use std::sync::OnceLock;

static SANITIZER: OnceLock<Sanitizer> = OnceLock::new();

fn check(replies: &[Response]) {
    let mut out = BytesMut::new();
    for r in replies {
        if let Response::ReplBody(chunk) = r {
            assert!(chunk.len() <= 65_535);
        }
        r.encode(&mut out);
    }
}

fuzz_target!(|data: &[u8]| {
    let sanitizer = SANITIZER.get_or_init(|| Sanitizer::new(Policy::default()));
    let mut buf = BytesMut::from(data);
    let mut session = Session::new(SessionConfig {
        max_message_bytes: 64 * 1024,
        ..SessionConfig::default()
    });
    loop {
        let frame = match Frame::parse(&mut buf, 128 * 1024) {
            Ok(Some(f)) => f,
            _ => return,
        };
        let Ok(cmd) = Command::from_frame(frame) else {
            return;
        };
        match session.handle(cmd) {
            Step::Close { .. } => return,
            Step::Reply(r) => check(&r),
            Step::Finished(f) => check(&f.replies),
            Step::Sanitize(p) => {
                let verdict = match sanitizer.sanitize(&p.message) {
                    Ok(o) => Verdict::Sanitized(Box::new(o)),
                    Err(e) => Verdict::Failed(e.to_string()),
                };
                let f = session.finish(verdict);
                assert!(!f.replies.is_empty());
                check(&f.replies);
            }
        }
    }
});
