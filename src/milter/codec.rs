//! The milter wire format: frames, commands from the MTA and replies from the filter.
//!
//! A frame is a 32-bit big-endian length (counting the command byte and the data), one
//! command byte and the data. Strings inside the data are NUL-terminated. The constants
//! carry the names of sendmail's `include/libmilter/mfdef.h`.
//!
//! Parsing follows tokio-rs/mini-redis: [`Frame::check`] looks at a [`Cursor`] over the
//! read buffer and says whether a whole frame is there (without allocating);
//! [`Frame::parse`] then takes it. Both directions are implemented (MTA → filter
//! [`Command`], filter → MTA [`Response`]) so that tests can play the MTA.

use std::io::Cursor;

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Protocol version this filter speaks (sendmail 8.14+, Postfix 2.6+).
pub const SMFI_VERSION: u32 = 6;
/// Oldest protocol version accepted (Postfix `milter_protocol = 2`).
pub const SMFI_MIN_VERSION: u32 = 2;
/// Size of the length prefix.
pub const MILTER_LEN_BYTES: usize = 4;
/// Largest body chunk in one `SMFIC_BODY` or `SMFIR_REPLBODY` frame without the
/// `SMFIP_MDS_*` extensions.
pub const MILTER_CHUNK_SIZE: usize = 65_535;
/// Largest frame (command byte + data) accepted from the MTA. Bigger than any frame an MTA
/// sends (bodies come in chunks of at most 64 KiB, or 1 MiB with `SMFIP_MDS_1M`, headers are
/// bounded by the MTA's header size limit); a larger length is treated as an attack.
pub const MAX_FRAME_LEN: usize = 2 * 1024 * 1024;

// Commands (MTA → filter).
/// Abort the current message.
pub const SMFIC_ABORT: u8 = b'A';
/// A body chunk.
pub const SMFIC_BODY: u8 = b'B';
/// Connection information.
pub const SMFIC_CONNECT: u8 = b'C';
/// Macro definitions for the next command.
pub const SMFIC_MACRO: u8 = b'D';
/// End of body: the filter now gives its final answer and its modifications.
pub const SMFIC_BODYEOB: u8 = b'E';
/// HELO/EHLO name.
pub const SMFIC_HELO: u8 = b'H';
/// Quit, but a new connection-level session follows on the same socket.
pub const SMFIC_QUIT_NC: u8 = b'K';
/// One header field.
pub const SMFIC_HEADER: u8 = b'L';
/// MAIL FROM.
pub const SMFIC_MAIL: u8 = b'M';
/// End of headers.
pub const SMFIC_EOH: u8 = b'N';
/// Option negotiation.
pub const SMFIC_OPTNEG: u8 = b'O';
/// Quit.
pub const SMFIC_QUIT: u8 = b'Q';
/// RCPT TO.
pub const SMFIC_RCPT: u8 = b'R';
/// DATA.
pub const SMFIC_DATA: u8 = b'T';
/// An unknown SMTP command.
pub const SMFIC_UNKNOWN: u8 = b'U';

// Replies (filter → MTA).
/// Add a recipient.
pub const SMFIR_ADDRCPT: u8 = b'+';
/// Remove a recipient.
pub const SMFIR_DELRCPT: u8 = b'-';
/// Add a recipient with ESMTP arguments.
pub const SMFIR_ADDRCPT_PAR: u8 = b'2';
/// 421: shut the SMTP connection down.
pub const SMFIR_SHUTDOWN: u8 = b'4';
/// Accept the message (or connection) without further filtering.
pub const SMFIR_ACCEPT: u8 = b'a';
/// Replace the body (one chunk; several frames replace it by concatenation).
pub const SMFIR_REPLBODY: u8 = b'b';
/// Continue to the next step.
pub const SMFIR_CONTINUE: u8 = b'c';
/// Accept and silently discard.
pub const SMFIR_DISCARD: u8 = b'd';
/// Change the envelope sender.
pub const SMFIR_CHGFROM: u8 = b'e';
/// Cause a connection failure.
pub const SMFIR_CONN_FAIL: u8 = b'f';
/// Append a header field.
pub const SMFIR_ADDHEADER: u8 = b'h';
/// Insert a header field at a position.
pub const SMFIR_INSHEADER: u8 = b'i';
/// Set the list of macros wanted for a stage.
pub const SMFIR_SETSYMLIST: u8 = b'l';
/// Change (or, with an empty value, delete) a header field.
pub const SMFIR_CHGHEADER: u8 = b'm';
/// Still working: resets the MTA's timeout.
pub const SMFIR_PROGRESS: u8 = b'p';
/// Put the message in the MTA's hold queue.
pub const SMFIR_QUARANTINE: u8 = b'q';
/// Reject (5xx).
pub const SMFIR_REJECT: u8 = b'r';
/// Skip the remaining body chunks.
pub const SMFIR_SKIP: u8 = b's';
/// Temporary failure (4xx).
pub const SMFIR_TEMPFAIL: u8 = b't';
/// Reply with this SMTP code and text.
pub const SMFIR_REPLYCODE: u8 = b'y';

