//! The per-connection SMTP/LMTP state machine, free of I/O so that it can be tested
//! directly (and fed arbitrary input by property tests: nothing here panics).
//!
//! The connection hands [`Session::command`] one command line at a time (parsed with
//! stalwartlabs' `smtp-proto`, except `XFORWARD`, which it does not know) and gets an
//! [`Action`]. After `DATA` the connection feeds the raw bytes to a [`DataReader`], which
//! removes the dot-stuffing and finds the terminating `.` line, then calls
//! [`Session::data_end`]. A whole [`Transaction`] is delivered by the caller, which reports
//! the [`Delivery`] result to [`Session::delivered`] for the final replies (one per
//! recipient in LMTP).
//!
//! `MAIL` and `RCPT` are decided by the next hop, in step ([`Action::NextHop`]): the caller
//! sends the step on (see [`crate::smtp::relay::HopSession`]) and hands the next hop's
//! answer to [`Session::next_hop_answer`], which gives the reply. So each recipient gets the
//! next hop's own verdict at `RCPT` time, and the message is later delivered to exactly the
//! recipients accepted.
//!
//! Addresses: `smtp-proto` parses the commands, except two valid RFC 5321 forms it refuses,
//! which are recognised here: address literals (`user@[192.0.2.1]`,
//! `user@[IPv6:2001:db8::1]`) and the bare `RCPT TO:<postmaster>`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use smtp_proto::{Error as ProtoError, Request};

use crate::frontend::Refusal;
use crate::policy::OnLimit;

/// Longest command line (including CRLF) accepted; Postfix's `line_length_limit` is the
/// same. Longer lines are answered `500 5.5.2`.
pub const MAX_COMMAND_LINE: usize = 2048;

/// Longest `XFORWARD` attribute value kept.
const MAX_ATTR_LEN: usize = 255;

/// Protocol settings of a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Host name in the greeting and the EHLO reply.
    pub hostname: String,
    /// Speak LMTP (`LHLO`, one reply per recipient after the data) instead of ESMTP.
    pub lmtp: bool,
    /// Largest message accepted (advertised with `SIZE`).
    pub max_message_bytes: usize,
    /// Past the size limit: `Remove` answers 452 (the MTA keeps the mail), `Reject` 552, as
    /// in the milter.
    pub on_limit: OnLimit,
    /// Most recipients per message; more get `452 4.5.3` (the client sends them in another
    /// transaction).
    pub max_recipients: usize,
    /// Bad commands tolerated before the connection is closed with `421`.
    pub max_errors: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            hostname: "localhost".into(),
            lmtp: false,
            max_message_bytes: crate::policy::Limits::default().max_message_bytes,
            on_limit: OnLimit::Remove,
            max_recipients: 1000,
            max_errors: 10,
        }
    }
}

/// One SMTP reply (possibly multi-line), always with an enhanced status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Three-digit reply code.
    pub code: u16,
    /// Enhanced status code (`2.0.0`), empty for the greeting and the EHLO reply.
    pub status: String,
    /// Text lines (at least one).
    pub lines: Vec<String>,
}

impl From<Refusal> for Reply {
    fn from(r: Refusal) -> Self {
        Reply::new(r.code, r.status, r.text)
    }
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, status: &str, text: impl Into<String>) -> Self {
        Reply {
            code,
            status: status.to_string(),
            lines: vec![text.into()],
        }
    }

    /// Whether this is a positive completion (2xx) reply.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// Appends the reply to `out`, each line CRLF-terminated; line texts are cut down to
    /// printable ASCII so that nothing from a peer can inject protocol lines.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let n = self.lines.len().max(1);
        for i in 0..n {
            let sep = if i + 1 < n { '-' } else { ' ' };
            let text = self.lines.get(i).map(String::as_str).unwrap_or("");
            let mut line = format!("{}{sep}", self.code);
            if !self.status.is_empty() {
                let _ = write!(line, "{} ", self.status);
            }
            line.extend(
                text.chars()
                    .map(|c| {
                        if c.is_ascii_graphic() || c == ' ' {
                            c
                        } else {
                            ' '
                        }
                    })
                    .take(500),
            );
            out.extend_from_slice(line.trim_end().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The envelope and data of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    /// Envelope sender, without angle brackets (empty for the null sender).
    pub sender: String,
    /// Envelope recipients, in order, as accepted.
    pub recipients: Vec<String>,
    /// `BODY=8BITMIME` was given.
    pub eight_bit: bool,
    /// `SMTPUTF8` was given.
    pub smtputf8: bool,
    /// The message, dot-unstuffed, exactly as received (without the final `.` line).
    pub data: Vec<u8>,
    /// `XFORWARD` attributes from the client (upper-case names: `ADDR`, `NAME`, `HELO`,
    /// `IDENT` (the upstream queue id), `PROTO`, `SOURCE`), for logs.
    pub xforward: BTreeMap<String, String>,
}

impl Transaction {
    /// The upstream queue id (`XFORWARD IDENT`), if known.
    pub fn queue_id(&self) -> Option<&str> {
        self.xforward.get("IDENT").map(String::as_str)
    }

    /// The original client's address (`XFORWARD ADDR`), if known.
    pub fn client_addr(&self) -> Option<&str> {
        self.xforward.get("ADDR").map(String::as_str)
    }
}

/// How the caller's delivery of a [`Transaction`] to the next hop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The next hop accepted the message (its reply text, for logs).
    Accepted(String),
    /// Not delivered, try again later (next hop down, 4xx, internal error): `451`.
    TempFailed(String),
    /// Refused for good: the code (5xx) and text to pass back.
    Refused {
        /// Reply code, 500–599.
        code: u16,
        /// Enhanced status code, e.g. `5.1.1`.
        status: String,
        /// Reply text.
        text: String,
    },
}

