//! Producing the text the reader sees: [`part`] (one text part: charset decoding, payloads
//! cut, HTML converted, links rewritten), [`forward`] (the head of a forwarded message),
//! [`html`] (HTML to text, guarded), [`links`] (link targets under the link policy),
//! [`text`] (cleaning decoded text), [`smuggled`] (cutting encoded payloads out of text),
//! [`notice`] (what was done and removed) and [`words`] (every localised string).
//!
//! Nothing here writes the [`Report`](crate::report::Report): each function returns what it
//! found (payloads cut, links rewritten, HTML facts) and the pipeline records it.

pub mod forward;
pub mod hidden;
pub mod html;
pub mod html_guard;
pub mod links;
pub mod notice;
pub mod part;
pub mod smuggled;
pub mod text;
pub mod words;