// Action flags (what the filter may do).
/// May add header fields.
pub const SMFIF_ADDHDRS: u32 = 0x01;
/// May replace the body.
pub const SMFIF_CHGBODY: u32 = 0x02;
/// May add recipients.
pub const SMFIF_ADDRCPT: u32 = 0x04;
/// May delete recipients.
pub const SMFIF_DELRCPT: u32 = 0x08;
/// May change or delete header fields.
pub const SMFIF_CHGHDRS: u32 = 0x10;
/// May quarantine the message.
pub const SMFIF_QUARANTINE: u32 = 0x20;
/// May change the envelope sender.
pub const SMFIF_CHGFROM: u32 = 0x40;
/// May add recipients with ESMTP arguments.
pub const SMFIF_ADDRCPT_PAR: u32 = 0x80;
/// May set the list of macros.
pub const SMFIF_SETSYMLIST: u32 = 0x100;

// Protocol flags (steps the filter does not want, replies it will not send).
/// Do not send connect information.
pub const SMFIP_NOCONNECT: u32 = 0x01;
/// Do not send HELO.
pub const SMFIP_NOHELO: u32 = 0x02;
/// Do not send MAIL FROM.
pub const SMFIP_NOMAIL: u32 = 0x04;
/// Do not send RCPT TO.
pub const SMFIP_NORCPT: u32 = 0x08;
/// Do not send the body.
pub const SMFIP_NOBODY: u32 = 0x10;
/// Do not send headers.
pub const SMFIP_NOHDRS: u32 = 0x20;
/// Do not send end of headers.
pub const SMFIP_NOEOH: u32 = 0x40;
/// No reply to each header.
pub const SMFIP_NR_HDR: u32 = 0x80;
/// Do not send unknown SMTP commands.
pub const SMFIP_NOUNKNOWN: u32 = 0x100;
/// Do not send DATA.
pub const SMFIP_NODATA: u32 = 0x200;
/// The MTA understands `SMFIR_SKIP`.
pub const SMFIP_SKIP: u32 = 0x400;
/// Also send rejected recipients.
pub const SMFIP_RCPT_REJ: u32 = 0x800;
/// No reply to connect.
pub const SMFIP_NR_CONN: u32 = 0x1000;
/// No reply to HELO.
pub const SMFIP_NR_HELO: u32 = 0x2000;
/// No reply to MAIL.
pub const SMFIP_NR_MAIL: u32 = 0x4000;
/// No reply to RCPT.
pub const SMFIP_NR_RCPT: u32 = 0x8000;
/// No reply to DATA.
pub const SMFIP_NR_DATA: u32 = 0x1_0000;
/// No reply to unknown commands.
pub const SMFIP_NR_UNKN: u32 = 0x2_0000;
/// No reply to end of headers.
pub const SMFIP_NR_EOH: u32 = 0x4_0000;
/// No reply to body chunks.
pub const SMFIP_NR_BODY: u32 = 0x8_0000;
/// Header values keep their leading space.
pub const SMFIP_HDR_LEADSPC: u32 = 0x10_0000;
/// Body chunks may be up to 256 KiB.
pub const SMFIP_MDS_256K: u32 = 0x1000_0000;
/// Body chunks may be up to 1 MiB.
pub const SMFIP_MDS_1M: u32 = 0x2000_0000;

