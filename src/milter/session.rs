//! The per-connection milter state machine, free of I/O so that it can be tested directly.
//!
//! [`Session::handle`] takes one [`Command`] and returns a [`Step`]: replies to send, a
//! finished message, a message to sanitise (the caller runs the sanitiser and hands the
//! result to [`Session::finish`]), or the end of the connection. Nothing here panics on any
//! input: unexpected commands close the connection or are answered per protocol.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::codec::*;
use crate::frontend::{Refusal, extend_crlf, to_crlf};
use crate::outcome::{HeaderEdit, Outcome};
use crate::policy::{Bypass, OnLimit, Policy};

/// Action flags the filter needs: it adds and changes header fields and replaces the body.
pub const REQUIRED_ACTIONS: u32 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;

/// Protocol flags the filter asks for when the MTA offers them: skip what is not needed
/// and do not wait for replies to steps that are always answered "continue".
pub const WANTED_PROTOCOL: u32 = SMFIP_NOHELO
    | SMFIP_NOUNKNOWN
    | SMFIP_NODATA
    | SMFIP_NR_CONN
    | SMFIP_NR_HELO
    | SMFIP_NR_MAIL
    | SMFIP_NR_RCPT
    | SMFIP_NR_DATA
    | SMFIP_NR_UNKN
    | SMFIP_NR_HDR
    | SMFIP_NR_BODY;

/// Macros kept (for logs and policy); all others are ignored.
pub const KEPT_MACROS: &[&str] = &[
    "i",
    "j",
    "_",
    "{mail_addr}",
    "{rcpt_addr}",
    "{client_addr}",
    "{client_name}",
    "{daemon_name}",
    "{auth_authen}",
];

/// Longest macro value kept.
const MAX_MACRO_LEN: usize = 512;

/// What the session needs to know from the policy.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Largest message (header fields + body, as rebuilt) buffered; past it the message is
    /// refused as [`SessionConfig::on_limit`] says.
    pub max_message_bytes: usize,
    /// Over the size limit: `Remove` answers a temporary failure (452), `Reject` a
    /// permanent one (552).
    pub on_limit: OnLimit,
    /// Envelope allow-lists.
    pub bypass: Bypass,
}

impl SessionConfig {
    /// The session settings of a policy.
    pub fn from_policy(policy: &Policy) -> Self {
        SessionConfig {
            max_message_bytes: policy.limits.max_message_bytes,
            on_limit: policy.limits.on_limit,
            bypass: policy.bypass.clone(),
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self::from_policy(&Policy::default())
    }
}

/// The envelope and identifying facts of one message, for policy and the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Envelope sender without angle brackets (empty for the null sender).
    pub sender: String,
    /// Envelope recipients without angle brackets.
    pub recipients: Vec<String>,
    /// MTA queue id (macro `i`), when the MTA sent it.
    pub queue_id: Option<String>,
    /// Client address (macro `{client_addr}` or the connect information).
    pub client_addr: Option<String>,
    /// `Message-ID` header field of the message, if seen.
    pub message_id: Option<String>,
    /// Size of the message as received (header fields and body), in bytes.
    pub size: usize,
}

pub use crate::frontend::Disposition;

/// A message that has been answered.
#[derive(Debug)]
pub struct Finished {
    /// Replies to send to the MTA.
    pub replies: Vec<Response>,
    /// Its envelope.
    pub envelope: Envelope,
    /// How it ended.
    pub disposition: Disposition,
    /// Why, for the log (empty when sanitised).
    pub detail: String,
    /// The sanitiser's outcome, when it ran.
    pub outcome: Option<Box<Outcome>>,
}

/// A whole message received, waiting to be sanitised.
#[derive(Debug)]
pub struct Pending {
    /// The message rebuilt from the header fields and body the MTA sent, with CRLF.
    pub message: Vec<u8>,
    /// Its envelope.
    pub envelope: Envelope,
}

/// What the caller must do after a command.
#[derive(Debug)]
pub enum Step {
    /// Send these replies (possibly none) and read on.
    Reply(Vec<Response>),
    /// A message has been answered: send its replies and write the audit line.
    Finished(Box<Finished>),
    /// End of message: sanitise [`Pending::message`] and call [`Session::finish`].
    Sanitize(Box<Pending>),
    /// Close the connection. `error` says whether this is a protocol failure.
    Close {
        /// Why.
        reason: String,
        /// A protocol error or refusal rather than an orderly quit.
        error: bool,
    },
}