/// A step of the transaction that the next hop decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HopStep {
    /// Open a transaction from the sender of [`Session::transaction`] (`SMTPUTF8` when
    /// given by the client).
    Mail,
    /// Add this recipient (wire form).
    Rcpt(String),
}

/// What the connection must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the step to the next hop and give its answer to [`Session::next_hop_answer`],
    /// whose reply goes to the client.
    NextHop(HopStep),
    /// Send the reply and read the next command.
    Reply(Reply),
    /// Send the reply (354) and read the message data with a fresh [`DataReader`].
    ReadData(Reply),
    /// Send the reply and close the connection.
    Close(Reply),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No (valid) EHLO/HELO/LHLO yet.
    Fresh,
    /// Greeted, no transaction.
    Ready,
    /// `MAIL` given.
    Mail,
    /// Reading data.
    Data,
    /// Data received, waiting for [`Session::delivered`].
    Delivering,
}

/// One connection's protocol state.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    esmtp: bool,
    errors: usize,
    txn: Transaction,
    xforward: BTreeMap<String, String>,
    /// The step waiting for the next hop's answer.
    pending: Option<HopStep>,
}

/// Result of a [`DataReader::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// Bytes of the input used (the caller drops them from its buffer).
    pub consumed: usize,
    /// The terminating `.` line was found.
    pub done: bool,
}

/// Reads message data after `DATA`: removes the dot-stuffing (RFC 5321 4.5.2), stops at
/// the `.` line, and keeps at most `limit` bytes (past it the data is counted and thrown
/// away).
///
/// Only `<CR><LF>.<CR><LF>` ends the data (a `.` line at the very start counts too). A
/// bare `<LF>` is not a line end here: it never ends the data and never starts a line
/// whose dot would be unstuffed, so `\n.\n` inside the data stays data ("SMTP smuggling",
/// CVE-2023-51764). The reader notes that it saw one ([`DataReader::bare_lf`]) and the
/// session then rejects the message, as Postfix does with `smtpd_forbid_bare_newline =
/// reject`.
#[derive(Debug)]
pub struct DataReader {
    data: Vec<u8>,
    size: usize,
    limit: usize,
    at_line_start: bool,
    /// The last byte taken was a `<CR>` (a `<LF>` at the start of the next input ends a
    /// line).
    after_cr: bool,
    bare_lf: bool,
}

impl DataReader {
    /// A reader keeping at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        DataReader {
            data: Vec::new(),
            size: 0,
            limit,
            at_line_start: true,
            after_cr: false,
            bare_lf: false,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.size = self.size.saturating_add(bytes.len());
        if self.size <= self.limit {
            self.data.extend_from_slice(bytes);
        } else if !self.data.is_empty() {
            self.data = Vec::new();
        }
    }

    /// Takes what it can of `input`. Whatever is not consumed (an incomplete `.` line at
    /// the end, or bytes after the end of the data) must be given again / read as commands.
    pub fn feed(&mut self, input: &[u8]) -> Fed {
        let mut pos = 0;
        while pos < input.len() {
            let rest = &input[pos..];
            if self.at_line_start && rest[0] == b'.' {
                match (rest.get(1), rest.get(2)) {
                    (None, _) | (Some(b'\r'), None) => {
                        return Fed {
                            consumed: pos,
                            done: false,
                        };
                    }
                    (Some(b'\r'), Some(b'\n')) => {
                        return Fed {
                            consumed: pos + 3,
                            done: true,
                        };
                    }
                    _ => pos += 1, // unstuff
                }
                self.at_line_start = false;
                self.after_cr = false;
                continue;
            }
            match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    let crlf = if i == 0 {
                        self.after_cr
                    } else {
                        rest[i - 1] == b'\r'
                    };
                    self.bare_lf |= !crlf;
                    self.push(&rest[..=i]);
                    pos += i + 1;
                    self.at_line_start = crlf;
                    self.after_cr = false;
                }
                None => {
                    self.push(rest);
                    pos = input.len();
                    self.at_line_start = false;
                    self.after_cr = rest.last() == Some(&b'\r');
                }
            }
        }
        Fed {
            consumed: pos,
            done: false,
        }
    }

    /// Whether the data held a bare `<LF>` (one not preceded by `<CR>`).
    pub fn bare_lf(&self) -> bool {
        self.bare_lf
    }

    /// Bytes of data seen so far (after unstuffing), kept or not.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether more than the limit arrived.
    pub fn over_limit(&self) -> bool {
        self.size > self.limit
    }

    /// The data kept (empty when over the limit).
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

fn xtext_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The address as it goes on the wire: `smtp-proto` removes the quotes of a quoted local
/// part (`"a b"@x` arrives as `a b@x`); they are put back when the local part is not a
/// dot-atom, so that the next hop gets exactly the address Postfix sent.
fn wire_form(addr: &str) -> String {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return addr.to_string();
    };
    let atext =
        |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii();
    let dot_atom = !local.is_empty()
        && local
            .split('.')
            .all(|w| !w.is_empty() && w.chars().all(atext));
    if dot_atom {
        return addr.to_string();
    }
    let mut out = String::with_capacity(addr.len() + 4);
    out.push('"');
    for c in local.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("\"@");
    out.push_str(domain);
    out
}

/// Whether this is a well-formed address (lettre's checks: dot-atom or quoted local part,
/// domain or IP literal).
fn address_ok(addr: &str) -> bool {
    addr.parse::<lettre::Address>().is_ok()
}

/// Placeholder domain put in place of an address literal for `smtp-proto`.
const LITERAL_PLACEHOLDER: &str = "@literal.invalid";

/// An address form `smtp-proto` refuses, recognised by hand.
struct Special {
    /// The command line with the address replaced by a placeholder `smtp-proto` takes (the
    /// parameters are still parsed by it).
    line: Vec<u8>,
    /// The address literal (`[192.0.2.1]`), or `None` for `<postmaster>`.
    literal: Option<String>,
    /// The address as given (for `<postmaster>`).
    given: String,
}