/// Why bytes could not be read as a frame or a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// Not enough bytes yet for a whole frame.
    #[error("incomplete frame")]
    Incomplete,
    /// The length prefix is larger than [`MAX_FRAME_LEN`] (or the configured limit).
    #[error("frame of {len} bytes is over the limit of {max}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// Limit in force.
        max: usize,
    },
    /// A frame of length 0 has no command byte.
    #[error("empty frame")]
    Empty,
    /// The command byte is not one this side knows.
    #[error("unknown command {0:#04x}")]
    UnknownCommand(u8),
    /// The data does not have the shape the command requires.
    #[error("malformed {command} frame: {why}")]
    Malformed {
        /// Command name.
        command: &'static str,
        /// What was wrong.
        why: &'static str,
    },
}

/// One frame: a command (or reply) byte and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Command or reply byte.
    pub code: u8,
    /// Data after the code byte.
    pub data: Bytes,
}

impl Frame {
    /// Checks whether `src` holds a whole frame of at most `max` bytes, without consuming
    /// or allocating. On success the cursor is left after the frame.
    pub fn check(src: &mut Cursor<&[u8]>, max: usize) -> Result<(), CodecError> {
        if src.remaining() < MILTER_LEN_BYTES {
            return Err(CodecError::Incomplete);
        }
        let len = src.get_u32() as usize;
        if len == 0 {
            return Err(CodecError::Empty);
        }
        if len > max {
            return Err(CodecError::TooLarge { len, max });
        }
        if src.remaining() < len {
            return Err(CodecError::Incomplete);
        }
        src.advance(len);
        Ok(())
    }

    /// Takes one frame from the front of `buf` if a whole one is there: `Ok(None)` when more
    /// bytes are needed.
    pub fn parse(buf: &mut BytesMut, max: usize) -> Result<Option<Frame>, CodecError> {
        let mut cur = Cursor::new(&buf[..]);
        match Frame::check(&mut cur, max) {
            Ok(()) => {
                let total = cur.position() as usize;
                let mut frame = buf.split_to(total);
                frame.advance(MILTER_LEN_BYTES);
                let code = frame.get_u8();
                Ok(Some(Frame {
                    code,
                    data: frame.freeze(),
                }))
            }
            Err(CodecError::Incomplete) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Appends the encoded frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        encode_raw(self.code, &self.data, dst);
    }
}

fn encode_raw(code: u8, data: &[u8], dst: &mut BytesMut) {
    dst.reserve(MILTER_LEN_BYTES + 1 + data.len());
    dst.put_u32((data.len() + 1) as u32);
    dst.put_u8(code);
    dst.put_slice(data);
}

/// A command sent by the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `SMFIC_OPTNEG`: the MTA's version, the actions it allows and the protocol steps it
    /// can leave out.
    OptNeg {
        /// Protocol version.
        version: u32,
        /// `SMFIF_*` flags.
        actions: u32,
        /// `SMFIP_*` flags.
        protocol: u32,
    },
    /// `SMFIC_MACRO`: macro values for the command `stage`.
    Macro {
        /// The command these macros belong to (`b'C'`, `b'M'`...).
        stage: u8,
        /// Name/value pairs (names as sent: `i`, `{mail_addr}`).
        pairs: Vec<(Bytes, Bytes)>,
    },
    /// `SMFIC_CONNECT`.
    Connect {
        /// Client host name.
        hostname: Bytes,
        /// Address family: `b'4'`, `b'6'`, `b'L'` (unix) or `b'U'` (unknown).
        family: u8,
        /// Client port (0 when absent).
        port: u16,
        /// Client address (empty when absent).
        address: Bytes,
    },
    /// `SMFIC_HELO`.
    Helo(Bytes),
    /// `SMFIC_MAIL`: the sender then ESMTP arguments.
    Mail(Vec<Bytes>),
    /// `SMFIC_RCPT`: the recipient then ESMTP arguments.
    Rcpt(Vec<Bytes>),
    /// `SMFIC_DATA`.
    Data,
    /// `SMFIC_HEADER`.
    Header {
        /// Field name.
        name: Bytes,
        /// Field value (folded lines joined by `\n` followed by white space).
        value: Bytes,
    },
    /// `SMFIC_EOH`.
    Eoh,
    /// `SMFIC_BODY`: one body chunk.
    Body(Bytes),
    /// `SMFIC_BODYEOB`: end of message (may carry a last chunk).
    BodyEob(Bytes),
    /// `SMFIC_ABORT`.
    Abort,
    /// `SMFIC_QUIT`.
    Quit,
    /// `SMFIC_QUIT_NC`.
    QuitNc,
    /// `SMFIC_UNKNOWN`: an SMTP command the MTA did not know.
    Unknown(Bytes),
}

