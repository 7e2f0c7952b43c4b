//! Entry names of ZIP-based archives (zip, OOXML, ODF), read from the central directory only.

/// What the central directory of a ZIP archive says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZipListing {
    /// Entry names (decoded: UTF-8 when flagged or valid, else CP932, the usual encoding of
    /// Japanese archives), at most the requested number.
    pub names: Vec<String>,
    /// Entries beyond the listed ones.
    pub more: usize,
    /// At least one entry is encrypted.
    pub encrypted: bool,
}

fn u16_at(d: &[u8], i: usize) -> Option<usize> {
    Some(u16::from_le_bytes(d.get(i..i + 2)?.try_into().ok()?) as usize)
}

fn u32_at(d: &[u8], i: usize) -> Option<usize> {
    Some(u32::from_le_bytes(d.get(i..i + 4)?.try_into().ok()?) as usize)
}

/// Lists a ZIP archive's entries from its central directory, at most `max_names` names.
/// Returns `None` when no valid end-of-central-directory record is found.
pub fn list_zip(data: &[u8], max_names: usize) -> Option<ZipListing> {
    // The EOCD record is in the last 22 + 65535 bytes.
    let search_from = data.len().saturating_sub(22 + 65535);
    let eocd = memchr::memmem::rfind(&data[search_from..], b"PK\x05\x06")? + search_from;
    let total = u16_at(data, eocd + 10)?;
    let cd_size = u32_at(data, eocd + 12)?;
    let mut cd_offset = u32_at(data, eocd + 16)?;
    // Archives with a prefix (self-extractors) or a wrong offset: the directory ends at EOCD.
    if cd_offset + cd_size != eocd && eocd >= cd_size {
        cd_offset = eocd - cd_size;
    }
    let mut listing = ZipListing::default();
    let mut pos = cd_offset;
    for _ in 0..total.min(100_000) {
        if data.get(pos..pos + 4) != Some(b"PK\x01\x02") {
            break;
        }
        let flags = u16_at(data, pos + 8)?;
        let name_len = u16_at(data, pos + 28)?;
        let extra_len = u16_at(data, pos + 30)?;
        let comment_len = u16_at(data, pos + 32)?;
        let raw_name = data.get(pos + 46..pos + 46 + name_len)?;
        if flags & 1 != 0 {
            listing.encrypted = true;
        }
        if listing.names.len() < max_names {
            let name = if flags & 0x800 != 0 {
                String::from_utf8_lossy(raw_name).into_owned()
            } else {
                match std::str::from_utf8(raw_name) {
                    Ok(s) => s.to_owned(),
                    Err(_) => encoding_rs::SHIFT_JIS
                        .decode_without_bom_handling(raw_name)
                        .0
                        .into_owned(),
                }
            };
            listing.names.push(name);
        } else {
            listing.more += 1;
        }
        pos += 46 + name_len + extra_len + comment_len;
    }
    // Entries past the end of our walk (truncated directory) still count.
    let seen = listing.names.len() + listing.more;
    if total > seen {
        listing.more += total - seen;
    }
    // A local header with the encryption bit also counts (directory may lie or be cut).
    if data.len() > 8 && data.starts_with(b"PK\x03\x04") && u16_at(data, 6)? & 1 != 0 {
        listing.encrypted = true;
    }
    Some(listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal stored zip with one entry, built by hand.
    fn tiny_zip(name: &[u8], flags: u16) -> Vec<u8> {
        let mut z = Vec::new();
        let content = b"hi";
        z.extend_from_slice(b"PK\x03\x04\x14\x00");
        z.extend_from_slice(&flags.to_le_bytes());
        z.extend_from_slice(&[0; 10]);
        z.extend_from_slice(&(content.len() as u32).to_le_bytes());
        z.extend_from_slice(&(content.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name);
        z.extend_from_slice(content);
        let cd = z.len();
        z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
        z.extend_from_slice(&flags.to_le_bytes());
        z.extend_from_slice(&[0; 18]);
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0; 12]);
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(name);
        let cd_size = z.len() - cd;
        z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        z.extend_from_slice(&(cd_size as u32).to_le_bytes());
        z.extend_from_slice(&(cd as u32).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z
    }

    #[test]
    fn lists_and_flags_encryption() {
        let l = list_zip(&tiny_zip(b"a.txt", 1), 10).unwrap();
        assert_eq!(l.names, vec!["a.txt"]);
        assert!(l.encrypted);
        let l = list_zip(&tiny_zip(b"b.txt", 0), 10).unwrap();
        assert!(!l.encrypted);
    }

    #[test]
    fn cp932_names() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("見積書.xlsx");
        let l = list_zip(&tiny_zip(&sjis, 0), 10).unwrap();
        assert_eq!(l.names, vec!["見積書.xlsx"]);
    }

    #[test]
    fn garbage_is_none() {
        assert!(list_zip(b"PK\x05\x06", 10).is_none());
        assert!(list_zip(b"nothing", 10).is_none());
    }
}