/// Whether `domain` is an RFC 5321 address literal: `[IPv4]` or `[IPv6:...]`.
fn address_literal_ok(domain: &str) -> bool {
    let Some(inner) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) else {
        return false;
    };
    match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => {
            inner[5..].parse::<std::net::Ipv6Addr>().is_ok()
        }
        _ => inner.parse::<std::net::Ipv4Addr>().is_ok(),
    }
}

/// `MAIL FROM:<user@[literal]>`, `RCPT TO:<user@[literal]>` or `RCPT TO:<postmaster>`.
fn special_address(line: &[u8]) -> Option<Special> {
    let text = std::str::from_utf8(line).ok()?;
    let verb = text.get(..4)?;
    let rcpt = verb.eq_ignore_ascii_case("RCPT");
    if !rcpt && !verb.eq_ignore_ascii_case("MAIL") {
        return None;
    }
    let open = text.find('<')?;
    let close = open + text[open..].find('>')?;
    let inner = &text[open + 1..close];
    // smtp-proto turns `<postmaster>` into the null sender: caught here for MAIL too (and
    // refused there: RFC 5321 allows it as a recipient only).
    let (placeholder, literal) = if inner.eq_ignore_ascii_case("postmaster") {
        ("postmaster@postmaster.invalid".to_string(), None)
    } else {
        let (local, domain) = inner.rsplit_once('@')?;
        if !address_literal_ok(domain) {
            return None;
        }
        (
            format!("{local}{LITERAL_PLACEHOLDER}"),
            Some(domain.to_string()),
        )
    };
    let mut new = Vec::with_capacity(line.len() + 20);
    new.extend_from_slice(&line[..=open]);
    new.extend_from_slice(placeholder.as_bytes());
    new.extend_from_slice(&line[close..]);
    Some(Special {
        line: new,
        literal,
        given: inner.to_string(),
    })
}

impl Special {
    /// The real address for the one `smtp-proto` parsed from the placeholder line.
    fn address(&self, parsed: &str) -> Option<String> {
        match &self.literal {
            None => Some(self.given.clone()),
            Some(lit) => {
                let wire = wire_form(parsed);
                let local = wire.strip_suffix(LITERAL_PLACEHOLDER)?;
                // The local part must be one lettre (and the next hop) takes.
                address_ok(&format!("{local}@x.example")).then(|| format!("{local}@{lit}"))
            }
        }
    }
}

