//! Cleaning decoded text before it is written: control characters and bidirectional
//! overrides cannot reach the reader, and names are made visible and bounded.

use std::borrow::Cow;

/// Bidirectional controls that can disguise text (e.g. `invoice\u{202E}fdp.exe`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Cleans body text: line endings become `\n`, C0/C1 control characters other than tab and
/// newline are dropped (NUL, escape sequences, form feeds…), a byte-order mark is dropped,
/// bidirectional controls are replaced by a visible `[U+202E]`-style mark.
///
/// ```
/// assert_eq!(mugai::render::text::clean_body("a\r\nb\u{0}c\u{202E}d"), "a\nbc[U+202E]d");
/// ```
pub fn clean_body(s: &str) -> Cow<'_, str> {
    let needs = s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) || c == '\u{FEFF}'
    });
    if !needs {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            '\u{FEFF}' => {}
            c if is_bidi_control(c) => {
                out.push_str(&format!("[U+{:04X}]", c as u32));
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Makes a file or display name safe to show on one line: controls and bidi overrides
/// become visible marks, and a name longer than `max` characters is shortened in the middle
/// with an ellipsis, keeping its extension visible.
///
/// ```
/// use mugai::render::text::visible_name;
/// assert_eq!(visible_name("invoice\u{202E}fdp.exe", 80), "invoice[U+202E]fdp.exe");
/// let long = format!("{}.exe", "a".repeat(300));
/// let shown = visible_name(&long, 40);
/// assert!(shown.ends_with("….exe") || shown.contains('…'));
/// assert!(shown.chars().count() <= 40);
/// ```
pub fn visible_name(name: &str, max: usize) -> String {
    let mut clean = String::with_capacity(name.len());
    for c in name.chars() {
        if is_bidi_control(c) {
            clean.push_str(&format!("[U+{:04X}]", c as u32));
        } else if c.is_control() {
            clean.push('?');
        } else {
            clean.push(c);
        }
    }
    let count = clean.chars().count();
    if count <= max || max < 8 {
        return clean;
    }
    let chars: Vec<char> = clean.chars().collect();
    // Keep the extension (up to 10 characters) and as much of the start as fits.
    let ext_len = chars
        .iter()
        .rev()
        .position(|&c| c == '.')
        .map(|p| p + 1)
        .filter(|&p| p <= 10)
        .unwrap_or(0);
    let keep_tail = ext_len.max(4);
    let keep_head = max - keep_tail - 1;
    let mut out: String = chars[..keep_head].iter().collect();
    out.push('…');
    out.extend(&chars[count - keep_tail..]);
    out
}

/// Prefixes every line of `text` with `prefix` (for quoting forwarded messages).
pub fn quote(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 20 * prefix.len());
    for line in text.split_inclusive('\n') {
        out.push_str(prefix);
        out.push_str(line);
    }
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    out
}
