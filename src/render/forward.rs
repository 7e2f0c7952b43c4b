//! A forwarded message as the reader sees it: a head with the inner From, Date, Subject, To
//! and Cc under localised labels ([`head`]), then the inner content, all quoted with `> `
//! ([`quoted`]).

use std::fmt::Write as _;

use super::words::words;
use super::{links, text};
use crate::parse::header::{HeaderBlock, decode_unstructured};
use crate::policy::Policy;

/// The head of a forwarded message.
#[derive(Debug)]
pub struct Head {
    /// The head's lines, each ending in `\n`.
    pub text: String,
    /// Addresses in the field values that were rewritten under the link policy.
    pub links: usize,
}

/// The head for the inner message's header `fields`: decoded, cleaned, on one line each,
/// links shown under the policy.
pub fn head(fields: &HeaderBlock<'_>, policy: &Policy) -> Head {
    let w = words(policy.notice.language);
    let mut head = Head {
        text: w.forward_head.to_owned(),
        links: 0,
    };
    for (name, label) in w.forward_labels {
        if let Some(f) = fields.get(name) {
            let v = decode_unstructured(f.value);
            let v = text::clean_body(&v).replace('\n', " ");
            let (v, n) = links::rewrite_text_urls(&v, &policy.links);
            head.links += n;
            let _ = writeln!(head.text, "{label}: {v}");
        }
    }
    head
}

/// The head, a blank line and the inner message's rendered text, quoted with `> `.
pub fn quoted(head: &str, inner: &str) -> String {
    let mut block = String::with_capacity(head.len() + 1 + inner.len());
    block.push_str(head);
    block.push('\n');
    block.push_str(inner);
    text::quote(&block, "> ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Language;

    #[test]
    fn head_labels_fields_in_the_notice_language_and_counts_links() {
        let raw =
            b"Subject: see https://evil.example.com/x\r\nFrom: a@example.jp\r\nX-Other: no\r\n";
        let fields = HeaderBlock::parse(raw, 100);
        let mut policy = Policy::default();
        let ja = head(&fields, &policy);
        assert!(
            ja.text.starts_with("---------- 転送されたメッセージ"),
            "{}",
            ja.text
        );
        assert!(ja.text.contains("差出人: a@example.jp\n"), "{}", ja.text);
        assert!(
            ja.text.contains("件名: see hxxps://evil[.]example[.]com/x"),
            "{}",
            ja.text
        );
        assert!(!ja.text.contains("X-Other"), "{}", ja.text);
        assert_eq!(ja.links, 1);
        policy.notice.language = Language::En;
        let en = head(&fields, &policy);
        assert!(en.text.contains("From: a@example.jp\n"), "{}", en.text);
        let quoted = quoted(&en.text, "inner text\n");
        assert!(quoted.lines().all(|l| l.starts_with('>')), "{quoted}");
    }
}