pub use crate::frontend::Verdict;

/// What was agreed in `SMFIC_OPTNEG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Protocol version in use.
    pub version: u32,
    /// `SMFIF_*` flags.
    pub actions: u32,
    /// `SMFIP_*` flags.
    pub protocol: u32,
}

#[derive(Debug, Default)]
struct MessageState {
    started: bool,
    envelope: Envelope,
    headers: Vec<u8>,
    body: Vec<u8>,
    over_limit: bool,
    /// A final answer was already given (bypass, limit); the rest is ignored.
    answered: bool,
    macros: BTreeMap<String, String>,
}

/// One milter connection's state.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    negotiated: Option<Negotiated>,
    conn_macros: BTreeMap<String, String>,
    client_addr: Option<String>,
    msg: MessageState,
    awaiting_verdict: bool,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn strip_angle(addr: &[u8]) -> String {
    let s = text(addr);
    let t = s.trim();
    let t = t.strip_prefix('<').unwrap_or(t);
    let t = t.strip_suffix('>').unwrap_or(t);
    t.to_string()
}

/// Header values to the MTA use a bare `\n` before the continuation white space.
fn value_to_mta(v: &str) -> Bytes {
    let v = v.replace("\r\n", "\n").replace('\r', "");
    let v = v.replace('\0', "");
    Bytes::from(v)
}

/// An SMTP reply text safe for `SMFIR_REPLYCODE`: printable ASCII only, no `%`.
fn reply_text(code: &str, text: &str) -> Bytes {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '%' {
                c
            } else {
                ' '
            }
        })
        .take(400)
        .collect();
    Bytes::from(format!("{code} {}", clean.trim()))
}

/// A [`Refusal`] as an `SMFIR_REPLYCODE` text.
fn refusal_reply(r: &Refusal) -> Response {
    Response::ReplyCode(reply_text(
        &r.code.to_string(),
        &format!("{} {}", r.status, r.text),
    ))
}

/// The replies that carry an [`Outcome`] to the MTA: header edits, the new body in chunks
/// of at most [`MILTER_CHUNK_SIZE`] bytes with CRLF line ends, then `SMFIR_ACCEPT`.
pub fn outcome_replies(outcome: &Outcome) -> Vec<Response> {
    let mut out = Vec::with_capacity(outcome.header_edits.len() + 3);
    for edit in &outcome.header_edits {
        out.push(match edit {
            HeaderEdit::Delete { name, index } => Response::ChgHeader {
                index: u32::try_from(*index).unwrap_or(u32::MAX),
                name: Bytes::from(name.clone()),
                value: Bytes::new(),
            },
            HeaderEdit::Change { name, index, value } => Response::ChgHeader {
                index: u32::try_from(*index).unwrap_or(u32::MAX),
                name: Bytes::from(name.clone()),
                value: value_to_mta(value),
            },
            HeaderEdit::Add { name, value } => Response::AddHeader {
                name: Bytes::from(name.clone()),
                value: value_to_mta(value),
            },
        });
    }
    // The line ending is decided once, when the engine is built (the `mugai milter` policy
    // asks the core for CRLF), so the body is normally taken as it is; only an engine that
    // returns a bare LF anyway is corrected here: a bare LF must never reach the MTA.
    let body = to_crlf(&outcome.body).into_owned();
    let body = Bytes::from(if body.is_empty() {
        b"\r\n".to_vec()
    } else {
        body
    });
    let mut start = 0;
    while start < body.len() {
        let end = (start + MILTER_CHUNK_SIZE).min(body.len());
        out.push(Response::ReplBody(body.slice(start..end)));
        start = end;
    }
    out.push(Response::Accept);
    out
}

impl Session {
    /// A new connection.
    pub fn new(config: SessionConfig) -> Self {
        Session {
            config,
            negotiated: None,
            conn_macros: BTreeMap::new(),
            client_addr: None,
            msg: MessageState::default(),
            awaiting_verdict: false,
        }
    }

    /// What was negotiated, once it has been.
    pub fn negotiated(&self) -> Option<Negotiated> {
        self.negotiated
    }

    /// Whether a message is between `MAIL` and its final answer.
    pub fn in_message(&self) -> bool {
        (self.msg.started && !self.msg.answered) || self.awaiting_verdict
    }

