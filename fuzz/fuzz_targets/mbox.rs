//! Arbitrary bytes as an mbox → the splitter: no panic, no loop; messages come in order,
//! inside the input, without overlap; unescaping never grows a message; writing a message
//! with mboxrd escaping and splitting it again gives it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mugai::batch::mbox::{MboxVariant, MboxWriter, Splitter};

fuzz_target!(|data: &[u8]| {
    let start = data.as_ptr() as usize;
    let mut last_end = 0usize;
    let mut count = 0usize;
    for (i, m) in Splitter::new(data).enumerate() {
        assert_eq!(m.index, i);
        let s = m.raw.as_ptr() as usize;
        if !m.raw.is_empty() {
            assert!(s >= start && s + m.raw.len() <= start + data.len());
            assert!(s - start >= last_end, "messages overlap");
            last_end = s - start + m.raw.len();
        }
        for v in [MboxVariant::Mboxo, MboxVariant::Mboxrd] {
            assert!(m.unescaped(v).len() <= m.raw.len());
        }
        count += 1;
        assert!(count <= data.len() + 1);
    }
    // Round trip of one message through the writer (mboxrd).
    let body: Vec<u8> = data.iter().copied().filter(|&b| b != b'\r').collect();
    let mut body = body;
    if !body.ends_with(b"\n") {
        body.push(b'\n');
    }
    let mut w = MboxWriter::new(Vec::new(), 0);
    w.write_message(b"From fuzz@example Thu Jan  1 00:00:00 2026", &body).unwrap();
    let file = w.into_inner();
    let back: Vec<_> = Splitter::new(&file).collect();
    assert_eq!(back.len(), 1, "written message splits into {}", back.len());
    assert_eq!(&*back[0].unescaped(MboxVariant::Mboxrd), &body[..]);
});
