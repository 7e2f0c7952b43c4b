//! mbox reading and writing.
//!
//! # Reading
//!
//! [`Splitter`] walks a byte slice (typically a memory map of the whole file, see
//! [`MappedFile`]) and yields one [`MboxMessage`] per message, borrowing from the slice: no
//! message is copied unless it has escaped `From ` lines to undo ([`MboxMessage::unescaped`]).
//!
//! A separator is a line that starts with `From `, stands at the start of the file or after
//! an empty line, and looks like a postmark (it carries a time such as `12:08`): this keeps
//! the unescaped `From the desk of...` lines that mboxo writers leave in bodies from cutting a
//! message in two. Where a writer left out the empty line, a full asctime postmark
//! ([`is_asctime_postmark`]) followed by a header field is accepted too. `Content-Length` headers are ignored (they are wrong as often as not).
//! Line endings may be LF or CRLF; the empty line that writers add after each message is not
//! part of the message; the last message may lack a final newline.
//!
//! Escaped lines are undone per [`MboxVariant`]: mboxrd removes one `>` from every line that
//! matches `>+From `; mboxo removes it only from `>From `.
//!
//! # Writing
//!
//! [`MboxWriter`] writes mboxrd: every line matching `>*From ` gets one more `>`, each
//! message ends with a newline and is followed by an empty line.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use memchr::memmem;

/// How `From ` lines inside messages were escaped by the writer of an mbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MboxVariant {
    /// `From ` became `>From `; `>From ` was left alone (ambiguous, the classic format).
    Mboxo,
    /// Every `>*From ` line got one more `>` (reversible; the default).
    #[default]
    Mboxrd,
}

impl std::str::FromStr for MboxVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mboxo" => Ok(MboxVariant::Mboxo),
            "mboxrd" => Ok(MboxVariant::Mboxrd),
            other => Err(format!("unknown mbox variant `{other}` (mboxo, mboxrd)")),
        }
    }
}

/// One message found in an mbox, borrowed from the mbox bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MboxMessage<'a> {
    /// Position among the messages of the file, from 0.
    pub index: usize,
    /// Byte offset of the separator line (or of the message, when it has none) in the file.
    pub offset: u64,
    /// The `From ` separator line without its line ending; empty for data before the first
    /// separator of a file that does not start with one.
    pub separator: &'a [u8],
    /// The message as stored (still escaped), without the separator and without the empty
    /// line that follows each message.
    pub raw: &'a [u8],
}

impl<'a> MboxMessage<'a> {
    /// The message with escaped `From ` lines undone for `variant`. Borrowed when nothing
    /// had to be undone.
    pub fn unescaped(&self, variant: MboxVariant) -> Cow<'a, [u8]> {
        unescape(self.raw, variant)
    }
}

/// Undoes the `From ` escaping of `raw` for `variant`.
pub fn unescape(raw: &[u8], variant: MboxVariant) -> Cow<'_, [u8]> {
    if memmem::find(raw, b">From ").is_none() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut changed = false;
    for line in lines(raw) {
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        let escaped = quotes >= 1
            && line[quotes..].starts_with(b"From ")
            && (variant == MboxVariant::Mboxrd || quotes == 1);
        if escaped {
            out.extend_from_slice(&line[1..]);
            changed = true;
        } else {
            out.extend_from_slice(line);
        }
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Lines of `data`, each with its line ending (the last one may have none).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(line)
    })
}

/// Whether `line` (starting with `From `, without its ending) looks like an mbox postmark:
/// `From SENDER DATE`, where the date carries a time (`H:MM` or `HH:MM`).
pub fn looks_like_postmark(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    if rest.is_empty() || !rest.contains(&b' ') {
        return false;
    }
    rest.windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    })
}