    /// The envelope of the message in progress.
    pub fn envelope(&self) -> &Envelope {
        &self.msg.envelope
    }

    fn ack(&self, no_reply_flag: u32) -> Step {
        match self.negotiated {
            Some(n) if n.protocol & no_reply_flag != 0 => Step::Reply(Vec::new()),
            _ => Step::Reply(vec![Response::Continue]),
        }
    }

    fn reset_message(&mut self) {
        self.msg = MessageState::default();
        self.awaiting_verdict = false;
    }

    fn macro_value(&self, name: &str) -> Option<&String> {
        self.msg
            .macros
            .get(name)
            .or_else(|| self.conn_macros.get(name))
    }

    fn begin_message(&mut self) {
        if !self.msg.started {
            self.msg.started = true;
        }
    }

    fn add_bytes(&mut self, n: usize) {
        self.msg.envelope.size = self.msg.envelope.size.saturating_add(n);
        if self.msg.envelope.size > self.config.max_message_bytes && !self.msg.over_limit {
            self.msg.over_limit = true;
            self.msg.headers = Vec::new();
            self.msg.body = Vec::new();
        }
    }

    fn fill_envelope(&mut self) {
        let queue_id = self.macro_value("i").cloned();
        let client = self
            .macro_value("{client_addr}")
            .cloned()
            .or_else(|| self.client_addr.clone());
        let env = &mut self.msg.envelope;
        if env.queue_id.is_none() {
            env.queue_id = queue_id;
        }
        if env.client_addr.is_none() {
            env.client_addr = client;
        }
    }

    fn finished(
        &mut self,
        replies: Vec<Response>,
        disposition: Disposition,
        detail: String,
    ) -> Step {
        self.fill_envelope();
        let envelope = std::mem::take(&mut self.msg.envelope);
        self.msg.answered = true;
        self.msg.headers = Vec::new();
        self.msg.body = Vec::new();
        Step::Finished(Box::new(Finished {
            replies,
            envelope,
            disposition,
            detail,
            outcome: None,
        }))
    }

    fn limit_step(&mut self) -> Step {
        let max = self.config.max_message_bytes;
        let refusal = Refusal::over_limit(self.config.on_limit, max);
        let size = self.msg.envelope.size;
        self.finished(
            vec![refusal_reply(&refusal)],
            refusal.disposition(),
            format!("message of at least {size} bytes is over the limit of {max} bytes"),
        )
    }

    fn bypassed(&self) -> bool {
        let env = &self.msg.envelope;
        self.config.bypass.applies(&env.sender, &env.recipients)
    }

