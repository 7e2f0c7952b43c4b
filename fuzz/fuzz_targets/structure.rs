//! Arbitrary bytes → our MIME structure pass and mail-parser's: neither may panic or loop
//! (scripts/fuzz.sh builds this target with -O: mail-parser 0.11's debug assertions fire on
//! valid input); our ranges must lie inside the input and the tree must be consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mugai::parse::structure::{MimeTree, PartBody, TreeLimits};

fuzz_target!(|data: &[u8]| {
    let tree = MimeTree::parse(
        data,
        TreeLimits {
            max_depth: 64,
            max_parts: 10_000,
            max_headers: 10_000,
        },
    );
    // Every part's ranges lie inside the input.
    let start = data.as_ptr() as usize;
    for p in &tree.parts {
        for r in [p.header, p.body] {
            let s = r.as_ptr() as usize;
            assert!(r.is_empty() || (s >= start && s + r.len() <= start + data.len()));
        }
        if let PartBody::Multipart { children, .. } = &p.content {
            assert!(children.iter().all(|&c| c < tree.parts.len()));
        }
    }
    let _ = std::panic::catch_unwind(|| mail_parser::MessageParser::new().parse(data).map(|m| m.parts.len()));
});
