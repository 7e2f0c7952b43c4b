//! Forwarded messages (message/rfc822, also when transfer-encoded): rendered in the body as
//! quoted text (head by [`render::forward`]) up to `limits.max_forward_depth`, the file
//! itself listed when it was sent as an attachment.

use super::walk::Walker;
use crate::parse::header::HeaderBlock;
use crate::parse::structure::{MimeTree, Part};
use crate::parse::transfer;
use crate::render::{self, smuggled};
use crate::report::{Action, RemovalReason};

impl Walker<'_> {
    /// A message/rfc822 part parsed with the tree: its inner message is `child`.
    pub(super) fn walk_message(&mut self, tree: &MimeTree<'_>, part: &Part<'_>, child: usize) {
        if !self.may_forward(part) {
            return;
        }
        self.list_forwarded_file(part, part.body);
        self.render_forward(part, &tree.parts[child].fields, |w| w.walk(tree, child));
    }

    /// A message/rfc822 with a (not allowed) base64 or quoted-printable transfer encoding:
    /// decoded, parsed, and rendered like any forwarded message, its attachments listed.
    pub(super) fn encoded_message(&mut self, part: &Part<'_>) {
        if !self.may_forward(part) {
            return;
        }
        let decoded = transfer::decode(part.body, part.info.transfer);
        let mut path = part.path.clone();
        path.push(1);
        let sub = MimeTree::parse_nested_until(
            &decoded,
            self.tree_limits(),
            path,
            part.depth + 1,
            self.deadline,
        );
        self.note_tree(&sub);
        self.list_forwarded_file(part, &decoded);
        self.render_forward(part, &sub.parts[0].fields, |w| w.walk(&sub, 0));
    }

    /// Whether one more forwarded message may be rendered (else it is removed as a limit).
    fn may_forward(&mut self, part: &Part<'_>) -> bool {
        if self.forward_depth >= self.policy.limits.max_forward_depth {
            self.report.limit("max_forward_depth");
            self.remove(part, RemovalReason::Limit);
            return false;
        }
        true
    }

    /// A forwarded message sent as a file (`attachment`, or with a name such as
    /// `転送.eml`): the file itself is not delivered, so it is named in the notice, while its
    /// content is rendered.
    fn list_forwarded_file(&mut self, part: &Part<'_>, data: &[u8]) {
        if part.info.filename.is_some() || part.info.is_attachment() {
            let path = part.path_string();
            let name = part.info.filename.clone();
            self.push_item(
                &path,
                name,
                part.info.mime_type(),
                data,
                RemovalReason::Attachment,
            );
        }
    }

    /// Renders the forwarded message `part`: the head for the inner header `fields`, then
    /// the inner content (rendered by `inner` into its own buffer), all quoted.
    fn render_forward(
        &mut self,
        part: &Part<'_>,
        fields: &HeaderBlock<'_>,
        inner: impl FnOnce(&mut Self),
    ) {
        self.report.act(Action::ForwardRendered);
        let head = render::forward::head(fields, self.policy);
        self.note_links(head.links);
        let outer = std::mem::take(&mut self.text);
        self.forward_depth += 1;
        inner(self);
        self.forward_depth -= 1;
        let inner_text = std::mem::replace(&mut self.text, outer);
        // Payloads in the inner message's header fields are cut like those in a body.
        let cut = smuggled::cut_text(&head.text, self.policy.notice.language);
        self.list_cut(&cut.payloads, &part.path_string(), "message/rfc822", 0);
        self.append(&render::forward::quoted(&cut.text, &inner_text));
    }
}
