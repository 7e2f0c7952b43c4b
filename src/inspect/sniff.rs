//! File type detection from content, and mismatch with what the sender declared.

/// Detects the type of `data` from its first bytes. Returns a short stable token
/// (`pe-executable`, `zip`, `pdf`…), `text` for printable text, `unknown` otherwise.
///
/// ```
/// use mugai::inspect::sniff::detect;
/// assert_eq!(detect(b"MZ\x90\x00"), "pe-executable");
/// assert_eq!(detect(b"%PDF-1.7\n"), "pdf");
/// assert_eq!(detect(b"hello world\n"), "text");
/// ```
pub fn detect(data: &[u8]) -> &'static str {
    let starts = |sig: &[u8]| data.starts_with(sig);
    if starts(b"MZ") {
        return "pe-executable";
    }
    if starts(b"\x7fELF") {
        return "elf-executable";
    }
    if starts(b"\xfe\xed\xfa\xce")
        || starts(b"\xfe\xed\xfa\xcf")
        || starts(b"\xce\xfa\xed\xfe")
        || starts(b"\xcf\xfa\xed\xfe")
    {
        return "mach-o-executable";
    }
    if starts(b"\xca\xfe\xba\xbe") {
        return "mach-o-or-java-class";
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return zip_kind(data);
    }
    if starts(b"%PDF-") {
        return "pdf";
    }
    if starts(b"{\\rtf") {
        return "rtf";
    }
    if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return "ole2";
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return "png";
    }
    if starts(b"\xff\xd8\xff") {
        return "jpeg";
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return "gif";
    }
    if starts(b"BM") && data.len() > 14 {
        return "bmp";
    }
    if starts(b"II*\x00") || starts(b"MM\x00*") {
        return "tiff";
    }
    if starts(b"RIFF") && data.get(8..12) == Some(b"WEBP") {
        return "webp";
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return "7z";
    }
    if starts(b"Rar!\x1a\x07") {
        return "rar";
    }
    if starts(b"\x1f\x8b") {
        return "gzip";
    }
    if starts(b"BZh") {
        return "bzip2";
    }
    if starts(b"\xfd7zXZ\x00") {
        return "xz";
    }
    if starts(b"\x78\x9f\x3e\x22") {
        return "tnef";
    }
    if starts(b"MSCF") {
        return "cab";
    }
    if starts(b"\x00asm") {
        return "wasm";
    }
    if starts(b"#!") {
        return "script";
    }
    if data.len() >= 8 && data[..8].eq_ignore_ascii_case(b"<!doctyp")
        || data.len() >= 5 && data[..5].eq_ignore_ascii_case(b"<html")
    {
        return "html";
    }
    let head = &data[..data.len().min(512)];
    if !head.is_empty()
        && head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x1b))
    {
        return "text";
    }
    if head.is_empty() {
        return "empty";
    }
    "unknown"
}

/// The binary file type whose signature `data` starts with, if any: every type [`detect`]
/// knows except text, HTML, scripts (`#!`) and empty data. Signatures made only of printable
/// characters that prose could start with (`MZ`, `BM`, `BZh`, `MSCF`, `GIF8`) count only when
/// the first 512 bytes also hold a control byte, so that a text starting "MZ…" or "BMW…"
/// stays text.
///
/// ```
/// use mugai::inspect::sniff::binary_signature;
/// assert_eq!(binary_signature(b"MZ\x90\x00\x03\x00"), Some("pe-executable"));
/// assert_eq!(binary_signature(b"PK\x03\x04\x14\x00"), Some("zip"));
/// assert_eq!(binary_signature(b"MZ-7 the model name"), None);
/// assert_eq!(binary_signature(b"BMW 320i"), None);
/// assert_eq!(binary_signature(b"#!/bin/sh\necho hi\n"), None);
/// ```
pub fn binary_signature(data: &[u8]) -> Option<&'static str> {
    let kind = detect(data);
    if matches!(kind, "text" | "html" | "empty" | "unknown" | "script") {
        return None;
    }
    let printable_signature = [b"MZ".as_slice(), b"BM", b"BZh", b"MSCF", b"GIF8"]
        .iter()
        .any(|sig| data.starts_with(sig));
    if printable_signature && control_bytes(&data[..data.len().min(512)]) == 0 {
        return None;
    }
    Some(kind)
}

/// Control bytes that never occur in text: C0 controls other than TAB, LF, FF, CR and ESC
/// (ISO-2022-JP), and DEL.
///
/// ```
/// use mugai::inspect::sniff::control_bytes;
/// assert_eq!(control_bytes(b"a\tb\r\n\x1b$B\x00\x7f"), 2);
/// ```
pub fn control_bytes(data: &[u8]) -> usize {
    data.iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | 0x1b)) || b == 0x7f)
        .count()
}