impl Session {
    /// A new connection.
    pub fn new(config: SessionConfig) -> Self {
        Session {
            config,
            state: State::Fresh,
            esmtp: false,
            errors: 0,
            txn: Transaction::default(),
            xforward: BTreeMap::new(),
            pending: None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The greeting sent when the connection opens.
    pub fn greeting(&self) -> Reply {
        let proto = if self.config.lmtp { "LMTP" } else { "ESMTP" };
        Reply {
            code: 220,
            status: String::new(),
            lines: vec![format!("{} {proto} mugai", self.config.hostname)],
        }
    }

    /// Whether a transaction is between `MAIL` and its final reply.
    pub fn in_transaction(&self) -> bool {
        matches!(self.state, State::Mail | State::Data | State::Delivering)
    }

    /// The envelope of the transaction in progress (data empty until it is read).
    pub fn transaction(&self) -> &Transaction {
        &self.txn
    }

    /// Whether the session waits for message data.
    pub fn reading_data(&self) -> bool {
        self.state == State::Data
    }

    /// A fresh [`DataReader`] for this session's size limit.
    pub fn data_reader(&self) -> DataReader {
        DataReader::new(self.config.max_message_bytes)
    }

    fn reset(&mut self) {
        self.txn = Transaction::default();
        self.pending = None;
        if self.state != State::Fresh {
            self.state = State::Ready;
        }
    }

    fn error(&mut self, reply: Reply) -> Action {
        self.errors += 1;
        if self.errors > self.config.max_errors {
            return Action::Close(Reply::new(
                421,
                "4.7.0",
                format!("{} Too many errors, closing", self.config.hostname),
            ));
        }
        Action::Reply(reply)
    }

    fn ehlo_reply(&self, host: &str) -> Reply {
        let mut lines = vec![format!("{} greets {host}", self.config.hostname)];
        lines.push("PIPELINING".into());
        lines.push(format!("SIZE {}", self.config.max_message_bytes));
        lines.push("8BITMIME".into());
        lines.push("SMTPUTF8".into());
        lines.push("ENHANCEDSTATUSCODES".into());
        lines.push("XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT".into());
        Reply {
            code: 250,
            status: String::new(),
            lines,
        }
    }

    /// A command line longer than [`MAX_COMMAND_LINE`] arrived (and was thrown away).
    pub fn line_too_long(&mut self) -> Action {
        self.error(Reply::new(500, "5.5.2", "Line too long"))
    }

    /// Handles one command line (with its line end).
    pub fn command(&mut self, line: &[u8]) -> Action {
        if matches!(self.state, State::Data | State::Delivering) || self.pending.is_some() {
            // The connection never does this; answer as a protocol error anyway.
            return Action::Close(Reply::new(421, "4.5.0", "Command out of sequence"));
        }
        if line.ends_with(b"\n") && !line.ends_with(b"\r\n") {
            // As Postfix with `smtpd_forbid_bare_newline = reject`: commands too must end
            // with <CR><LF>.
            return self.error(Reply::new(
                500,
                "5.5.2",
                "Command rejected: bare <LF> received",
            ));
        }
        let word_end = line
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(line.len());
        if line[..word_end].eq_ignore_ascii_case(b"XFORWARD") {
            return self.xforward(&line[word_end..]);
        }
        let line: Cow<'_, [u8]> = if line.ends_with(b"\n") {
            Cow::Borrowed(line)
        } else {
            let mut v = line.to_vec();
            v.push(b'\n');
            Cow::Owned(v)
        };
        if let Some(special) = special_address(&line) {
            return match Request::parse(&mut special.line.iter()) {
                Ok(req) => self.request(req, Some(&special)),
                Err(_) => self.error(Reply::new(553, "5.1.3", "Bad address syntax")),
            };
        }
        let parsed = Request::parse(&mut line.iter());
        match parsed {
            Ok(req) => self.request(req, None),
            Err(ProtoError::UnknownCommand) | Err(ProtoError::NeedsMoreData { .. }) => {
                self.error(Reply::new(500, "5.5.2", "Command unrecognized"))
            }
            Err(ProtoError::InvalidSenderAddress) => {
                self.error(Reply::new(553, "5.1.7", "Bad sender address syntax"))
            }
            Err(ProtoError::InvalidRecipientAddress) => {
                self.error(Reply::new(553, "5.1.3", "Bad recipient address syntax"))
            }
            Err(ProtoError::SyntaxError { syntax }) => {
                self.error(Reply::new(501, "5.5.4", format!("Syntax: {syntax}")))
            }
            Err(ProtoError::InvalidParameter { param }) => self.error(Reply::new(
                501,
                "5.5.4",
                format!("Invalid parameter {param}"),
            )),
            Err(ProtoError::UnsupportedParameter { param }) => self.error(Reply::new(
                555,
                "5.5.4",
                format!("Unsupported parameter {param}"),
            )),
            Err(_) => self.error(Reply::new(500, "5.5.2", "Syntax error")),
        }
    }

    fn xforward(&mut self, args: &[u8]) -> Action {
        if self.state == State::Fresh || !self.esmtp {
            return self.error(Reply::new(503, "5.5.1", "Send EHLO first"));
        }
        if self.in_transaction() {
            return self.error(Reply::new(503, "5.5.1", "XFORWARD inside a transaction"));
        }
        let args = String::from_utf8_lossy(args);
        let mut seen = 0;
        for pair in args.split_ascii_whitespace() {
            let Some((name, value)) = pair.split_once('=') else {
                return self.error(Reply::new(501, "5.5.4", "Syntax: XFORWARD attr=value ..."));
            };
            let name = name.to_ascii_uppercase();
            if !matches!(
                name.as_str(),
                "NAME" | "ADDR" | "PORT" | "PROTO" | "HELO" | "IDENT" | "SOURCE"
            ) {
                return self.error(Reply::new(
                    501,
                    "5.5.4",
                    format!("Bad XFORWARD attribute {name}"),
                ));
            }
            let mut value = xtext_decode(value);
            value.truncate(value.floor_char_boundary(MAX_ATTR_LEN));
            if value == "[UNAVAILABLE]" || value == "[TEMPUNAVAIL]" {
                self.xforward.remove(&name);
            } else {
                self.xforward.insert(name, value);
            }
            seen += 1;
        }
        if seen == 0 {
            return self.error(Reply::new(501, "5.5.4", "Syntax: XFORWARD attr=value ..."));
        }
        Action::Reply(Reply::new(250, "2.0.0", "Ok"))
    }

    fn hello(&mut self, host: &str, esmtp: bool, lmtp: bool) -> Action {
        if lmtp != self.config.lmtp {
            let want = if self.config.lmtp { "LHLO" } else { "EHLO" };
            return self.error(Reply::new(
                500,
                "5.5.1",
                format!("This server wants {want}"),
            ));
        }
        self.txn = Transaction::default();
        self.xforward.clear();
        self.state = State::Ready;
        self.esmtp = esmtp;
        if esmtp {
            Action::Reply(self.ehlo_reply(host))
        } else {
            Action::Reply(Reply {
                code: 250,
                status: String::new(),
                lines: vec![self.config.hostname.clone()],
            })
        }
    }

    fn request(&mut self, req: Request<Cow<'_, str>>, special: Option<&Special>) -> Action {
        match req {
            Request::Ehlo { host } => self.hello(&host, true, false),
            Request::Helo { host } => self.hello(&host, false, false),
            Request::Lhlo { host } => self.hello(&host, true, true),
            Request::Mail { from } => {
                if self.state == State::Fresh {
                    return self.error(Reply::new(503, "5.5.1", "Send EHLO first"));
                }
                if self.in_transaction() {
                    return self.error(Reply::new(503, "5.5.1", "Nested MAIL command"));
                }
                let sender = match special {
                    Some(sp) if sp.literal.is_some() => sp.address(&from.address),
                    Some(_) => None, // <postmaster> is for RCPT only
                    None => {
                        Some(wire_form(&from.address)).filter(|s| s.is_empty() || address_ok(s))
                    }
                };
                let Some(sender) = sender else {
                    return self.error(Reply::new(553, "5.1.7", "Bad sender address syntax"));
                };
                if from.size > self.config.max_message_bytes {
                    return Action::Reply(Reply::new(
                        552,
                        "5.3.4",
                        format!(
                            "Message size exceeds the limit of {} bytes",
                            self.config.max_message_bytes
                        ),
                    ));
                }
                if from.flags & smtp_proto::MAIL_BODY_BINARYMIME != 0 {
                    return self.error(Reply::new(555, "5.5.4", "BODY=BINARYMIME not supported"));
                }
                self.txn = Transaction {
                    sender,
                    eight_bit: from.flags & smtp_proto::MAIL_BODY_8BITMIME != 0,
                    smtputf8: from.flags & smtp_proto::MAIL_SMTPUTF8 != 0,
                    xforward: self.xforward.clone(),
                    ..Transaction::default()
                };
                self.state = State::Mail;
                self.pending = Some(HopStep::Mail);
                Action::NextHop(HopStep::Mail)
            }
            Request::Rcpt { to } => {
                if self.state != State::Mail {
                    return self.error(Reply::new(503, "5.5.1", "Need MAIL command"));
                }
                if self.txn.recipients.len() >= self.config.max_recipients {
                    return Action::Reply(Reply::new(452, "4.5.3", "Too many recipients"));
                }
                let rcpt = match special {
                    Some(sp) => sp.address(&to.address),
                    None => Some(wire_form(&to.address)).filter(|r| address_ok(r)),
                };
                let Some(rcpt) = rcpt else {
                    return self.error(Reply::new(553, "5.1.3", "Bad recipient address syntax"));
                };
                self.pending = Some(HopStep::Rcpt(rcpt.clone()));
                Action::NextHop(HopStep::Rcpt(rcpt))
            }
            Request::Data => {
                if self.state != State::Mail {
                    return self.error(Reply::new(503, "5.5.1", "Need MAIL command"));
                }
                if self.txn.recipients.is_empty() {
                    return self.error(Reply::new(554, "5.5.1", "No valid recipients"));
                }
                self.state = State::Data;
                Action::ReadData(Reply::new(354, "", "End data with <CR><LF>.<CR><LF>"))
            }
            Request::Rset => {
                self.reset();
                Action::Reply(Reply::new(250, "2.0.0", "Ok"))
            }
            Request::Noop { .. } => Action::Reply(Reply::new(250, "2.0.0", "Ok")),
            Request::Quit => Action::Close(Reply::new(221, "2.0.0", "Bye")),
            Request::Vrfy { .. } => Action::Reply(Reply::new(
                252,
                "2.1.5",
                "Cannot VRFY user, but will accept message",
            )),
            Request::Help { .. } => Action::Reply(Reply::new(
                214,
                "2.0.0",
                "mugai content filter: see docs/postfix-content-filter.md",
            )),
            Request::StartTls => self.error(Reply::new(
                502,
                "5.5.1",
                "STARTTLS not offered (loopback only)",
            )),
            other => {
                let name = other.name();
                self.error(Reply::new(
                    502,
                    "5.5.1",
                    format!("{name} command not implemented"),
                ))
            }
        }
    }

    /// The next hop's answer to the pending [`HopStep`]: the reply for the client. A
    /// refused `MAIL` ends the transaction; a refused `RCPT` leaves that recipient out.
    pub fn next_hop_answer(&mut self, answer: &Delivery) -> Reply {
        let Some(step) = self.pending.take() else {
            return Reply::new(503, "5.5.1", "Nothing sent to the next hop");
        };
        let accepted = matches!(answer, Delivery::Accepted(_));
        match step {
            HopStep::Mail if accepted => Reply::new(250, "2.1.0", "Ok"),
            HopStep::Mail => {
                self.reset();
                hop_refusal(answer)
            }
            HopStep::Rcpt(r) if accepted => {
                self.txn.recipients.push(r);
                Reply::new(250, "2.1.5", "Ok")
            }
            HopStep::Rcpt(_) => hop_refusal(answer),
        }
    }

    /// The data has ended (the `.` line was read by `reader`). Returns the transaction to
    /// deliver, or the reply(ies) refusing it (over the size limit).
    pub fn data_end(&mut self, reader: DataReader) -> Result<Transaction, Vec<Reply>> {
        if self.state != State::Data {
            self.reset();
            return Err(vec![Reply::new(503, "5.5.1", "No DATA in progress")]);
        }
        if reader.bare_lf() {
            // As Postfix with `smtpd_forbid_bare_newline = reject`: nothing of this data
            // is delivered (a smuggled second message inside it neither).
            let n = self.reply_count();
            self.reset();
            return Err(vec![
                Reply::new(
                    550,
                    "5.5.2",
                    "Message rejected: bare <LF> received"
                );
                n
            ]);
        }
        if reader.over_limit() {
            let reply = Reply::from(Refusal::over_limit(
                self.config.on_limit,
                self.config.max_message_bytes,
            ));
            let n = self.reply_count();
            self.reset();
            return Err(vec![reply; n]);
        }
        self.state = State::Delivering;
        let mut txn = std::mem::take(&mut self.txn);
        txn.data = reader.into_data();
        // Keep the envelope for `delivered` (LMTP needs the recipient count).
        self.txn = Transaction {
            sender: txn.sender.clone(),
            recipients: txn.recipients.clone(),
            ..Transaction::default()
        };
        Ok(txn)
    }

    fn reply_count(&self) -> usize {
        if self.config.lmtp {
            self.txn.recipients.len().max(1)
        } else {
            1
        }
    }

    /// The delivery of the transaction returned by [`Session::data_end`] ended: the
    /// replies to send (one per recipient in LMTP, all alike, since the next hop takes the
    /// message for all recipients at once or not at all).
    pub fn delivered(&mut self, delivery: &Delivery) -> Vec<Reply> {
        if self.state != State::Delivering {
            return vec![Reply::new(503, "5.5.1", "No message in delivery")];
        }
        let n = self.reply_count();
        let reply = match delivery {
            Delivery::Accepted(_) => Reply::new(250, "2.0.0", "Ok: sanitised and relayed"),
            Delivery::TempFailed(why) => Reply::new(
                451,
                "4.3.0",
                format!("Message not delivered, try again later: {why}"),
            ),
            Delivery::Refused { .. } => hop_refusal(delivery),
        };
        self.reset();
        vec![reply; n]
    }
}

/// A next hop's refusal as a reply: its own 5xx code and status, or `451` for a
/// temporary failure.
fn hop_refusal(answer: &Delivery) -> Reply {
    match answer {
        Delivery::Refused { code, status, text } => {
            let code = if (500..600).contains(code) {
                *code
            } else {
                554
            };
            let status = if status.starts_with("5.") {
                status.as_str()
            } else {
                "5.0.0"
            };
            Reply::new(code, status, format!("Next hop refused: {text}"))
        }
        Delivery::TempFailed(why) => Reply::new(
            451,
            "4.3.0",
            format!("Next hop failed, try again later: {why}"),
        ),
        Delivery::Accepted(_) => Reply::new(250, "2.0.0", "Ok"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(a: &Action) -> u16 {
        match a {
            Action::Reply(r) | Action::ReadData(r) | Action::Close(r) => r.code,
            Action::NextHop(_) => 0,
        }
    }

    /// One command; a next-hop step is accepted.
    fn run(s: &mut Session, line: &str) -> u16 {
        run_with(s, line, &Delivery::Accepted("ok".into()))
    }

    /// One command; a next-hop step gets `answer`.
    fn run_with(s: &mut Session, line: &str, answer: &Delivery) -> u16 {
        match s.command(format!("{line}\r\n").as_bytes()) {
            Action::NextHop(_) => s.next_hop_answer(answer).code,
            a => code(&a),
        }
    }

    fn read_all(input: &[u8]) -> (Vec<u8>, usize) {
        let mut r = DataReader::new(1 << 20);
        let f = r.feed(input);
        assert!(f.done);
        (r.into_data(), f.consumed)
    }

    #[test]
    fn dot_unstuffing() {
        let (d, n) = read_all(b"a\r\n..b\r\n.\r\nQUIT\r\n");
        assert_eq!(d, b"a\r\n.b\r\n");
        assert_eq!(n, 11);
        let (d, _) = read_all(b".\r\n");
        assert_eq!(d, b"");
        let (d, _) = read_all(b"...\r\n.x\r\n.\r\n");
        assert_eq!(d, b"..\r\nx\r\n");
        // A dot inside a line is data.
        let (d, _) = read_all(b"a.\r\n. \r\n.\r\n");
        assert_eq!(d, b"a.\r\n \r\n");
    }

    #[test]
    fn only_crlf_dot_crlf_ends_the_data() {
        // The smuggling shapes: a bare LF before or after the dot is data, not an end.
        for wire in [
            &b"a\n.\nMAIL FROM:<x@y>\r\n.\r\n"[..],
            b"a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n",
            b"a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n",
        ] {
            for cut in 0..wire.len() {
                let mut r = DataReader::new(1 << 20);
                let f1 = r.feed(&wire[..cut]);
                assert!(!f1.done, "{wire:?} cut {cut}");
                let f2 = r.feed(&wire[f1.consumed..]);
                assert!(f2.done, "{wire:?} cut {cut}");
                assert_eq!(f1.consumed + f2.consumed, wire.len());
                assert!(r.bare_lf(), "{wire:?}");
                assert!(r.into_data().ends_with(b"MAIL FROM:<x@y>\r\n"));
            }
        }
        let mut r = DataReader::new(100);
        assert!(r.feed(b"a\r\nb\r\n.\r\n").done);
        assert!(!r.bare_lf());
    }

    #[test]
    fn bare_lf_command_is_rejected() {
        let mut s = Session::new(SessionConfig::default());
        assert_eq!(code(&s.command(b"EHLO x\n")), 500);
        assert_eq!(run(&mut s, "EHLO x"), 250);
        assert_eq!(code(&s.command(b"MAIL FROM:<a@b.example>\n")), 500);
        assert!(!s.in_transaction());
    }

    #[test]
    fn bare_lf_in_data_is_rejected() {
        let mut s = Session::new(SessionConfig::default());
        for l in ["EHLO x", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>"] {
            assert_eq!(run(&mut s, l), 250);
        }
        assert_eq!(run(&mut s, "DATA"), 354);
        let mut r = s.data_reader();
        // The bare LF does not start a line: ".\r\n" after it is data.
        assert!(!r.feed(b"x\n.\r\n").done);
        assert!(r.feed(b"y\r\n.\r\n").done);
        let e = s.data_end(r).unwrap_err();
        assert_eq!((e.len(), e[0].code), (1, 550));
        assert!(e[0].lines[0].contains("bare <LF>"));
        assert!(!s.in_transaction());
    }

    #[test]
    fn data_split_anywhere() {
        let input = b"Subject: x\r\n\r\n..dots\r\nend.\r\n\r\n.\r\n";
        let (want, _) = read_all(input);
        for cut in 0..input.len() {
            let mut r = DataReader::new(1 << 20);
            let f1 = r.feed(&input[..cut]);
            assert!(!f1.done);
            let mut rest = input[f1.consumed..].to_vec();
            let f2 = r.feed(&rest);
            assert!(f2.done, "cut {cut}");
            rest.drain(..f2.consumed);
            assert!(rest.is_empty());
            assert_eq!(r.into_data(), want, "cut {cut}");
        }
    }

    #[test]
    fn size_limit() {
        let mut r = DataReader::new(5);
        let f = r.feed(b"123456789\r\n.\r\n");
        assert!(f.done);
        assert!(r.over_limit());
        assert!(r.into_data().is_empty());
    }

    #[test]
    fn happy_path_and_sequence_errors() {
        let mut s = Session::new(SessionConfig::default());
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example>"), 503);
        assert_eq!(run(&mut s, "EHLO client"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<c@d.example>"), 503);
        assert_eq!(run(&mut s, "DATA"), 503);
        assert_eq!(
            run(
                &mut s,
                "XFORWARD ADDR=192.0.2.1 IDENT=ABC123 NAME=[UNAVAILABLE]"
            ),
            250
        );
        assert_eq!(
            run(
                &mut s,
                "MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME SMTPUTF8"
            ),
            250
        );
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example>"), 503);
        assert_eq!(run(&mut s, "DATA"), 554);
        assert_eq!(run(&mut s, "RCPT TO:<c@d.example>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<e@d.example>"), 250);
        assert_eq!(run(&mut s, "NOOP"), 250);
        assert_eq!(run(&mut s, "DATA"), 354);
        let mut r = s.data_reader();
        assert!(r.feed(b"x\r\n.\r\n").done);
        let txn = s.data_end(r).unwrap();
        assert_eq!(txn.sender, "a@b.example");
        assert_eq!(txn.recipients, ["c@d.example", "e@d.example"]);
        assert!(txn.eight_bit && txn.smtputf8);
        assert_eq!(txn.queue_id(), Some("ABC123"));
        assert_eq!(txn.client_addr(), Some("192.0.2.1"));
        assert!(!txn.xforward.contains_key("NAME"));
        let r = s.delivered(&Delivery::Accepted("ok".into()));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code, 250);
        assert!(!s.in_transaction());
        assert_eq!(run(&mut s, "MAIL FROM:<>"), 250);
        assert_eq!(run(&mut s, "RSET"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<c@d.example>"), 503);
        assert_eq!(run(&mut s, "QUIT"), 221);
    }

    #[test]
    fn refusals() {
        let cfg = SessionConfig {
            max_message_bytes: 1000,
            max_recipients: 2,
            ..SessionConfig::default()
        };
        let mut s = Session::new(cfg);
        assert_eq!(run(&mut s, "LHLO x"), 500);
        assert_eq!(run(&mut s, "HELO x"), 250);
        assert_eq!(run(&mut s, "XFORWARD ADDR=1.2.3.4"), 503); // HELO: no ESMTP
        assert_eq!(run(&mut s, "EHLO x"), 250);
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example> SIZE=5000"), 552);
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example> FOO=BAR"), 555);
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example> BODY=BINARYMIME"), 555);
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<nodomain>"), 553);
        assert_eq!(run(&mut s, "RCPT TO:<a@[192.0.2.1]"), 553);
        assert_eq!(run(&mut s, "RCPT TO:<a@x.example>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<b@x.example>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<c@x.example>"), 452);
        assert_eq!(run(&mut s, "RCPT TO:"), 501);
        assert_eq!(run(&mut s, "BDAT 10 LAST"), 502);
        assert_eq!(run(&mut s, "STARTTLS"), 502);
        assert_eq!(run(&mut s, "FOO"), 500);
        assert_eq!(run(&mut s, "DATA"), 354);
        let mut r = s.data_reader();
        let big = format!("{}\r\n.\r\n", "x".repeat(2000));
        assert!(r.feed(big.as_bytes()).done);
        let e = s.data_end(r).unwrap_err();
        assert_eq!(e[0].code, 452);
        assert!(!s.in_transaction());
    }

    #[test]
    fn addresses_keep_their_wire_form() {
        assert_eq!(wire_form("a.b@x"), "a.b@x");
        assert_eq!(wire_form("a b@x"), "\"a b\"@x");
        assert_eq!(wire_form("a..b@x"), "\"a..b\"@x");
        assert_eq!(wire_form("a@b@x"), "\"a@b\"@x");
        assert_eq!(wire_form("a\"b@x"), "\"a\\\"b\"@x");
        assert_eq!(wire_form("送信者@例え.jp"), "送信者@例え.jp");
        assert_eq!(wire_form(""), "");
    }

    #[test]
    fn international_addresses() {
        let mut s = Session::new(SessionConfig::default());
        assert_eq!(run(&mut s, "EHLO x"), 250);
        assert_eq!(run(&mut s, "MAIL FROM:<送信者@例え.jp> SMTPUTF8"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<受信者@lgwan.example>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<\"quoted local\"@lgwan.example>"), 250);
        // Address literals and <postmaster> (RFC 5321 4.1.3, 4.5.1), which smtp-proto
        // refuses, are parsed here.
        assert_eq!(run(&mut s, "RCPT TO:<user+tag@[192.0.2.1]>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<\"q x\"@[IPv6:2001:db8::1]>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<Postmaster>"), 250);
        for bad in [
            "RCPT TO:<a@[192.0.2.300]>",
            "RCPT TO:<a@[IPv6:zz]>",
            "RCPT TO:<a@[tag:x]>",
            "RCPT TO:<a b@[192.0.2.1]>",
            "RCPT TO:<postmistress>",
            "RCPT TO:<@[192.0.2.1]>",
        ] {
            assert_eq!(run(&mut s, bad), 553, "{bad}");
        }
        assert_eq!(run(&mut s, "DATA"), 354);
        let mut r = s.data_reader();
        r.feed(b".\r\n");
        let txn = s.data_end(r).unwrap();
        assert_eq!(txn.sender, "送信者@例え.jp");
        assert_eq!(
            txn.recipients,
            [
                "受信者@lgwan.example",
                "\"quoted local\"@lgwan.example",
                "user+tag@[192.0.2.1]",
                "\"q x\"@[IPv6:2001:db8::1]",
                "Postmaster",
            ]
        );
        let mut s = Session::new(SessionConfig::default());
        assert_eq!(run(&mut s, "EHLO x"), 250);
        assert_eq!(run(&mut s, "MAIL FROM:<postmaster>"), 553);
        assert_eq!(
            run(&mut s, "MAIL FROM:<a@[192.0.2.1]> SIZE=10 BODY=8BITMIME"),
            250
        );
        assert_eq!(s.transaction().sender, "a@[192.0.2.1]");
        assert!(s.transaction().eight_bit);
    }

    #[test]
    fn next_hop_decides_each_recipient() {
        let mut s = Session::new(SessionConfig::default());
        let refused = Delivery::Refused {
            code: 550,
            status: "5.1.1".into(),
            text: "no such user".into(),
        };
        assert_eq!(run(&mut s, "EHLO x"), 250);
        assert_eq!(
            run_with(
                &mut s,
                "MAIL FROM:<a@b.example>",
                &Delivery::TempFailed("down".into())
            ),
            451
        );
        assert!(!s.in_transaction());
        assert_eq!(run(&mut s, "RCPT TO:<c@d.example>"), 503);
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example>"), 250);
        assert_eq!(run(&mut s, "RCPT TO:<c@d.example>"), 250);
        assert_eq!(run_with(&mut s, "RCPT TO:<x@d.example>", &refused), 550);
        assert_eq!(
            run_with(
                &mut s,
                "RCPT TO:<y@d.example>",
                &Delivery::TempFailed("busy".into())
            ),
            451
        );
        assert_eq!(run(&mut s, "DATA"), 354);
        let mut r = s.data_reader();
        r.feed(b".\r\n");
        assert_eq!(s.data_end(r).unwrap().recipients, ["c@d.example"]);
        // A command while a step is pending is a protocol error.
        let mut s = Session::new(SessionConfig::default());
        run(&mut s, "EHLO x");
        assert!(matches!(
            s.command(b"MAIL FROM:<a@b.example>\r\n"),
            Action::NextHop(HopStep::Mail)
        ));
        assert!(matches!(s.command(b"NOOP\r\n"), Action::Close(_)));
    }

    #[test]
    fn too_many_errors_close() {
        let mut s = Session::new(SessionConfig::default());
        let mut last = Action::Reply(Reply::new(250, "", ""));
        for _ in 0..20 {
            last = s.command(b"\x00\x01garbage\r\n");
            if matches!(last, Action::Close(_)) {
                break;
            }
        }
        assert!(matches!(last, Action::Close(ref r) if r.code == 421));
    }

    #[test]
    fn lmtp_replies_per_recipient() {
        let cfg = SessionConfig {
            lmtp: true,
            ..SessionConfig::default()
        };
        let mut s = Session::new(cfg);
        assert!(s.greeting().lines[0].contains("LMTP"));
        assert_eq!(run(&mut s, "EHLO x"), 500);
        assert_eq!(run(&mut s, "LHLO x"), 250);
        assert_eq!(run(&mut s, "MAIL FROM:<a@b.example>"), 250);
        for r in ["x@y.example", "z@y.example", "w@y.example"] {
            assert_eq!(run(&mut s, &format!("RCPT TO:<{r}>")), 250);
        }
        assert_eq!(run(&mut s, "DATA"), 354);
        let mut r = s.data_reader();
        r.feed(b".\r\n");
        s.data_end(r).unwrap();
        let replies = s.delivered(&Delivery::Refused {
            code: 550,
            status: "5.1.1".into(),
            text: "no".into(),
        });
        assert_eq!(replies.len(), 3);
        assert!(replies.iter().all(|r| r.code == 550));
    }

    #[test]
    fn replies_encode_safely() {
        let mut out = Vec::new();
        Reply::new(451, "4.3.0", "bad\r\n250 injected").encode(&mut out);
        assert_eq!(out, b"451 4.3.0 bad  250 injected\r\n");
        out.clear();
        let s = Session::new(SessionConfig::default());
        s.ehlo_reply("x").encode(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("250-localhost greets x\r\n250-PIPELINING\r\n"));
        assert!(text.ends_with("250 XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT\r\n"));
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(lines in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..80),
                "(EHLO|HELO|LHLO|MAIL FROM:|RCPT TO:|DATA|RSET|NOOP|QUIT|XFORWARD|VRFY|BDAT) ?[ -~]{0,40}"
                    .prop_map(|s| s.into_bytes()),
            ],
            0..40,
        ), lmtp in any::<bool>()) {
            let mut s = Session::new(SessionConfig { lmtp, ..SessionConfig::default() });
            for (i, line) in lines.iter().enumerate() {
                match s.command(line) {
                    Action::NextHop(_) => {
                        let answer = if i % 3 == 0 {
                            Delivery::TempFailed("x".into())
                        } else {
                            Delivery::Accepted("ok".into())
                        };
                        let r = s.next_hop_answer(&answer);
                        prop_assert!(r.code == 250 || r.code == 451);
                    }
                    Action::ReadData(_) => {
                        let mut r = s.data_reader();
                        r.feed(line);
                        r.feed(b"\r\n.\r\n");
                        if let Ok(txn) = s.data_end(r) {
                            prop_assert!(!txn.recipients.is_empty());
                            let replies = s.delivered(&Delivery::TempFailed("x".into()));
                            prop_assert!(replies.iter().all(|r| r.code == 451));
                        }
                    }
                    Action::Close(_) => break,
                    Action::Reply(r) => {
                        let mut out = Vec::new();
                        r.encode(&mut out);
                        prop_assert!(out.ends_with(b"\r\n"));
                    }
                }
            }
        }

        #[test]
        fn unstuffing_inverts_stuffing(lines in proptest::collection::vec("[.a-z\r]{0,12}", 0..20),
                                        cuts in proptest::collection::vec(0usize..200, 0..5)) {
            // Stuff as a client does, then read back in arbitrary pieces.
            let mut original = Vec::new();
            let mut wire = Vec::new();
            for l in &lines {
                let l = l.replace('\r', "");
                original.extend_from_slice(l.as_bytes());
                original.extend_from_slice(b"\r\n");
                if l.starts_with('.') {
                    wire.push(b'.');
                }
                wire.extend_from_slice(l.as_bytes());
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b".\r\nNOOP\r\n");
            let mut r = DataReader::new(1 << 20);
            let mut buf: Vec<u8> = Vec::new();
            let mut fed = 0;
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(wire.len())).collect();
            points.sort();
            points.push(wire.len());
            let mut done = false;
            for p in points {
                if p < fed { continue; }
                buf.extend_from_slice(&wire[fed..p]);
                fed = p;
                let f = r.feed(&buf);
                buf.drain(..f.consumed);
                if f.done { done = true; break; }
            }
            prop_assert!(done);
            buf.extend_from_slice(&wire[fed..]);
            prop_assert_eq!(buf, b"NOOP\r\n".to_vec());
            prop_assert_eq!(r.into_data(), original);
        }
    }
}
