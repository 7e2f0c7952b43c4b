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