/// Whether `line` is a strict postmark: `From SENDER Www Mmm dd hh:mm[:ss] yyyy[ ...]`.
pub fn is_asctime_postmark(line: &[u8]) -> bool {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let t: Vec<&[u8]> = rest
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    t.len() >= 6
        && DAYS.contains(&t[1])
        && MONTHS.contains(&t[2])
        && t[3].len() <= 2
        && t[3].iter().all(u8::is_ascii_digit)
        && (t[4].len() == 5 || t[4].len() == 8)
        && t[4].iter().all(|b| b.is_ascii_digit() || *b == b':')
        && t[5].len() == 4
        && t[5].iter().all(u8::is_ascii_digit)
}

/// Whether `data` starts with a header field (`Name:` with a printable name).
fn starts_with_header_field(data: &[u8]) -> bool {
    let name_len = data
        .iter()
        .take_while(|&&b| b.is_ascii_graphic() && b != b':')
        .count();
    name_len > 0 && data.get(name_len) == Some(&b':')
}

/// Whether `data` starts like an mbox: a `From ` line (after optional blank lines).
pub fn starts_like_mbox(data: &[u8]) -> bool {
    let trimmed = data.trim_ascii_start();
    trimmed.starts_with(b"From ")
}

/// Iterator over the messages of an mbox held in memory or memory-mapped.
#[derive(Debug, Clone)]
pub struct Splitter<'a> {
    data: &'a [u8],
    pos: usize,
    index: usize,
}

impl<'a> Splitter<'a> {
    /// Splits `data`, the whole content of an mbox file.
    pub fn new(data: &'a [u8]) -> Self {
        Splitter {
            data,
            pos: 0,
            index: 0,
        }
    }

    /// Splits `data` from `offset`, which must be the start of a message's separator line
    /// (an offset recorded from [`MboxMessage::offset`]); the first message yielded gets
    /// index `index`.
    pub fn starting_at(data: &'a [u8], offset: u64, index: usize) -> Self {
        Splitter {
            data,
            pos: (offset as usize).min(data.len()),
            index,
        }
    }

    /// Byte offset up to which the data has been consumed.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// Offset of the next separator line at or after `from` (a line start), or the end.
    fn next_separator(&self, from: usize) -> usize {
        let data = self.data;
        let finder = memmem::Finder::new(b"\nFrom ");
        let mut search = from.saturating_sub(1);
        while let Some(hit) = finder.find(&data[search..]) {
            let nl = search + hit;
            let line_start = nl + 1;
            search = line_start;
            if line_start < from {
                continue;
            }
            // The line before must be empty: "\n\n" or "\n\r\n" before the line start.
            let blank_before = (nl >= 1 && data[nl - 1] == b'\n')
                || (nl >= 2 && data[nl - 1] == b'\r' && data[nl - 2] == b'\n');
            let line_end =
                memchr::memchr(b'\n', &data[line_start..]).map_or(data.len(), |i| line_start + i);
            let line = trim_eol(&data[line_start..line_end]);
            if blank_before {
                if looks_like_postmark(line) {
                    return line_start;
                }
            } else if is_asctime_postmark(line)
                && starts_with_header_field(data.get(line_end + 1..).unwrap_or(&[]))
            {
                // Some writers leave out the empty line: accept a full asctime postmark
                // followed by a header field.
                return line_start;
            }
        }
        data.len()
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<'a> Iterator for Splitter<'a> {
    type Item = MboxMessage<'a>;

    fn next(&mut self) -> Option<MboxMessage<'a>> {
        let data = self.data;
        loop {
            if self.pos >= data.len() {
                return None;
            }
            let start = self.pos;
            let (separator, body_start) = if data[start..].starts_with(b"From ") {
                let end =
                    memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
                (trim_eol(&data[start..end]), end)
            } else {
                (&data[start..start], start)
            };
            let end = self.next_separator(body_start);
            self.pos = end;
            let mut raw = &data[body_start..end];
            if raw.ends_with(b"\r\n\r\n") {
                raw = &raw[..raw.len() - 2];
            } else if raw.ends_with(b"\n\n") || raw == b"\n" {
                raw = &raw[..raw.len() - 1];
            } else if raw == b"\r\n" {
                raw = &raw[..0];
            }
            if separator.is_empty() && raw.trim_ascii().is_empty() {
                // Blank lines before the first separator: nothing to lose.
                continue;
            }
            let msg = MboxMessage {
                index: self.index,
                offset: start as u64,
                separator,
                raw,
            };
            self.index += 1;
            return Some(msg);
        }
    }
}

/// A read-only file held as one byte slice: memory-mapped, or empty.
///
/// The file must not be modified while it is mapped (the batch tool refuses to write over
/// its input; other writers are the administrator's business).
#[derive(Debug)]
pub struct MappedFile {
    map: Option<memmap2::Mmap>,
}

impl MappedFile {
    /// Maps `path` read-only.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            return Ok(MappedFile { map: None });
        }
        // SAFETY: the mapping is read-only; the batch tool never writes its input, and a
        // concurrent writer truncating the file is documented as unsupported.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        #[cfg(unix)]
        {
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        Ok(MappedFile { map: Some(map) })
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Tells the kernel that `[0, upto)` will not be read again, so that its pages leave
    /// this process's resident set (they stay in the page cache). A hint; errors are ignored.
    pub fn release_before(&self, upto: u64) {
        #[cfg(unix)]
        if let Some(map) = &self.map {
            let page = 4096usize;
            let len = (upto as usize).min(map.len()) / page * page;
            if len > 0 {
                // SAFETY: the map is a read-only shared file mapping: dropping its pages only
                // means they are read from the file again if touched.
                unsafe {
                    let _ = map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len);
                }
            }
        }
        #[cfg(not(unix))]
        let _ = upto;
    }
}

