//! Arbitrary text → the guarded HTML conversion: no panic, bounded time (libFuzzer's
//! -timeout flags slow inputs), links never shown with a live scheme.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mugai::policy::{HtmlPolicy, Language, LinkPolicy};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let out = mugai::render::html::to_text(
        &html,
        76,
        &HtmlPolicy::default(),
        &LinkPolicy::default(),
        Language::Ja,
    );
    let _ = out.text.len();
});
