//! Producing the text the reader sees: [`html`] (HTML to text, guarded), [`links`] (link
//! targets under the link policy), [`text`] (cleaning decoded text) and [`notice`] (what
//! was done and removed).

pub mod hidden;
pub mod html;
pub mod html_guard;
pub mod links;
pub mod notice;
pub mod text;
