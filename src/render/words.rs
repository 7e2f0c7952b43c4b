//! Every localised string in one table: the notice, the forwarded-message head, the line
//! left where a payload was cut, the list of link targets after converted HTML, and the
//! subject given to input that is not a mail. One [`Words`] per [`Language`].

use crate::policy::Language;

/// Every sentence and label the reader sees, in one language.
pub struct Words {
    /// First line of the notice.
    pub title: &'static str,
    /// What was done, in one sentence.
    pub intro: &'static str,
    /// The HTML body was converted.
    pub html: &'static str,
    /// The HTML body was reduced to its text.
    pub html_fallback: &'static str,
    /// Hidden HTML content was left out.
    pub hidden: &'static str,
    /// How many items were removed (`{}`: the count).
    pub removed: &'static str,
    /// Links are shown unclickable.
    pub links_defanged: &'static str,
    /// Link targets were removed.
    pub links_removed: &'static str,
    /// Encoded files in the text were removed.
    pub smuggled: &'static str,
    /// A signature was removed.
    pub signature: &'static str,
    /// Encrypted content was removed.
    pub encrypted: &'static str,
    /// Forwarded messages are quoted.
    pub forward: &'static str,
    /// A processing limit was reached.
    pub limit: &'static str,
    /// The text was shortened.
    pub truncated: &'static str,
    /// The input was not a mail.
    pub not_a_mail: &'static str,
    /// Heading of the list of removed items.
    pub list_head: &'static str,
    /// Stands for a removed item without a name.
    pub no_name: &'static str,
    /// Label of the declared type.
    pub kind: &'static str,
    /// Label of the detected format.
    pub detected: &'static str,
    /// Warning: declared and detected type differ.
    pub mismatch: &'static str,
    /// Label of the size.
    pub size: &'static str,
    /// Unit of the size.
    pub bytes: &'static str,
    /// Label of an archive listing.
    pub contents: &'static str,
    /// More archive entries than listed (`{}`: the count).
    pub more: &'static str,
    /// Warning: the archive is encrypted.
    pub encrypted_archive: &'static str,
    /// Label of the MIME position.
    pub position: &'static str,
    /// More removed items than listed (`{}`: the count).
    pub more_items: &'static str,
    /// Where the original is kept (`{}`: the quarantine id).
    pub quarantine: &'static str,
    /// Why an item was removed, in the order of [`RemovalReason`](crate::report::RemovalReason) (see `notice`).
    pub reasons: [&'static str; 7],
    /// Last line of the notice.
    pub end: &'static str,
    /// Opens a removed item's position and reason after its name.
    pub item_open: &'static str,
    /// Separates the position from the reason.
    pub item_sep: &'static str,
    /// Closes a removed item's position and reason.
    pub item_close: &'static str,
    /// First line of a forwarded message's head.
    pub forward_head: &'static str,
    /// Labels of the forwarded message's header fields, in the order shown: (field, label).
    pub forward_labels: [(&'static str, &'static str); 5],
    /// The line standing where an encoded payload was cut (`{}`: its name or kind).
    pub encoded_removed: &'static str,
    /// Subject of the message made from input that is not a mail.
    pub unreadable_subject: &'static str,
    /// Heading of the list of link targets after converted HTML.
    pub links_head: &'static str,
    /// Stands for the text of a link that has none (an image…).
    pub link_no_text: &'static str,
    /// Warning under a link whose text shows another address.
    pub link_deceptive: &'static str,
    /// Stands for a link target removed as a dangerous kind.
    pub link_dangerous: &'static str,
    /// Stands for a link within the document.
    pub link_local: &'static str,
    /// Stands for a link target removed by the policy.
    pub link_removed: &'static str,
}

/// Japanese (the default).
pub const JA: Words = Words {
    title: "━━ 無害化処理のお知らせ (mugai) ━━",
    intro: "このメールは、安全のためテキスト形式に変換（無害化）しています。",
    html: "・HTML 形式の本文をテキストに変換しました。",
    html_fallback: "・HTML の本文が大きく複雑なため、文字だけを簡易に取り出しました。",
    hidden: "・HTML 内の画面に表示されない文字（隠し要素）は、表示していません。",
    removed: "・添付ファイルなど {} 件を削除しました。内容は下記のとおりです。",
    links_defanged: "・URL はクリックできない形で表示しています（例: hxxps://example[.]jp/）。",
    links_removed: "・設定により、リンク先（URL）を削除しました。",
    smuggled: "・本文中に埋め込まれていたファイル（符号化されたデータ）を削除しました。",
    signature: "・電子署名を削除しました（このメールでは署名を検証できません）。",
    encrypted: "・暗号化された部分は内容を確認できないため、削除しました。",
    forward: "・添付されていた転送メールは、引用の形で本文に含めています。",
    limit: "・メールの構造が処理の上限を超えたため、超えた部分を削除しました。",
    truncated: "・本文が長すぎるため、途中から先を省略しました。",
    not_a_mail: "・受信したデータはメールの形式ではないため、読み取れた文字だけを表示しています。",
    list_head: "【削除したもの】",
    no_name: "（ファイル名なし）",
    kind: "種類",
    detected: "実際の形式",
    mismatch: "【注意】種類・拡張子と実際の形式が一致しません（偽装のおそれ）",
    size: "サイズ",
    bytes: "バイト",
    contents: "含まれるファイル",
    more: "ほか {} 件",
    encrypted_archive: "【注意】パスワード付き圧縮ファイルのため、中身を確認できません",
    position: "位置",
    more_items: "…ほか {} 件（すべての一覧はシステム管理者の記録にあります）",
    quarantine: "原本の保管 ID: {}\n（原本が必要な場合は、この ID を添えてシステム管理者にお問い合わせください）",
    reasons: [
        "添付ファイル",
        "テキスト添付",
        "本文中の符号化データ",
        "電子署名",
        "暗号化部分",
        "上限超過部分",
        "分割・外部参照メッセージ",
    ],
    end: "━━━━━━━━━━━━━━━━━━━━━━━━━━━━",
    item_open: "（",
    item_sep: "・",
    item_close: "）",
    forward_head: "---------- 転送されたメッセージ ----------\n",
    forward_labels: [
        ("From", "差出人"),
        ("Date", "日時"),
        ("Subject", "件名"),
        ("To", "宛先"),
        ("Cc", "CC"),
    ],
    encoded_removed: "[符号化データを削除しました: {}]",
    unreadable_subject: "(読み取れないメール)",
    links_head: "リンク先:\n",
    link_no_text: "(画像など)",
    link_deceptive: "    ⚠ 表示されているアドレスと実際のリンク先が異なります\n",
    link_dangerous: "    (危険な種類のリンクのため削除しました)\n",
    link_local: "    (文書内リンク)\n",
    link_removed: "    (ポリシーによりリンク先を削除しました)\n",
};

/// English.
pub const EN: Words = Words {
    title: "== Sanitisation notice (mugai) ==",
    intro: "For security, this message has been converted to plain text (sanitised).",
    html: "- The HTML body was converted to text.",
    html_fallback: "- The HTML body was too large or complex; only its text was extracted.",
    hidden: "- Hidden content in the HTML (text a reader would not see) was left out.",
    removed: "- {} attachment(s) or other items were removed; they are listed below.",
    links_defanged: "- URLs are shown in a form that cannot be clicked (e.g. hxxps://example[.]com/).",
    links_removed: "- Link targets (URLs) were removed, as configured.",
    smuggled: "- Files embedded in the text (as encoded data) were removed.",
    signature: "- A digital signature was removed (this message's signature cannot be verified).",
    encrypted: "- Encrypted content was removed, as it could not be checked.",
    forward: "- Attached forwarded messages are included below as quoted text.",
    limit: "- The message went beyond a processing limit; the part beyond it was removed.",
    truncated: "- The text was too long; the rest of it was left out.",
    not_a_mail: "- The data received was not in mail format; only the readable text is shown.",
    list_head: "Removed:",
    no_name: "(no name)",
    kind: "type",
    detected: "actual format",
    mismatch: "Warning: the declared type or file extension does not match the actual format (possibly disguised)",
    size: "size",
    bytes: "bytes",
    contents: "contents",
    more: "and {} more",
    encrypted_archive: "Warning: password-protected (encrypted) archive; its contents could not be checked",
    position: "part",
    more_items: "…and {} more (the full list is in the administrator's records)",
    quarantine: "Original kept under ID: {}\n(if you need it, contact your system administrator quoting this ID)",
    reasons: [
        "attachment",
        "text attachment",
        "encoded data in the text",
        "signature",
        "encrypted part",
        "part beyond a limit",
        "fragment or external reference",
    ],
    end: "==========================================",
    item_open: " (",
    item_sep: ", ",
    item_close: ")",
    forward_head: "---------- Forwarded message ----------\n",
    forward_labels: [
        ("From", "From"),
        ("Date", "Date"),
        ("Subject", "Subject"),
        ("To", "To"),
        ("Cc", "Cc"),
    ],
    encoded_removed: "[encoded data removed: {}]",
    unreadable_subject: "(unreadable message)",
    links_head: "Links:\n",
    // The same in both languages so far (the English text was never written).
    link_no_text: "(画像など)",
    link_deceptive: "    ⚠ the link text shows a different address than the real target\n",
    link_dangerous: "    (dangerous link type removed)\n",
    link_local: "    (link within the document)\n",
    link_removed: "    (target removed by policy)\n",
};

/// The words for `lang`.
pub fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Ja => &JA,
        Language::En => &EN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of both tables, in declaration order.
    fn all(w: &Words) -> Vec<&'static str> {
        let mut v = vec![
            w.title,
            w.intro,
            w.html,
            w.html_fallback,
            w.hidden,
            w.removed,
            w.links_defanged,
            w.links_removed,
            w.smuggled,
            w.signature,
            w.encrypted,
            w.forward,
            w.limit,
            w.truncated,
            w.not_a_mail,
            w.list_head,
            w.no_name,
            w.kind,
            w.detected,
            w.mismatch,
            w.size,
            w.bytes,
            w.contents,
            w.more,
            w.encrypted_archive,
            w.position,
            w.more_items,
            w.quarantine,
            w.end,
            w.item_open,
            w.item_sep,
            w.item_close,
            w.forward_head,
            w.encoded_removed,
            w.unreadable_subject,
            w.links_head,
            w.link_no_text,
            w.link_deceptive,
            w.link_dangerous,
            w.link_local,
            w.link_removed,
        ];
        v.extend(w.reasons);
        v.extend(w.forward_labels.iter().map(|(_, label)| *label));
        v
    }

    #[test]
    fn both_languages_fill_the_same_placeholders_and_line_ends() {
        let (ja, en) = (all(&JA), all(&EN));
        assert_eq!(ja.len(), en.len());
        for (j, e) in ja.iter().zip(&en) {
            assert_eq!(
                j.matches("{}").count(),
                e.matches("{}").count(),
                "{j} / {e}"
            );
            assert_eq!(j.ends_with('\n'), e.ends_with('\n'), "{j:?} / {e:?}");
            assert!(!e.is_empty(), "{j}");
        }
        let fields = |w: &Words| w.forward_labels.map(|(f, _)| f);
        assert_eq!(fields(&JA), fields(&EN));
        assert_eq!(words(Language::En).title, EN.title);
    }
}