    /// Handles one command from the MTA.
    pub fn handle(&mut self, cmd: Command) -> Step {
        if self.awaiting_verdict {
            return Step::Close {
                reason: format!(
                    "{} received while the message is being sanitised",
                    cmd.name()
                ),
                error: true,
            };
        }
        if self.negotiated.is_none() {
            return match cmd {
                Command::OptNeg {
                    version,
                    actions,
                    protocol,
                } => self.negotiate(version, actions, protocol),
                Command::Quit | Command::QuitNc => Step::Close {
                    reason: "quit before negotiation".into(),
                    error: false,
                },
                other => Step::Close {
                    reason: format!("{} before SMFIC_OPTNEG", other.name()),
                    error: true,
                },
            };
        }
        match cmd {
            Command::OptNeg {
                version,
                actions,
                protocol,
            } => {
                // A new negotiation (after QUIT_NC) starts afresh.
                self.reset_message();
                self.conn_macros.clear();
                self.client_addr = None;
                self.negotiate(version, actions, protocol)
            }
            Command::Macro { stage, pairs } => {
                let conn_level = matches!(stage, SMFIC_CONNECT | SMFIC_HELO);
                for (name, value) in pairs {
                    let name = text(&name);
                    if !KEPT_MACROS.contains(&name.as_str()) {
                        continue;
                    }
                    let mut value = text(&value);
                    value.truncate(value.floor_char_boundary(MAX_MACRO_LEN));
                    if conn_level {
                        self.conn_macros.insert(name, value);
                    } else {
                        self.msg.macros.insert(name, value);
                    }
                }
                Step::Reply(Vec::new())
            }
            Command::Connect { address, .. } => {
                if !address.is_empty() {
                    self.client_addr = Some(text(&address));
                }
                self.ack(SMFIP_NR_CONN)
            }
            Command::Helo(_) => self.ack(SMFIP_NR_HELO),
            Command::Mail(args) => {
                // A MAIL without a preceding end of message: a new transaction.
                if self.msg.started {
                    let macros = std::mem::take(&mut self.msg.macros);
                    self.reset_message();
                    self.msg.macros = macros;
                }
                self.begin_message();
                self.msg.envelope.sender = args.first().map(|a| strip_angle(a)).unwrap_or_default();
                self.ack(SMFIP_NR_MAIL)
            }
            Command::Rcpt(args) => {
                self.begin_message();
                if let Some(r) = args.first()
                    && self.msg.envelope.recipients.len() < 10_000
                {
                    self.msg.envelope.recipients.push(strip_angle(r));
                }
                self.ack(SMFIP_NR_RCPT)
            }
            Command::Data => self.ack(SMFIP_NR_DATA),
            Command::Unknown(_) => self.ack(SMFIP_NR_UNKN),
            Command::Header { name, value } => {
                self.begin_message();
                if self.msg.answered {
                    return self.ack(SMFIP_NR_HDR);
                }
                if self.msg.envelope.message_id.is_none()
                    && name.eq_ignore_ascii_case(b"message-id")
                {
                    let mut v = text(&value);
                    v.truncate(v.floor_char_boundary(MAX_MACRO_LEN));
                    self.msg.envelope.message_id = Some(v.trim().to_string());
                }
                let n = name.len() + 2 + value.len() + value.len() / 40 + 2;
                self.add_bytes(n);
                if !self.msg.over_limit {
                    let h = &mut self.msg.headers;
                    h.extend_from_slice(&name);
                    h.extend_from_slice(b": ");
                    // Folded lines from the MTA end in a bare LF; the core wants CRLF.
                    extend_crlf(h, &value);
                    h.extend_from_slice(b"\r\n");
                }
                self.ack(SMFIP_NR_HDR)
            }
            Command::Eoh => {
                self.begin_message();
                if self.msg.answered {
                    return self.ack(SMFIP_NR_EOH);
                }
                if self.bypassed() {
                    return self.finished(
                        vec![Response::Accept],
                        Disposition::Bypassed,
                        "envelope on the bypass list".into(),
                    );
                }
                if self.msg.over_limit {
                    return self.limit_step();
                }
                self.ack(SMFIP_NR_EOH)
            }
            Command::Body(chunk) => {
                self.begin_message();
                if self.msg.answered {
                    return self.ack(SMFIP_NR_BODY);
                }
                self.add_bytes(chunk.len());
                if self.msg.over_limit {
                    let can_reply = self
                        .negotiated
                        .is_some_and(|n| n.protocol & SMFIP_NR_BODY == 0);
                    if can_reply {
                        return self.limit_step();
                    }
                } else {
                    self.msg.body.extend_from_slice(&chunk);
                }
                self.ack(SMFIP_NR_BODY)
            }
            Command::BodyEob(chunk) => {
                self.begin_message();
                if self.msg.answered {
                    // The MTA should not send anything after a final answer. Never let
                    // an unsanitised message through.
                    self.reset_message();
                    return Step::Reply(vec![Response::TempFail]);
                }
                self.add_bytes(chunk.len());
                if !self.msg.over_limit {
                    self.msg.body.extend_from_slice(&chunk);
                }
                if self.bypassed() {
                    let step = self.finished(
                        vec![Response::Accept],
                        Disposition::Bypassed,
                        "envelope on the bypass list".into(),
                    );
                    self.reset_message();
                    return step;
                }
                if self.msg.over_limit {
                    let step = self.limit_step();
                    self.reset_message();
                    return step;
                }
                self.fill_envelope();
                let mut message = std::mem::take(&mut self.msg.headers);
                message.extend_from_slice(b"\r\n");
                let body = std::mem::take(&mut self.msg.body);
                message.extend_from_slice(&body);
                drop(body);
                self.awaiting_verdict = true;
                Step::Sanitize(Box::new(Pending {
                    message,
                    envelope: self.msg.envelope.clone(),
                }))
            }
            Command::Abort => {
                self.reset_message();
                Step::Reply(Vec::new())
            }
            Command::Quit => Step::Close {
                reason: "quit".into(),
                error: false,
            },
            Command::QuitNc => {
                // The MTA reuses the connection for a new SMTP session.
                self.reset_message();
                self.conn_macros.clear();
                self.client_addr = None;
                Step::Reply(Vec::new())
            }
        }
    }

