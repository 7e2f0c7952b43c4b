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
    // Only C0 controls, DEL, and the lead bytes of C1 controls (C2), ALM (D8), bidi
    // controls (E2) and the BOM (EF) can need work; everything between is copied in runs.
    let bytes = s.as_bytes();
    let special = |i: usize, b: u8| -> bool {
        match b {
            b'\n' | b'\t' => false,
            0x00..=0x1f | 0x7f => true,
            0xc2 | 0xd8 | 0xe2 | 0xef => s[i..]
                .chars()
                .next()
                .is_some_and(|c| c.is_control() || is_bidi_control(c) || c == '\u{FEFF}'),
            _ => false,
        }
    };
    let Some(first) = bytes.iter().enumerate().position(|(i, &b)| special(i, b)) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len());
    out.push_str(&s[..first]);
    let mut i = first;
    let mut run_start = first;
    while i < bytes.len() {
        let b = bytes[i];
        if !special(i, b) {
            i += 1;
            continue;
        }
        out.push_str(&s[run_start..i]);
        let c = s[i..].chars().next().unwrap_or('\0');
        match c {
            '\r' if bytes.get(i + 1) != Some(&b'\n') => out.push('\n'),
            c if is_bidi_control(c) => out.push_str(&format!("[U+{:04X}]", c as u32)),
            _ => {}
        }
        i += c.len_utf8();
        run_start = i;
    }
    out.push_str(&s[run_start..]);
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