/// Writes messages as mboxrd.
#[derive(Debug)]
pub struct MboxWriter<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> MboxWriter<W> {
    /// Writes to `inner`; `already_written` is the length of what is already there (for
    /// [`MboxWriter::position`]).
    pub fn new(inner: W, already_written: u64) -> Self {
        MboxWriter {
            inner,
            written: already_written,
        }
    }

    /// Bytes written so far (including `already_written`).
    pub fn position(&self) -> u64 {
        self.written
    }

    /// Appends one message. `separator` is the `From ` line to use (without line ending);
    /// when it is empty or not a `From ` line, a `From MAILER-DAEMON <now>` line is written.
    /// Lines matching `>*From ` are escaped with one more `>`.
    pub fn write_message(&mut self, separator: &[u8], message: &[u8]) -> io::Result<()> {
        let crlf = message.ends_with(b"\r\n");
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut out = Vec::with_capacity(message.len() + 128);
        if separator.starts_with(b"From ") && !separator.contains(&b'\n') {
            out.extend_from_slice(separator);
        } else {
            out.extend_from_slice(postmark_now().as_bytes());
        }
        out.extend_from_slice(eol);
        for line in lines(message) {
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            if line[quotes..].starts_with(b"From ") {
                out.push(b'>');
            }
            out.extend_from_slice(line);
        }
        if !message.is_empty() && !message.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(eol);
        self.inner.write_all(&out)?;
        self.written += out.len() as u64;
        Ok(())
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The underlying writer, by reference.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

/// A `From MAILER-DAEMON Www Mmm dd hh:mm:ss yyyy` postmark for the current time (UTC).
pub fn postmark_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("From MAILER-DAEMON {}", asctime(secs))
}

/// `secs` since the epoch as an asctime date (`Thu Jan  1 00:00:00 1970`), UTC.
pub fn asctime(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        DAYS[(days.rem_euclid(7)) as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        Splitter::new(data)
            .map(|m| {
                (
                    m.separator.to_vec(),
                    m.unescaped(MboxVariant::Mboxrd).into_owned(),
                )
            })
            .collect()
    }

    const PM: &str = "From alice@example.jp Mon Jan  2 03:04:05 2023";

    #[test]
    fn two_messages_lf() {
        let data = format!("{PM}\nSubject: a\n\nbody a\n\n{PM}\nSubject: b\n\nbody b\n\n");
        let msgs = split(data.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].0, PM.as_bytes());
        assert_eq!(msgs[0].1, b"Subject: a\n\nbody a\n");
        assert_eq!(msgs[1].1, b"Subject: b\n\nbody b\n");
    }