/// Splits NUL-terminated strings; a missing final NUL is tolerated for the last one.
fn split_nul(data: &[u8]) -> Vec<Bytes> {
    let mut data = data;
    if data.last() == Some(&0) {
        data = &data[..data.len() - 1];
    }
    if data.is_empty() {
        return Vec::new();
    }
    data.split(|&b| b == 0)
        .map(Bytes::copy_from_slice)
        .collect()
}

fn one_string(data: &Bytes) -> Bytes {
    let end = memchr::memchr(0, data).unwrap_or(data.len());
    data.slice(..end)
}

fn put_cstr(dst: &mut BytesMut, s: &[u8]) {
    dst.put_slice(s);
    dst.put_u8(0);
}

impl Command {
    /// The command's name in `mfdef.h`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::OptNeg { .. } => "SMFIC_OPTNEG",
            Command::Macro { .. } => "SMFIC_MACRO",
            Command::Connect { .. } => "SMFIC_CONNECT",
            Command::Helo(_) => "SMFIC_HELO",
            Command::Mail(_) => "SMFIC_MAIL",
            Command::Rcpt(_) => "SMFIC_RCPT",
            Command::Data => "SMFIC_DATA",
            Command::Header { .. } => "SMFIC_HEADER",
            Command::Eoh => "SMFIC_EOH",
            Command::Body(_) => "SMFIC_BODY",
            Command::BodyEob(_) => "SMFIC_BODYEOB",
            Command::Abort => "SMFIC_ABORT",
            Command::Quit => "SMFIC_QUIT",
            Command::QuitNc => "SMFIC_QUIT_NC",
            Command::Unknown(_) => "SMFIC_UNKNOWN",
        }
    }

    /// Reads a command from a frame.
    pub fn from_frame(frame: Frame) -> Result<Command, CodecError> {
        let data = frame.data;
        Ok(match frame.code {
            SMFIC_OPTNEG => {
                if data.len() < 12 {
                    return Err(CodecError::Malformed {
                        command: "SMFIC_OPTNEG",
                        why: "shorter than 12 bytes",
                    });
                }
                let mut d = &data[..];
                Command::OptNeg {
                    version: d.get_u32(),
                    actions: d.get_u32(),
                    protocol: d.get_u32(),
                }
            }
            SMFIC_MACRO => {
                let Some((&stage, rest)) = data.split_first() else {
                    return Err(CodecError::Malformed {
                        command: "SMFIC_MACRO",
                        why: "no stage byte",
                    });
                };
                let strings = split_nul(rest);
                let pairs = strings
                    .chunks(2)
                    .map(|c| (c[0].clone(), c.get(1).cloned().unwrap_or_default()))
                    .collect();
                Command::Macro { stage, pairs }
            }
            SMFIC_CONNECT => {
                let end = memchr::memchr(0, &data).ok_or(CodecError::Malformed {
                    command: "SMFIC_CONNECT",
                    why: "host name not terminated",
                })?;
                let hostname = data.slice(..end);
                let rest = data.slice(end + 1..);
                let Some(&family) = rest.first() else {
                    return Err(CodecError::Malformed {
                        command: "SMFIC_CONNECT",
                        why: "no address family",
                    });
                };
                if family == b'U' || rest.len() < 3 {
                    Command::Connect {
                        hostname,
                        family,
                        port: 0,
                        address: Bytes::new(),
                    }
                } else {
                    let port = u16::from_be_bytes([rest[1], rest[2]]);
                    Command::Connect {
                        hostname,
                        family,
                        port,
                        address: one_string(&rest.slice(3..)),
                    }
                }
            }
            SMFIC_HELO => Command::Helo(one_string(&data)),
            SMFIC_MAIL => Command::Mail(split_nul(&data)),
            SMFIC_RCPT => Command::Rcpt(split_nul(&data)),
            SMFIC_DATA => Command::Data,
            SMFIC_HEADER => {
                let end = memchr::memchr(0, &data).ok_or(CodecError::Malformed {
                    command: "SMFIC_HEADER",
                    why: "name not terminated",
                })?;
                Command::Header {
                    name: data.slice(..end),
                    value: one_string(&data.slice(end + 1..)),
                }
            }
            SMFIC_EOH => Command::Eoh,
            SMFIC_BODY => Command::Body(data),
            SMFIC_BODYEOB => Command::BodyEob(data),
            SMFIC_ABORT => Command::Abort,
            SMFIC_QUIT => Command::Quit,
            SMFIC_QUIT_NC => Command::QuitNc,
            SMFIC_UNKNOWN => Command::Unknown(one_string(&data)),
            other => return Err(CodecError::UnknownCommand(other)),
        })
    }

    /// Appends the command as a frame to `dst` (the MTA side; used by tests and tools).
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut d = BytesMut::new();
        let code = match self {
            Command::OptNeg {
                version,
                actions,
                protocol,
            } => {
                d.put_u32(*version);
                d.put_u32(*actions);
                d.put_u32(*protocol);
                SMFIC_OPTNEG
            }
            Command::Macro { stage, pairs } => {
                d.put_u8(*stage);
                for (n, v) in pairs {
                    put_cstr(&mut d, n);
                    put_cstr(&mut d, v);
                }
                SMFIC_MACRO
            }
            Command::Connect {
                hostname,
                family,
                port,
                address,
            } => {
                put_cstr(&mut d, hostname);
                d.put_u8(*family);
                if *family != b'U' {
                    d.put_u16(*port);
                    put_cstr(&mut d, address);
                }
                SMFIC_CONNECT
            }
            Command::Helo(h) => {
                put_cstr(&mut d, h);
                SMFIC_HELO
            }
            Command::Mail(args) | Command::Rcpt(args) => {
                for a in args {
                    put_cstr(&mut d, a);
                }
                if matches!(self, Command::Mail(_)) {
                    SMFIC_MAIL
                } else {
                    SMFIC_RCPT
                }
            }
            Command::Data => SMFIC_DATA,
            Command::Header { name, value } => {
                put_cstr(&mut d, name);
                put_cstr(&mut d, value);
                SMFIC_HEADER
            }
            Command::Eoh => SMFIC_EOH,
            Command::Body(b) => {
                d.put_slice(b);
                SMFIC_BODY
            }
            Command::BodyEob(b) => {
                d.put_slice(b);
                SMFIC_BODYEOB
            }
            Command::Abort => SMFIC_ABORT,
            Command::Quit => SMFIC_QUIT,
            Command::QuitNc => SMFIC_QUIT_NC,
            Command::Unknown(u) => {
                put_cstr(&mut d, u);
                SMFIC_UNKNOWN
            }
        };
        encode_raw(code, &d, dst);
    }
}

