//! The notice: what was done to the message and every removed item, in Japanese (default)
//! or English.

use std::fmt::Write as _;

use super::text::visible_name;
use crate::policy::{Language, Policy};
use crate::report::{Action, RemovalReason, Report};

struct Words {
    title: &'static str,
    intro: &'static str,
    html: &'static str,
    html_fallback: &'static str,
    removed: &'static str,
    links_defanged: &'static str,
    links_removed: &'static str,
    smuggled: &'static str,
    signature: &'static str,
    encrypted: &'static str,
    forward: &'static str,
    limit: &'static str,
    truncated: &'static str,
    not_a_mail: &'static str,
    list_head: &'static str,
    no_name: &'static str,
    kind: &'static str,
    detected: &'static str,
    mismatch: &'static str,
    size: &'static str,
    bytes: &'static str,
    contents: &'static str,
    more: &'static str,
    encrypted_archive: &'static str,
    position: &'static str,
    more_items: &'static str,
    quarantine: &'static str,
    reasons: [&'static str; 7],
    end: &'static str,
}

const JA: Words = Words {
    title: "━━ 無害化処理のお知らせ (mugai) ━━",
    intro: "このメールは安全のため、テキスト形式に作り直されました。",
    html: "・HTML 形式の本文をテキストに変換しました。",
    html_fallback: "・HTML が大きい・複雑なため、簡易変換で本文を取り出しました。",
    removed: "・添付ファイルなど {} 件を削除しました（下記）。",
    links_defanged: "・リンクは押せない形で表示しています（例: hxxps://example[.]jp/）。",
    links_removed: "・リンク先をポリシーにより削除しました。",
    smuggled: "・本文中に埋め込まれた符号化データ（ファイル）を削除しました。",
    signature: "・電子署名を削除しました（このメールの署名は検証できません）。",
    encrypted: "・暗号化された部分を削除しました（内容は確認できません）。",
    forward: "・転送されたメールを引用の形で本文に含めました。",
    limit: "・メールの構造が上限を超えたため、一部を削除しました。",
    truncated: "・本文が長すぎるため、途中で切り詰めました。",
    not_a_mail: "・受信したデータはメールとして読めませんでした。読み取れた文字だけを示します。",
    list_head: "削除したもの:",
    no_name: "(名前なし)",
    kind: "種類",
    detected: "実体",
    mismatch: "⚠ 宣言された種類・拡張子と実体が一致しません",
    size: "サイズ",
    bytes: "バイト",
    contents: "内容",
    more: "ほか {} 件",
    encrypted_archive: "⚠ パスワード付き（暗号化）圧縮ファイルです",
    position: "位置",
    more_items: "…ほか {} 件（一覧は管理者の記録を参照）",
    quarantine: "原本の保管 ID: {}（必要な場合は管理者にお問い合わせください）",
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
};

const EN: Words = Words {
    title: "== Sanitisation notice (mugai) ==",
    intro: "For your safety this message was rebuilt as plain text.",
    html: "- The HTML body was converted to text.",
    html_fallback: "- The HTML was too large or complex; a simple extraction was used.",
    removed: "- {} attachment(s) or other items were removed (listed below).",
    links_defanged: "- Links are shown in a non-clickable form (e.g. hxxps://example[.]com/).",
    links_removed: "- Link targets were removed by policy.",
    smuggled: "- Encoded data (files) hidden in the text was removed.",
    signature: "- A digital signature was removed (the signature can no longer be verified).",
    encrypted: "- Encrypted content was removed (it could not be checked).",
    forward: "- Forwarded messages are included as quoted text.",
    limit: "- The message exceeded a structural limit; the excess was removed.",
    truncated: "- The text was too long and was cut.",
    not_a_mail: "- The data received was not a readable mail; only the readable text is shown.",
    list_head: "Removed:",
    no_name: "(no name)",
    kind: "type",
    detected: "detected",
    mismatch: "⚠ the declared type or extension does not match the content",
    size: "size",
    bytes: "bytes",
    contents: "contents",
    more: "and {} more",
    encrypted_archive: "⚠ password-protected (encrypted) archive",
    position: "part",
    more_items: "…and {} more (see the administrator's log)",
    quarantine: "Original kept under ID: {} (ask your administrator if you need it)",
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
};

fn reason_index(r: RemovalReason) -> usize {
    match r {
        RemovalReason::Attachment => 0,
        RemovalReason::TextAttachment => 1,
        RemovalReason::Smuggled => 2,
        RemovalReason::Signature => 3,
        RemovalReason::Encrypted => 4,
        RemovalReason::Limit => 5,
        RemovalReason::Fragment => 6,
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Writes the notice for `report`. `quarantined` adds the quarantine id line.
pub fn render(report: &Report, policy: &Policy, quarantined: bool) -> String {
    let w = match policy.notice.language {
        Language::Ja => &JA,
        Language::En => &EN,
    };
    let mut out = String::new();
    out.push_str(w.title);
    out.push('\n');
    out.push_str(w.intro);
    out.push('\n');
    let has = |a: Action| report.actions.contains(&a);
    if has(Action::NotAMail) {
        out.push_str(w.not_a_mail);
        out.push('\n');
    }
    if has(Action::HtmlConverted) {
        out.push_str(w.html);
        out.push('\n');
    }
    if has(Action::HtmlFallback) {
        out.push_str(w.html_fallback);
        out.push('\n');
    }
    if !report.removed.is_empty() {
        out.push_str(&w.removed.replace("{}", &report.removed.len().to_string()));
        out.push('\n');
    }
    for (action, text) in [
        (Action::SmuggledRemoved, w.smuggled),
        (Action::SignatureRemoved, w.signature),
        (Action::EncryptedRemoved, w.encrypted),
        (Action::LinksDefanged, w.links_defanged),
        (Action::LinksRemoved, w.links_removed),
        (Action::ForwardRendered, w.forward),
        (Action::LimitReached, w.limit),
        (Action::TextTruncated, w.truncated),
    ] {
        if has(action) {
            out.push_str(text);
            out.push('\n');
        }
    }
    if !report.removed.is_empty() {
        out.push_str(w.list_head);
        out.push('\n');
        let max = policy.notice.max_items.max(1);
        for (i, item) in report.removed.iter().take(max).enumerate() {
            let name = item
                .name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(|n| visible_name(n, 60))
                .unwrap_or_else(|| w.no_name.to_owned());
            let _ = writeln!(
                out,
                "[{}] {}  ({}: {} {})",
                i + 1,
                name,
                w.position,
                item.path,
                w.reasons[reason_index(item.reason)]
            );
            let _ = writeln!(
                out,
                "    {}: {} / {}: {}",
                w.kind,
                visible_name(&item.declared_type, 90),
                w.detected,
                item.detected_type
            );
            if item.mismatch {
                let _ = writeln!(out, "    {}", w.mismatch);
            }
            let _ = writeln!(out, "    {}: {} {}", w.size, thousands(item.size), w.bytes);
            let _ = writeln!(out, "    SHA-256: {}", item.sha256);
            if !item.entries.is_empty() {
                let names: Vec<String> = item.entries.iter().map(|e| visible_name(e, 60)).collect();
                let _ = write!(out, "    {}: {}", w.contents, names.join(", "));
                if item.more_entries > 0 {
                    let _ = write!(
                        out,
                        " {}",
                        w.more.replace("{}", &item.more_entries.to_string())
                    );
                }
                out.push('\n');
            }
            if item.encrypted {
                let _ = writeln!(out, "    {}", w.encrypted_archive);
            }
        }
        if report.removed.len() > max {
            out.push_str(
                &w.more_items
                    .replace("{}", &(report.removed.len() - max).to_string()),
            );
            out.push('\n');
        }
    }
    if quarantined {
        out.push_str(&w.quarantine.replace("{}", report.quarantine_id()));
        out.push('\n');
    }
    out.push_str(w.end);
    out.push('\n');
    out
}