    #[test]
    fn offsets_and_indexes() {
        let data = format!("{PM}\nA: 1\n\nx\n\n{PM}\nA: 2\n\ny\n");
        let msgs: Vec<_> = Splitter::new(data.as_bytes()).collect();
        assert_eq!(msgs[0].offset, 0);
        assert_eq!(msgs[1].offset, data.find("\nFrom ").unwrap() as u64 + 1);
        assert_eq!(msgs[1].index, 1);
    }

    #[test]
    fn from_lines_inside_bodies_do_not_split() {
        // Unescaped "From " at a paragraph start (mboxo writers do not always escape), and
        // "From " not after a blank line: neither is a postmark.
        let data = format!(
            "{PM}\nSubject: a\n\nHello\n\nFrom the desk of the mayor\nline\nFrom me to you 12:00\n\n{PM}\nSubject: b\n\nb\n"
        );
        let msgs = split(data.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert!(
            msgs[0]
                .1
                .ends_with(b"From the desk of the mayor\nline\nFrom me to you 12:00\n")
        );
    }

    #[test]
    fn separator_without_blank_line_needs_full_postmark_and_header() {
        let data = format!(
            "{PM}\nSubject: a\n\na\n{PM}\nSubject: b\n\nb\nFrom x Mon Jan  2 03:04:05 2023\nnot a header\n"
        );
        let msgs = split(data.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].1, b"Subject: a\n\na\n");
        assert!(
            msgs[1]
                .1
                .ends_with(b"From x Mon Jan  2 03:04:05 2023\nnot a header\n")
        );
        assert!(is_asctime_postmark(
            b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011"
        ));
        assert!(is_asctime_postmark(b"From a@b Sat Jan  3 01:05 1996 +0900"));
        assert!(!is_asctime_postmark(b"From me to you 12:00"));
    }

    #[test]
    fn mboxrd_unescaping() {
        let data =
            format!("{PM}\nSubject: a\n\n>From here\n>>From there\n>>>From far\n> From not\n");
        let m = Splitter::new(data.as_bytes()).next().unwrap();
        assert_eq!(
            &*m.unescaped(MboxVariant::Mboxrd),
            b"Subject: a\n\nFrom here\n>From there\n>>From far\n> From not\n"
        );
        assert_eq!(
            &*m.unescaped(MboxVariant::Mboxo),
            b"Subject: a\n\nFrom here\n>>From there\n>>>From far\n> From not\n"
        );
    }

    #[test]
    fn unescape_borrows_when_nothing_to_do() {
        assert!(matches!(
            unescape(b"a\nb >From c\n", MboxVariant::Mboxrd),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn last_message_without_trailing_newline() {
        let data = format!("{PM}\nSubject: a\n\na\n\n{PM}\nSubject: b\n\nno newline");
        let msgs = split(data.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].1, b"Subject: b\n\nno newline");
    }

    #[test]
    fn crlf_mbox() {
        let data =
            format!("{PM}\r\nSubject: a\r\n\r\na\r\n\r\n{PM}\r\nSubject: b\r\n\r\n>From b\r\n\r\n");
        let msgs = split(data.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].0, PM.as_bytes());
        assert_eq!(msgs[0].1, b"Subject: a\r\n\r\na\r\n");
        assert_eq!(msgs[1].1, b"Subject: b\r\n\r\nFrom b\r\n");
    }

    #[test]
    fn content_length_is_ignored() {
        let data = format!("{PM}\nContent-Length: 3\n\nabcdef\n\n{PM}\nSubject: b\n\nb\n");
        let msgs = split(data.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].1, b"Content-Length: 3\n\nabcdef\n");
    }