/// A reply sent by the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `SMFIC_OPTNEG` answer: the version, actions and protocol flags the filter uses.
    OptNeg {
        /// Protocol version.
        version: u32,
        /// `SMFIF_*` flags requested.
        actions: u32,
        /// `SMFIP_*` flags requested.
        protocol: u32,
    },
    /// `SMFIR_CONTINUE`.
    Continue,
    /// `SMFIR_ACCEPT`.
    Accept,
    /// `SMFIR_TEMPFAIL`.
    TempFail,
    /// `SMFIR_REJECT`.
    Reject,
    /// `SMFIR_DISCARD`.
    Discard,
    /// `SMFIR_PROGRESS`.
    Progress,
    /// `SMFIR_REPLYCODE`: `"452 4.3.4 text"`.
    ReplyCode(Bytes),
    /// `SMFIR_ADDHEADER`.
    AddHeader {
        /// Field name.
        name: Bytes,
        /// Value (multi-line values use `\n` followed by white space).
        value: Bytes,
    },
    /// `SMFIR_INSHEADER` at 0-based position `index`.
    InsHeader {
        /// Position.
        index: u32,
        /// Field name.
        name: Bytes,
        /// Value.
        value: Bytes,
    },
    /// `SMFIR_CHGHEADER` of the `index`-th (1-based) field called `name`; an empty value
    /// deletes it.
    ChgHeader {
        /// Occurrence, 1-based.
        index: u32,
        /// Field name.
        name: Bytes,
        /// New value, empty to delete.
        value: Bytes,
    },
    /// `SMFIR_REPLBODY`: one chunk of the new body.
    ReplBody(Bytes),
    /// `SMFIR_QUARANTINE` with a reason.
    Quarantine(Bytes),
}

