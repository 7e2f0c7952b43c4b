//! Line endings and the header/body split.

use std::borrow::Cow;

use memchr::memchr;

/// Returns the input with bare-CR line endings turned into LF when the input uses CR
/// without LF (old Mac style). Input with any LF is returned borrowed and unchanged: CRLF and
/// bare LF are both handled by the parsers directly.
pub fn normalise_bare_cr(input: &[u8]) -> Cow<'_, [u8]> {
    if memchr(b'\n', input).is_some() || memchr(b'\r', input).is_none() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(
        input
            .iter()
            .map(|&b| if b == b'\r' { b'\n' } else { b })
            .collect(),
    )
}

/// Splits a message (or a MIME part) into its header block and body.
///
/// The header block ends at the first empty line (`\r\n\r\n` or `\n\n`), which is skipped,
/// or, as MTAs such as Postfix do, at the first line that is neither a header field nor a
/// continuation line, which then starts the body. The returned header slice includes the line
/// ending of its last field. A leading mbox `From ` line belongs to the header block.
///
/// ```
/// use mugai::parse::lines::split_header_body;
/// let (h, b) = split_header_body(b"A: 1\r\nB: 2\r\n\r\nbody");
/// assert_eq!((h, b), (&b"A: 1\r\nB: 2\r\n"[..], &b"body"[..]));
/// let (h, b) = split_header_body(b"A: 1\r\nnot a header\r\nmore");
/// assert_eq!((h, b), (&b"A: 1\r\n"[..], &b"not a header\r\nmore"[..]));
/// ```
pub fn split_header_body(input: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while pos < input.len() {
        let end = memchr(b'\n', &input[pos..]).map_or(input.len(), |i| pos + i);
        let next = (end + 1).min(input.len());
        let line = &input[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return (&input[..pos], &input[next..]);
        }
        let is_header_line = matches!(line[0], b' ' | b'\t')
            || is_field_start(line)
            || (pos == 0 && line.starts_with(b"From "));
        if !is_header_line {
            return (&input[..pos], &input[pos..]);
        }
        if end == input.len() {
            break;
        }
        pos = next;
    }
    (input, &input[input.len()..])
}

/// Whether `line` starts with a header field name followed by a colon: printable ASCII
/// without spaces, optionally followed by spaces or tabs before the colon.
pub fn is_field_start(line: &[u8]) -> bool {
    field_colon(line).is_some()
}

/// Position of the colon of a header field line.
pub fn field_colon(line: &[u8]) -> Option<usize> {
    let colon = memchr(b':', line)?;
    let mut name = &line[..colon];
    while let [rest @ .., b' ' | b'\t'] = name {
        name = rest;
    }
    (!name.is_empty() && name.iter().all(|&b| (0x21..=0x7e).contains(&b))).then_some(colon)
}

/// Iterates over the lines of `data`, each without its line ending (`\n` or `\r\n`).
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
}

/// Whether the first line break of `data` is a bare LF (not CRLF).
pub fn uses_bare_lf(data: &[u8]) -> bool {
    match memchr(b'\n', data) {
        Some(0) => true,
        Some(i) => data[i - 1] != b'\r',
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_variants() {
        assert_eq!(split_header_body(b"A: 1\n\nx"), (&b"A: 1\n"[..], &b"x"[..]));
        assert_eq!(split_header_body(b"\r\nbody"), (&b""[..], &b"body"[..]));
        assert_eq!(split_header_body(b"A: 1\r\n"), (&b"A: 1\r\n"[..], &b""[..]));
        assert_eq!(split_header_body(b"A: 1"), (&b"A: 1"[..], &b""[..]));
        assert_eq!(
            split_header_body(b"garbage\n\nx"),
            (&b""[..], &b"garbage\n\nx"[..])
        );
        assert_eq!(
            split_header_body(b"From a b\nA: 1\n\nx"),
            (&b"From a b\nA: 1\n"[..], &b"x"[..])
        );
    }

    #[test]
    fn bare_cr_is_normalised_only_without_lf() {
        assert_eq!(&*normalise_bare_cr(b"A: 1\r\rb"), b"A: 1\n\nb");
        assert!(matches!(normalise_bare_cr(b"A\r\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_strip_endings() {
        let v: Vec<&[u8]> = lines(b"a\r\nb\nc").collect();
        assert_eq!(v, vec![&b"a"[..], b"b", b"c"]);
    }
}