    #[test]
    fn leading_garbage_is_a_message_and_blank_lines_are_not() {
        assert_eq!(split(format!("\n\n{PM}\nA: b\n\nx\n").as_bytes()).len(), 1);
        let msgs = split(format!("junk\n\n{PM}\nA: b\n\nx\n").as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].0, b"");
        assert_eq!(msgs[0].1, b"junk\n");
    }

    #[test]
    fn empty_input_and_empty_message() {
        assert!(split(b"").is_empty());
        let msgs = split(format!("{PM}\n\n{PM}\nA: b\n\nx\n").as_bytes());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].1, b"");
    }

    #[test]
    fn writer_escapes_and_round_trips() {
        let bodies: [&[u8]; 4] = [
            b"Subject: a\n\nFrom here\n>From there\n",
            b"Subject: b\n\nno newline",
            b"Subject: c\n\n\n\nFrom 1 12:00 x\n\n",
            b"",
        ];
        let mut w = MboxWriter::new(Vec::new(), 0);
        for b in bodies {
            w.write_message(PM.as_bytes(), b).unwrap();
        }
        let pos = w.position();
        let out = w.into_inner();
        assert_eq!(pos, out.len() as u64);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("\n>From here\n>>From there\n"), "{text}");
        let back = split(&out);
        assert_eq!(back.len(), bodies.len());
        assert_eq!(back[0].1, bodies[0]);
        assert_eq!(back[1].1, b"Subject: b\n\nno newline\n");
        assert_eq!(back[2].1, bodies[2]);
        assert_eq!(back[3].1, b"");
    }

    #[test]
    fn writer_synthesises_postmark() {
        let mut w = MboxWriter::new(Vec::new(), 0);
        w.write_message(b"", b"A: b\n\nx\n").unwrap();
        let out = w.into_inner();
        assert!(out.starts_with(b"From MAILER-DAEMON "));
        let first = out.split(|&b| b == b'\n').next().unwrap();
        assert!(looks_like_postmark(first));
    }

    #[test]
    fn asctime_known_dates() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_700_000_000), "Tue Nov 14 22:13:20 2023");
        assert_eq!(asctime(951_782_400), "Tue Feb 29 00:00:00 2000");
    }

    proptest::proptest! {
        /// Whatever the messages hold, writing them as mboxrd and splitting them again gives
        /// them back (with a final newline added where one was missing).
        #[test]
        fn mboxrd_round_trip(
            msgs in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::strategy::Just(String::new()),
                        proptest::strategy::Just("From someone Mon Jan  2 03:04:05 2023".to_string()),
                        proptest::strategy::Just(">From x".to_string()),
                        proptest::strategy::Just(">>>From 12:00 y".to_string()),
                        proptest::strategy::Just("From".to_string()),
                        "[ -~]{0,20}",
                    ],
                    0..12,
                ),
                1..6,
            ),
            crlf in proptest::bool::ANY,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let bodies: Vec<String> = msgs
                .iter()
                .map(|lines| lines.iter().map(|l| format!("{l}{eol}")).collect())
                .collect();
            let mut w = MboxWriter::new(Vec::new(), 0);
            for b in &bodies {
                w.write_message(PM.as_bytes(), b.as_bytes()).unwrap();
            }
            let out = w.into_inner();
            let back: Vec<Vec<u8>> = Splitter::new(&out)
                .map(|m| m.unescaped(MboxVariant::Mboxrd).into_owned())
                .collect();
            let expected: Vec<Vec<u8>> = bodies.iter().map(|b| b.as_bytes().to_vec()).collect();
            proptest::prop_assert_eq!(back, expected);
        }
    }

    #[test]
    fn postmark_shapes() {
        assert!(looks_like_postmark(
            b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011"
        ));
        assert!(looks_like_postmark(
            b"From 1234abcd Mon Sep 17 00:00:00 2001"
        ));
        assert!(!looks_like_postmark(b"From the desk of the mayor"));
        assert!(!looks_like_postmark(b"From 12:00"));
    }
}
