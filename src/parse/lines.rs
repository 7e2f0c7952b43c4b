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
/// The header block ends at the first empty line (`\r\n\r\n` or `\n\n`); the returned header
/// slice includes the line ending of its last field, the body starts after the empty line.
/// Without an empty line the whole input is the header block and the body is empty.
///
/// ```
/// let (h, b) = mugai::parse::lines::split_header_body(b"A: 1\r\nB: 2\r\n\r\nbody");
/// assert_eq!(h, b"A: 1\r\nB: 2\r\n");
/// assert_eq!(b, b"body");
/// ```
pub fn split_header_body(input: &[u8]) -> (&[u8], &[u8]) {
    // A part may start directly with the empty line: no header fields.
    if input.starts_with(b"\r\n") {
        return (&input[..0], &input[2..]);
    }
    if input.starts_with(b"\n") {
        return (&input[..0], &input[1..]);
    }
    let mut pos = 0;
    while let Some(nl) = memchr(b'\n', &input[pos..]) {
        let next = pos + nl + 1;
        match input.get(next) {
            Some(b'\n') => return (&input[..next], &input[next + 1..]),
            Some(b'\r') if input.get(next + 1) == Some(&b'\n') => {
                return (&input[..next], &input[next + 2..]);
            }
            Some(_) => pos = next,
            None => return (input, &input[input.len()..]),
        }
    }
    (input, &input[input.len()..])
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