    fn negotiate(&mut self, version: u32, actions: u32, protocol: u32) -> Step {
        if version < SMFI_MIN_VERSION {
            return Step::Close {
                reason: format!("MTA offers milter protocol version {version}, need 2 or later"),
                error: true,
            };
        }
        if actions & REQUIRED_ACTIONS != REQUIRED_ACTIONS {
            return Step::Close {
                reason: format!(
                    "MTA does not allow the filter to replace the body and edit header fields \
                     (offered actions {actions:#x}, need {REQUIRED_ACTIONS:#x}); refusing, \
                     nothing would be sanitised"
                ),
                error: true,
            };
        }
        let version = version.min(SMFI_VERSION);
        let mut wanted = WANTED_PROTOCOL;
        // Connect information is only worth having when it costs no round trip.
        if protocol & SMFIP_NR_CONN == 0 {
            wanted |= SMFIP_NOCONNECT;
        }
        let agreed = Negotiated {
            version,
            actions: REQUIRED_ACTIONS,
            protocol: wanted & protocol,
        };
        self.negotiated = Some(agreed);
        Step::Reply(vec![Response::OptNeg {
            version: agreed.version,
            actions: agreed.actions,
            protocol: agreed.protocol,
        }])
    }

    /// Gives the result of sanitising the [`Pending`] message returned by the last
    /// [`Step::Sanitize`], and returns the answer for the MTA. Only a successful
    /// [`Verdict::Sanitized`] leads to `SMFIR_ACCEPT`, with the body replaced.
    pub fn finish(&mut self, verdict: Verdict) -> Finished {
        let envelope = std::mem::take(&mut self.msg.envelope);
        let was_waiting = self.awaiting_verdict;
        self.reset_message();
        if !was_waiting {
            return Finished {
                replies: vec![Response::TempFail],
                envelope,
                disposition: Disposition::TempFailed,
                detail: "verdict without a pending message".into(),
                outcome: None,
            };
        }
        match verdict {
            Verdict::Sanitized(outcome) => Finished {
                replies: outcome_replies(&outcome),
                envelope,
                disposition: Disposition::Sanitized,
                detail: String::new(),
                outcome: Some(outcome),
            },
            Verdict::Rejected(reason) => Finished {
                replies: vec![refusal_reply(&Refusal::by_policy(&reason))],
                envelope,
                disposition: Disposition::Rejected,
                detail: reason,
                outcome: None,
            },
            Verdict::Failed(reason) => Finished {
                replies: vec![Response::TempFail],
                envelope,
                disposition: Disposition::TempFailed,
                detail: reason,
                outcome: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use bytes::BytesMut;
    use proptest::prelude::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn optneg() -> Command {
        Command::OptNeg {
            version: 6,
            actions: 0x1ff,
            protocol: 0x001f_ffff,
        }
    }

    fn negotiated() -> Session {
        let mut s = Session::new(SessionConfig::default());
        assert!(matches!(s.handle(optneg()), Step::Reply(r) if r.len() == 1));
        s
    }

    fn fake_outcome(body: &str) -> Outcome {
        Outcome {
            header_edits: vec![
                HeaderEdit::Delete {
                    name: "Content-Type".into(),
                    index: 1,
                },
                HeaderEdit::Change {
                    name: "Subject".into(),
                    index: 1,
                    value: "[無害化] hello\r\n world".into(),
                },
                HeaderEdit::Add {
                    name: "X-Mugai-Sanitized".into(),
                    value: "html-converted".into(),
                },
            ],
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            line_ending: "\n",
            report: Report::default(),
            not_a_mail: false,
        }
    }

    fn send_message(s: &mut Session, body: &str) -> Step {
        for cmd in [
            Command::Macro {
                stage: SMFIC_MAIL,
                pairs: vec![(b("i"), b("4ABC")), (b("{nope}"), b("x"))],
            },
            Command::Mail(vec![b("<a@internet.example>"), b("SIZE=10")]),
            Command::Rcpt(vec![b("<b@city.lg.jp>")]),
            Command::Header {
                name: b("Subject"),
                value: b("hello\n world"),
            },
            Command::Header {
                name: b("Message-ID"),
                value: b("<1@x>"),
            },
            Command::Eoh,
            Command::Body(Bytes::copy_from_slice(body.as_bytes())),
        ] {
            match s.handle(cmd) {
                // Only the end of headers is answered (it may accept a bypassed message).
                Step::Reply(r) => assert!(r.is_empty() || r == [Response::Continue], "{r:?}"),
                other => panic!("{other:?}"),
            }
        }
        s.handle(Command::BodyEob(Bytes::new()))
    }

    #[test]
    fn negotiation_asks_only_what_is_offered() {
        let mut s = Session::new(SessionConfig::default());
        let Step::Reply(r) = s.handle(Command::OptNeg {
            version: 2,
            actions: 0x3f,
            protocol: 0x7f,
        }) else {
            panic!()
        };
        assert_eq!(
            r,
            vec![Response::OptNeg {
                version: 2,
                actions: REQUIRED_ACTIONS,
                protocol: SMFIP_NOHELO | SMFIP_NOCONNECT,
            }]
        );
        // Version 6: all the no-reply flags, connect info kept (it is free).
        let s = negotiated();
        let n = s.negotiated().unwrap();
        assert_eq!(n.version, 6);
        assert_eq!(n.protocol & SMFIP_NOCONNECT, 0);
        assert_ne!(n.protocol & SMFIP_NR_BODY, 0);
        assert_eq!(n.protocol & SMFIP_NR_EOH, 0, "EOH is answered (bypass)");
        // A newer version is answered with ours.
        let mut s = Session::new(SessionConfig::default());
        s.handle(Command::OptNeg {
            version: 7,
            actions: 0x1ff,
            protocol: 0,
        });
        assert_eq!(s.negotiated().unwrap().version, 6);
    }

    #[test]
    fn refuses_when_body_cannot_be_replaced() {
        let mut s = Session::new(SessionConfig::default());
        let step = s.handle(Command::OptNeg {
            version: 6,
            actions: SMFIF_ADDHDRS | SMFIF_CHGHDRS,
            protocol: 0x1fffff,
        });
        assert!(matches!(step, Step::Close { error: true, .. }), "{step:?}");
    }

    #[test]
    fn commands_before_negotiation_close() {
        let mut s = Session::new(SessionConfig::default());
        assert!(matches!(
            s.handle(Command::Eoh),
            Step::Close { error: true, .. }
        ));
    }

    #[test]
    fn full_message_is_rebuilt_and_replaced() {
        let mut s = negotiated();
        let Step::Sanitize(p) = send_message(&mut s, "body line\r\n") else {
            panic!()
        };
        assert_eq!(
            String::from_utf8(p.message.clone()).unwrap(),
            "Subject: hello\r\n world\r\nMessage-ID: <1@x>\r\n\r\nbody line\r\n"
        );
        assert_eq!(p.envelope.sender, "a@internet.example");
        assert_eq!(p.envelope.recipients, vec!["b@city.lg.jp".to_string()]);
        assert_eq!(p.envelope.queue_id.as_deref(), Some("4ABC"));
        assert_eq!(p.envelope.message_id.as_deref(), Some("<1@x>"));
        assert!(s.in_message());
        // Anything but the verdict now is a protocol error.
        let f = s.finish(Verdict::Sanitized(Box::new(fake_outcome("new\nbody\n"))));
        assert_eq!(f.disposition, Disposition::Sanitized);
        assert_eq!(
            f.replies,
            vec![
                Response::ChgHeader {
                    index: 1,
                    name: b("Content-Type"),
                    value: Bytes::new()
                },
                Response::ChgHeader {
                    index: 1,
                    name: b("Subject"),
                    value: b("[無害化] hello\n world")
                },
                Response::AddHeader {
                    name: b("X-Mugai-Sanitized"),
                    value: b("html-converted")
                },
                Response::ReplBody(b("new\r\nbody\r\n")),
                Response::Accept,
            ]
        );
        assert!(!s.in_message());
        // A second message on the same connection.
        assert!(matches!(send_message(&mut s, "two\r\n"), Step::Sanitize(_)));
    }

    #[test]
    fn big_bodies_are_replaced_in_chunks() {
        let body = "0123456789abcde\r\n".repeat(10_000);
        let mut o = fake_outcome(&body);
        o.line_ending = "\r\n";
        let replies = outcome_replies(&o);
        let chunks: Vec<&Bytes> = replies
            .iter()
            .filter_map(|r| match r {
                Response::ReplBody(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(chunks.len(), body.len().div_ceil(MILTER_CHUNK_SIZE));
        assert!(chunks.iter().all(|c| c.len() <= MILTER_CHUNK_SIZE));
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        assert_eq!(joined, body.as_bytes());
        assert_eq!(replies.last(), Some(&Response::Accept));
    }

    #[test]
    fn failures_tempfail_and_rejections_reply_codes() {
        let mut s = negotiated();
        assert!(matches!(send_message(&mut s, "x\r\n"), Step::Sanitize(_)));
        let f = s.finish(Verdict::Failed("boom".into()));
        assert_eq!(f.replies, vec![Response::TempFail]);
        assert_eq!(f.disposition, Disposition::TempFailed);
        assert!(matches!(send_message(&mut s, "x\r\n"), Step::Sanitize(_)));
        let f = s.finish(Verdict::Rejected("too many parts\r\n%s".into()));
        let [Response::ReplyCode(code)] = &f.replies[..] else {
            panic!("{:?}", f.replies)
        };
        assert!(code.starts_with(b"554 5.6.0 "), "{code:?}");
        assert!(!code.contains(&b'\r') && !code.contains(&b'%'));
        // A verdict with nothing pending never accepts.
        assert_eq!(
            s.finish(Verdict::Sanitized(Box::new(fake_outcome("x"))))
                .replies,
            vec![Response::TempFail]
        );
    }

    #[test]
    fn bypass_accepts_at_end_of_headers() {
        let mut config = SessionConfig::default();
        config.bypass.senders = vec!["internet.example".into()];
        let mut s = Session::new(config);
        s.handle(optneg());
        s.handle(Command::Mail(vec![b("<a@internet.example>")]));
        s.handle(Command::Rcpt(vec![b("<b@city.lg.jp>")]));
        let Step::Finished(f) = s.handle(Command::Eoh) else {
            panic!()
        };
        assert_eq!(f.replies, vec![Response::Accept]);
        assert_eq!(f.disposition, Disposition::Bypassed);
        assert_eq!(f.envelope.sender, "a@internet.example");
    }

    #[test]
    fn over_limit_is_refused_without_buffering() {
        for (on_limit, prefix) in [
            (OnLimit::Remove, &b"452 4.3.4"[..]),
            (OnLimit::Reject, b"552 5.3.4"),
        ] {
            let mut s = Session::new(SessionConfig {
                max_message_bytes: 1000,
                on_limit,
                bypass: Bypass::default(),
            });
            s.handle(optneg());
            s.handle(Command::Mail(vec![b("<a@x>")]));
            s.handle(Command::Eoh);
            for _ in 0..10 {
                assert!(
                    matches!(s.handle(Command::Body(Bytes::from(vec![b'a'; 500]))), Step::Reply(r) if r.is_empty())
                );
                assert!(s.msg.body.len() <= 1000);
            }
            let Step::Finished(f) = s.handle(Command::BodyEob(Bytes::new())) else {
                panic!()
            };
            let [Response::ReplyCode(code)] = &f.replies[..] else {
                panic!()
            };
            assert!(code.starts_with(prefix), "{code:?}");
            assert!(!s.in_message());
        }
    }

    #[test]
    fn abort_resets_the_message() {
        let mut s = negotiated();
        s.handle(Command::Mail(vec![b("<a@x>")]));
        s.handle(Command::Header {
            name: b("Subject"),
            value: b("first"),
        });
        s.handle(Command::Abort);
        assert!(!s.in_message());
        let Step::Sanitize(p) = send_message(&mut s, "b\r\n") else {
            panic!()
        };
        assert!(!String::from_utf8_lossy(&p.message).contains("first"));
        assert_eq!(p.envelope.recipients.len(), 1);
    }

    #[test]
    fn older_versions_get_continue_replies() {
        let mut s = Session::new(SessionConfig::default());
        s.handle(Command::OptNeg {
            version: 2,
            actions: 0x3f,
            protocol: 0x7f,
        });
        for cmd in [
            Command::Mail(vec![b("<a@x>")]),
            Command::Rcpt(vec![b("<b@y>")]),
            Command::Header {
                name: b("Subject"),
                value: b("x"),
            },
            Command::Eoh,
            Command::Body(b("text\r\n")),
        ] {
            assert!(matches!(s.handle(cmd), Step::Reply(r) if r == vec![Response::Continue]));
        }
        assert!(matches!(
            s.handle(Command::BodyEob(Bytes::new())),
            Step::Sanitize(_)
        ));
    }

    /// Feeds raw bytes through the codec and the session, as the server does.
    fn drive(bytes: &[u8]) {
        let mut buf = BytesMut::from(bytes);
        let mut s = Session::new(SessionConfig {
            max_message_bytes: 300,
            ..SessionConfig::default()
        });
        while let Ok(Some(frame)) = Frame::parse(&mut buf, 4096) {
            let Ok(cmd) = Command::from_frame(frame) else {
                return;
            };
            match s.handle(cmd) {
                Step::Close { .. } => return,
                Step::Sanitize(p) => {
                    let verdict = if p.message.len() % 2 == 0 {
                        Verdict::Sanitized(Box::new(fake_outcome("x")))
                    } else {
                        Verdict::Failed("test".into())
                    };
                    let f = s.finish(verdict);
                    assert!(!f.replies.is_empty());
                }
                Step::Reply(_) | Step::Finished(_) => {}
            }
        }
    }

    fn arbitrary_command() -> impl Strategy<Value = Vec<u8>> {
        let code = prop_oneof![
            Just(SMFIC_ABORT),
            Just(SMFIC_BODY),
            Just(SMFIC_CONNECT),
            Just(SMFIC_MACRO),
            Just(SMFIC_BODYEOB),
            Just(SMFIC_HELO),
            Just(SMFIC_QUIT_NC),
            Just(SMFIC_HEADER),
            Just(SMFIC_MAIL),
            Just(SMFIC_EOH),
            Just(SMFIC_OPTNEG),
            Just(SMFIC_RCPT),
            Just(SMFIC_DATA),
            Just(SMFIC_UNKNOWN),
            any::<u8>(),
        ];
        (code, proptest::collection::vec(any::<u8>(), 0..200)).prop_map(|(code, data)| {
            let mut buf = BytesMut::new();
            Frame {
                code,
                data: Bytes::from(data),
            }
            .encode(&mut buf);
            buf.to_vec()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn outcome_replies_respect_the_protocol(
            body in (proptest::collection::vec(any::<u8>(), 0..140_000), any::<u8>()).prop_map(|(mut v, k)| {
                // Plenty of line ends, bare and paired.
                for (i, b) in v.iter_mut().enumerate() {
                    if (i as u8).wrapping_mul(k) % 7 == 0 { *b = b'\n' } else if (i as u8).wrapping_add(k) % 11 == 0 { *b = b'\r' }
                }
                v
            }),
            value in ".{0,200}",
            crlf in any::<bool>(),
        ) {
            let mut o = fake_outcome("");
            o.body = body.clone();
            o.line_ending = if crlf { "\r\n" } else { "\n" };
            o.header_edits.push(HeaderEdit::Add { name: "X-Test".into(), value: format!("{value}\r\n {value}") });
            let replies = outcome_replies(&o);
            prop_assert_eq!(replies.last(), Some(&Response::Accept));
            let mut joined = Vec::new();
            for r in &replies {
                match r {
                    Response::ReplBody(c) => {
                        prop_assert!(!c.is_empty() && c.len() <= MILTER_CHUNK_SIZE);
                        joined.extend_from_slice(c);
                    }
                    Response::AddHeader { value, .. } | Response::ChgHeader { value, .. } => {
                        prop_assert!(!value.contains(&b'\r') && !value.contains(&0));
                    }
                    _ => {}
                }
            }
            // Every LF is preceded by CR, and nothing else changed.
            prop_assert!(joined.iter().enumerate().all(|(i, &c)| c != b'\n' || (i > 0 && joined[i - 1] == b'\r')));
            if !body.is_empty() {
                let mut expected = Vec::new();
                extend_crlf(&mut expected, &body);
                prop_assert_eq!(joined, expected);
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_session(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            drive(&bytes);
        }

        #[test]
        fn arbitrary_frames_after_negotiation_never_panic(frames in proptest::collection::vec(arbitrary_command(), 0..40)) {
            let mut all = BytesMut::new();
            optneg().encode(&mut all);
            for f in frames {
                all.extend_from_slice(&f);
            }
            drive(&all);
        }
    }
}
