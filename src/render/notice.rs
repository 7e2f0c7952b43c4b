//! The notice: what was done to the message and every removed item, in Japanese (default)
//! or English.

use std::fmt::Write as _;

use super::links::rewrite_text_urls;
use super::text::visible_name;
use crate::policy::{Language, Policy};
use crate::report::{Action, RemovalReason, Report};

struct Words {
    title: &'static str,
    intro: &'static str,
    html: &'static str,
    html_fallback: &'static str,
    hidden: &'static str,
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
};

const EN: Words = Words {
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

/// A name from the message (file name, archive entry, declared type) as the notice shows
/// it: controls and bidi overrides visible, shortened, and any link in it defanged (a file
/// named `www.evil.example.com` or `https://…` must not become a live link in the notice).
fn shown_name(name: &str, max: usize, policy: &Policy) -> String {
    let visible = visible_name(name, max);
    rewrite_text_urls(&visible, &policy.links).0.into_owned()
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
    if has(Action::HiddenRemoved) {
        out.push_str(w.hidden);
        out.push('\n');
    }
    if report.removed_count() > 0 {
        out.push_str(&w.removed.replace("{}", &report.removed_count().to_string()));
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
                .map(|n| shown_name(n, 60, policy))
                .unwrap_or_else(|| w.no_name.to_owned());
            let reason = w.reasons[reason_index(item.reason)];
            let _ = match policy.notice.language {
                Language::Ja => writeln!(
                    out,
                    "[{}] {}（{} {}・{}）",
                    i + 1,
                    name,
                    w.position,
                    item.path,
                    reason
                ),
                Language::En => writeln!(
                    out,
                    "[{}] {} ({} {}, {})",
                    i + 1,
                    name,
                    w.position,
                    item.path,
                    reason
                ),
            };
            let _ = writeln!(
                out,
                "    {}: {} / {}: {}",
                w.kind,
                shown_name(&item.declared_type, 90, policy),
                w.detected,
                item.detected_type
            );
            if item.mismatch {
                let _ = writeln!(out, "    {}", w.mismatch);
            }
            let _ = writeln!(out, "    {}: {} {}", w.size, thousands(item.size), w.bytes);
            let _ = writeln!(out, "    SHA-256: {}", item.sha256);
            if !item.entries.is_empty() {
                let names: Vec<String> = item
                    .entries
                    .iter()
                    .map(|e| shown_name(e, 60, policy))
                    .collect();
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
        let listed = report.removed.len().min(max);
        if report.removed_count() > listed {
            out.push_str(
                &w.more_items
                    .replace("{}", &(report.removed_count() - listed).to_string()),
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