/// Whether `data` holds binary rather than text: some 512-byte block of it (anywhere, in one
/// linear pass) has at least 8 control bytes (see [`control_bytes`]) making up more than a
/// quarter of the block. Executables, object files and record dumps are full of NULs; text,
/// even with a few stray NULs or a yEnc block (about one byte in ten), is not. UTF-16 must be
/// decoded before asking.
///
/// ```
/// use mugai::inspect::sniff::mostly_control;
/// assert!(mostly_control(&[0u8, 1, 2, 3, 0, 0, 0, 0, 65, 0, 0, 0][..]));
/// assert!(!mostly_control("本文に NUL\u{0} が一つ".as_bytes()));
/// ```
pub fn mostly_control(data: &[u8]) -> bool {
    data.chunks(512).any(|block| {
        let n = control_bytes(block);
        n >= 8 && n * 4 > block.len()
    })
}

/// Distinguishes plain ZIP from OOXML and ODF by the first local file name.
fn zip_kind(data: &[u8]) -> &'static str {
    if data.len() < 30 {
        return "zip";
    }
    let name_len = u16::from_le_bytes([data[26], data[27]]) as usize;
    let name = data.get(30..30 + name_len).unwrap_or(b"");
    if name == b"mimetype" {
        let extra = u16::from_le_bytes([data[28], data[29]]) as usize;
        let content = data.get(30 + name_len + extra..).unwrap_or(b"");
        if content.starts_with(b"application/vnd.oasis") {
            return "odf";
        }
        if content.starts_with(b"application/epub") {
            return "epub";
        }
    }
    if name == b"[Content_Types].xml"
        || name.starts_with(b"_rels/")
        || name.starts_with(b"word/")
        || name.starts_with(b"xl/")
        || name.starts_with(b"ppt/")
        || name.starts_with(b"docProps/")
    {
        return "ooxml";
    }
    "zip"
}

/// Whether a detected type can run code by itself when opened.
pub fn is_executable(detected: &str) -> bool {
    matches!(
        detected,
        "pe-executable"
            | "elf-executable"
            | "mach-o-executable"
            | "mach-o-or-java-class"
            | "script"
            | "wasm"
    )
}

/// Detected types a file name extension is compatible with (lowercase, without the dot).
fn types_for_extension(ext: &str) -> Option<&'static [&'static str]> {
    Some(match ext {
        "pdf" => &["pdf"],
        "zip" => &["zip", "ooxml", "odf", "epub"],
        "docx" | "xlsx" | "pptx" | "docm" | "xlsm" | "pptm" => &["ooxml", "zip"],
        "odt" | "ods" | "odp" => &["odf", "zip"],
        "doc" | "xls" | "ppt" | "msg" => &["ole2"],
        "rtf" => &["rtf", "text"],
        "png" => &["png"],
        "jpg" | "jpeg" | "jpe" => &["jpeg"],
        "gif" => &["gif"],
        "bmp" => &["bmp"],
        "tif" | "tiff" => &["tiff"],
        "webp" => &["webp"],
        "7z" => &["7z"],
        "rar" => &["rar"],
        "gz" | "tgz" => &["gzip"],
        "txt" | "csv" | "ics" | "vcf" | "log" | "md" => &["text", "empty"],
        "htm" | "html" => &["html", "text"],
        "exe" | "dll" | "scr" | "com" | "sys" => &["pe-executable"],
        "dat" => &["tnef", "unknown", "text"],
        _ => return None,
    })
}

/// Detected types a declared MIME type is compatible with; `None` for types that say
/// nothing (application/octet-stream…).
fn types_for_mime(mime: &str) -> Option<&'static [&'static str]> {
    Some(match mime {
        "application/pdf" => &["pdf"],
        "application/zip" | "application/x-zip-compressed" => &["zip", "ooxml", "odf", "epub"],
        m if m.starts_with("application/vnd.openxmlformats") => &["ooxml", "zip"],
        m if m.starts_with("application/vnd.oasis") => &["odf", "zip"],
        "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint" => {
            &["ole2"]
        }
        "image/png" => &["png"],
        "image/jpeg" | "image/jpg" | "image/pjpeg" => &["jpeg"],
        "image/gif" => &["gif"],
        "application/rtf" | "text/rtf" => &["rtf", "text"],
        "application/ms-tnef" | "application/vnd.ms-tnef" => &["tnef"],
        m if m.starts_with("text/") => &["text", "html", "rtf", "empty", "unknown"],
        _ => return None,
    })
}

/// Whether the detected type contradicts the declared MIME type or the file name's
/// extension. Executable content is a mismatch unless the name admits it is an executable.
///
/// ```
/// use mugai::inspect::sniff::mismatch;
/// assert!(mismatch("pe-executable", "application/pdf", Some("請求書.pdf")));
/// assert!(!mismatch("pdf", "application/pdf", Some("a.pdf")));
/// assert!(mismatch("pe-executable", "application/octet-stream", None));
/// ```
pub fn mismatch(detected: &str, declared_mime: &str, name: Option<&str>) -> bool {
    let ext = name.and_then(|n| {
        let n = n.trim_end_matches(['.', ' ']);
        n.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())
    });
    let ext_types = ext.as_deref().and_then(types_for_extension);
    if is_executable(detected) {
        return !ext_types.is_some_and(|t| t.contains(&detected));
    }
    if matches!(detected, "unknown" | "empty") {
        return false;
    }
    let by_ext = ext_types.is_some_and(|t| !t.contains(&detected));
    let by_mime = types_for_mime(declared_mime).is_some_and(|t| !t.contains(&detected));
    by_ext || by_mime
}