impl Response {
    /// The reply's name in `mfdef.h`.
    pub fn name(&self) -> &'static str {
        match self {
            Response::OptNeg { .. } => "SMFIC_OPTNEG",
            Response::Continue => "SMFIR_CONTINUE",
            Response::Accept => "SMFIR_ACCEPT",
            Response::TempFail => "SMFIR_TEMPFAIL",
            Response::Reject => "SMFIR_REJECT",
            Response::Discard => "SMFIR_DISCARD",
            Response::Progress => "SMFIR_PROGRESS",
            Response::ReplyCode(_) => "SMFIR_REPLYCODE",
            Response::AddHeader { .. } => "SMFIR_ADDHEADER",
            Response::InsHeader { .. } => "SMFIR_INSHEADER",
            Response::ChgHeader { .. } => "SMFIR_CHGHEADER",
            Response::ReplBody(_) => "SMFIR_REPLBODY",
            Response::Quarantine(_) => "SMFIR_QUARANTINE",
        }
    }

    /// Appends the reply as a frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut d = BytesMut::new();
        let code = match self {
            Response::OptNeg {
                version,
                actions,
                protocol,
            } => {
                d.put_u32(*version);
                d.put_u32(*actions);
                d.put_u32(*protocol);
                SMFIC_OPTNEG
            }
            Response::Continue => SMFIR_CONTINUE,
            Response::Accept => SMFIR_ACCEPT,
            Response::TempFail => SMFIR_TEMPFAIL,
            Response::Reject => SMFIR_REJECT,
            Response::Discard => SMFIR_DISCARD,
            Response::Progress => SMFIR_PROGRESS,
            Response::ReplyCode(text) => {
                put_cstr(&mut d, text);
                SMFIR_REPLYCODE
            }
            Response::AddHeader { name, value } => {
                put_cstr(&mut d, name);
                put_cstr(&mut d, value);
                SMFIR_ADDHEADER
            }
            Response::InsHeader { index, name, value } => {
                d.put_u32(*index);
                put_cstr(&mut d, name);
                put_cstr(&mut d, value);
                SMFIR_INSHEADER
            }
            Response::ChgHeader { index, name, value } => {
                d.put_u32(*index);
                put_cstr(&mut d, name);
                put_cstr(&mut d, value);
                SMFIR_CHGHEADER
            }
            Response::ReplBody(b) => {
                // Large bodies are split by the caller; a frame never carries more than
                // the MTA accepts.
                d.put_slice(b);
                SMFIR_REPLBODY
            }
            Response::Quarantine(reason) => {
                put_cstr(&mut d, reason);
                SMFIR_QUARANTINE
            }
        };
        encode_raw(code, &d, dst);
    }

    /// Reads a reply from a frame (the MTA side; used by tests and tools).
    pub fn from_frame(frame: Frame) -> Result<Response, CodecError> {
        let data = frame.data;
        let malformed = |command, why| CodecError::Malformed { command, why };
        let name_value = |data: &Bytes, command| -> Result<(Bytes, Bytes), CodecError> {
            let end = memchr::memchr(0, data).ok_or(malformed(command, "name not terminated"))?;
            Ok((data.slice(..end), one_string(&data.slice(end + 1..))))
        };
        Ok(match frame.code {
            SMFIC_OPTNEG => {
                if data.len() < 12 {
                    return Err(malformed("SMFIC_OPTNEG", "shorter than 12 bytes"));
                }
                let mut d = &data[..];
                Response::OptNeg {
                    version: d.get_u32(),
                    actions: d.get_u32(),
                    protocol: d.get_u32(),
                }
            }
            SMFIR_CONTINUE => Response::Continue,
            SMFIR_ACCEPT => Response::Accept,
            SMFIR_TEMPFAIL => Response::TempFail,
            SMFIR_REJECT => Response::Reject,
            SMFIR_DISCARD => Response::Discard,
            SMFIR_PROGRESS => Response::Progress,
            SMFIR_REPLYCODE => Response::ReplyCode(one_string(&data)),
            SMFIR_ADDHEADER => {
                let (name, value) = name_value(&data, "SMFIR_ADDHEADER")?;
                Response::AddHeader { name, value }
            }
            SMFIR_INSHEADER | SMFIR_CHGHEADER => {
                if data.len() < 4 {
                    return Err(malformed("SMFIR_CHGHEADER", "no index"));
                }
                let index = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
                let (name, value) = name_value(&data.slice(4..), "SMFIR_CHGHEADER")?;
                if frame.code == SMFIR_INSHEADER {
                    Response::InsHeader { index, name, value }
                } else {
                    Response::ChgHeader { index, name, value }
                }
            }
            SMFIR_REPLBODY => Response::ReplBody(data),
            SMFIR_QUARANTINE => Response::Quarantine(one_string(&data)),
            other => return Err(CodecError::UnknownCommand(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roundtrip_cmd(cmd: &Command) -> Command {
        let mut buf = BytesMut::new();
        cmd.encode(&mut buf);
        let frame = Frame::parse(&mut buf, MAX_FRAME_LEN).unwrap().unwrap();
        assert!(buf.is_empty());
        Command::from_frame(frame).unwrap()
    }

    #[test]
    fn optneg_layout_is_big_endian() {
        let mut buf = BytesMut::new();
        Response::OptNeg {
            version: 6,
            actions: SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
            protocol: SMFIP_NOCONNECT,
        }
        .encode(&mut buf);
        assert_eq!(
            &buf[..],
            &[0, 0, 0, 13, b'O', 0, 0, 0, 6, 0, 0, 0, 0x13, 0, 0, 0, 1]
        );
    }

    #[test]
    fn incomplete_frames_wait_for_more() {
        let mut buf = BytesMut::new();
        Command::Header {
            name: Bytes::from_static(b"Subject"),
            value: Bytes::from_static(b"hi"),
        }
        .encode(&mut buf);
        let full = buf.clone();
        for cut in 0..full.len() {
            let mut part = BytesMut::from(&full[..cut]);
            assert_eq!(Frame::parse(&mut part, MAX_FRAME_LEN), Ok(None));
            assert_eq!(part.len(), cut, "nothing consumed");
        }
    }

    #[test]
    fn oversized_and_empty_frames_are_errors() {
        let mut buf = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff, b'B'][..]);
        assert!(matches!(
            Frame::parse(&mut buf, MAX_FRAME_LEN),
            Err(CodecError::TooLarge { .. })
        ));
        let mut buf = BytesMut::from(&[0, 0, 0, 0][..]);
        assert_eq!(
            Frame::parse(&mut buf, MAX_FRAME_LEN),
            Err(CodecError::Empty)
        );
    }

    #[test]
    fn unknown_and_malformed_commands() {
        let f = Frame {
            code: b'Z',
            data: Bytes::new(),
        };
        assert_eq!(
            Command::from_frame(f),
            Err(CodecError::UnknownCommand(b'Z'))
        );
        let f = Frame {
            code: SMFIC_OPTNEG,
            data: Bytes::from_static(&[0, 0, 0, 6]),
        };
        assert!(matches!(
            Command::from_frame(f),
            Err(CodecError::Malformed { .. })
        ));
        let f = Frame {
            code: SMFIC_HEADER,
            data: Bytes::from_static(b"Subject"),
        };
        assert!(Command::from_frame(f).is_err());
    }

    #[test]
    fn connect_unknown_family_has_no_port() {
        let c = Command::Connect {
            hostname: Bytes::from_static(b"localhost"),
            family: b'U',
            port: 0,
            address: Bytes::new(),
        };
        assert_eq!(roundtrip_cmd(&c), c);
    }

    #[test]
    fn macro_with_odd_count_keeps_name() {
        let f = Frame {
            code: SMFIC_MACRO,
            data: Bytes::from_static(b"Mi\0ABC\0{mail_addr}"),
        };
        let Command::Macro { stage, pairs } = Command::from_frame(f).unwrap() else {
            panic!()
        };
        assert_eq!(stage, b'M');
        assert_eq!(pairs.len(), 2);
        assert_eq!(&pairs[1].0[..], b"{mail_addr}");
        assert!(pairs[1].1.is_empty());
    }

    fn cstr() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(1u8..=255, 0..40).prop_map(Bytes::from)
    }
    fn nonempty_cstr() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(1u8..=255, 1..40).prop_map(Bytes::from)
    }
    fn raw() -> impl Strategy<Value = Bytes> {
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Bytes::from)
    }

    fn command() -> impl Strategy<Value = Command> {
        prop_oneof![
            (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(version, actions, protocol)| {
                Command::OptNeg {
                    version,
                    actions,
                    protocol,
                }
            }),
            (
                any::<u8>(),
                proptest::collection::vec((nonempty_cstr(), cstr()), 0..5)
            )
                .prop_map(|(stage, pairs)| Command::Macro { stage, pairs }),
            (
                cstr(),
                prop_oneof![Just(b'4'), Just(b'6'), Just(b'L')],
                any::<u16>(),
                cstr()
            )
                .prop_map(|(hostname, family, port, address)| Command::Connect {
                    hostname,
                    family,
                    port,
                    address
                }),
            cstr().prop_map(Command::Helo),
            proptest::collection::vec(nonempty_cstr(), 1..4).prop_map(Command::Mail),
            proptest::collection::vec(nonempty_cstr(), 1..4).prop_map(Command::Rcpt),
            Just(Command::Data),
            (cstr(), cstr()).prop_map(|(name, value)| Command::Header { name, value }),
            Just(Command::Eoh),
            raw().prop_map(Command::Body),
            raw().prop_map(Command::BodyEob),
            Just(Command::Abort),
            Just(Command::Quit),
            Just(Command::QuitNc),
            cstr().prop_map(Command::Unknown),
        ]
    }

    fn response() -> impl Strategy<Value = Response> {
        prop_oneof![
            (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(version, actions, protocol)| {
                Response::OptNeg {
                    version,
                    actions,
                    protocol,
                }
            }),
            Just(Response::Continue),
            Just(Response::Accept),
            Just(Response::TempFail),
            Just(Response::Reject),
            Just(Response::Discard),
            Just(Response::Progress),
            cstr().prop_map(Response::ReplyCode),
            (cstr(), cstr()).prop_map(|(name, value)| Response::AddHeader { name, value }),
            (any::<u32>(), cstr(), cstr()).prop_map(|(index, name, value)| Response::InsHeader {
                index,
                name,
                value
            }),
            (any::<u32>(), cstr(), cstr()).prop_map(|(index, name, value)| Response::ChgHeader {
                index,
                name,
                value
            }),
            raw().prop_map(Response::ReplBody),
            cstr().prop_map(Response::Quarantine),
        ]
    }

    /// Encodes `items` one after the other, then parses them back with `decode`: each must
    /// come back equal, and nothing may be left over.
    fn round_trip<T: PartialEq + std::fmt::Debug>(
        items: &[T],
        encode: impl Fn(&T, &mut BytesMut),
        decode: impl Fn(Frame) -> Result<T, CodecError>,
    ) -> Result<(), TestCaseError> {
        let mut buf = BytesMut::new();
        for item in items {
            encode(item, &mut buf);
        }
        for item in items {
            let frame = Frame::parse(&mut buf, MAX_FRAME_LEN).unwrap().unwrap();
            prop_assert_eq!(&decode(frame).unwrap(), item);
        }
        prop_assert!(buf.is_empty());
        Ok(())
    }

    proptest! {
        #[test]
        fn commands_round_trip(cmds in proptest::collection::vec(command(), 1..8)) {
            round_trip(&cmds, Command::encode, Command::from_frame)?;
        }

        #[test]
        fn responses_round_trip(rs in proptest::collection::vec(response(), 1..8)) {
            round_trip(&rs, Response::encode, Response::from_frame)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_codec(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut buf = BytesMut::from(&bytes[..]);
            while let Ok(Some(frame)) = Frame::parse(&mut buf, 256) {
                let _ = Command::from_frame(frame.clone());
                let _ = Response::from_frame(frame);
            }
        }
    }
}
