//! The deterministic bench corpus: generated here so that every run measures the same bytes.

#![allow(dead_code)]

use std::fmt::Write as _;

fn b64_lines(data: &[u8]) -> String {
    let enc = base64_simd::STANDARD.encode_to_string(data);
    let mut out = String::with_capacity(enc.len() + enc.len() / 38);
    for chunk in enc.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push_str("\r\n");
    }
    out
}

/// A simple deterministic byte generator (xorshift).
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.extend_from_slice(&seed.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// About 3 KB: a Japanese ISO-2022-JP text mail.
pub fn iso2022jp_text() -> Vec<u8> {
    let mut body = String::new();
    let mut i = 0;
    while body.len() < 2600 {
        i += 1;
        let _ = writeln!(
            body,
            "{i}. 市役所からのお知らせです。詳細は https://www.city.example.lg.jp/news/{i} をご覧ください。\r"
        );
    }
    let encoded = encoding_rs::ISO_2022_JP.encode(&body).0;
    let mut mail = b"From: =?ISO-2022-JP?B?GyRCO1RMcjFpGyhC?= <info@city.example.lg.jp>\r\nTo: user@lgwan.example\r\nSubject: =?ISO-2022-JP?B?GyRCJCpDTiRpJDsbKEI=?=\r\nDate: Mon, 23 Nov 2026 10:00:00 +0900\r\nMessage-ID: <bench-3k@example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".to_vec();
    mail.extend_from_slice(&encoded);
    mail
}

/// About 50 KB of HTML: a newsletter with tables, lists, links and cid images.
pub fn newsletter_html() -> String {
    let mut html = String::from(
        "<html><head><style>body{font-family:sans-serif} .hide{display:none}</style><title>News</title></head><body>",
    );
    let mut i = 0;
    while html.len() < 50_000 {
        i += 1;
        let _ = write!(
            html,
            "<h2>第{i}号 お知らせ</h2><p>いつもご利用ありがとうございます。<a href=\"https://news.example.com/articles/{i}?utm_source=mail\">記事{i}を読む</a></p>\
             <table border=\"1\"><tr><th>品目</th><th>価格</th><th>在庫</th></tr><tr><td>商品A-{i}</td><td>1,200円</td><td>あり</td></tr><tr><td>商品B-{i}</td><td>980円</td><td>なし</td></tr></table>\
             <ul><li>ポイント{i}倍</li><li><a href=\"https://shop.example.com/{i}\">ショップへ</a></li></ul><img src=\"cid:img{i}@example\" alt=\"画像{i}\">"
        );
    }
    html.push_str("</body></html>");
    html
}

/// The newsletter as a multipart/related mail with two small inline images.
pub fn newsletter_mail() -> Vec<u8> {
    let html = newsletter_html();
    let mut mail = String::from(
        "From: news@example.com\r\nTo: user@lgwan.example\r\nSubject: =?UTF-8?B?44OL44Ol44O844K544Os44K/44O8?=\r\nMessage-ID: <bench-50k@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n--rel\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    mail.push_str(&b64_lines(html.as_bytes()));
    for n in 1..=2 {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(noise(2000, n));
        let _ = write!(
            mail,
            "--rel\r\nContent-Type: image/png\r\nContent-ID: <img{n}@example>\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            b64_lines(&png)
        );
    }
    mail.push_str("--rel--\r\n");
    mail.into_bytes()
}

/// About 5 MB: a short text with a base64 PDF attachment.
pub fn attachment_mail() -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(noise(3_700_000, 42));
    let mut mail = String::from(
        "From: sender@example.jp\r\nTo: user@lgwan.example\r\nSubject: =?UTF-8?B?6LOH5paZ44KS6YCB44KK44G+44GZ?=\r\nMessage-ID: <bench-5m@example.jp>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n資料を送ります。よろしくお願いします。\r\n--mix\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?6LOH5paZLnBkZg==?=\"\r\nContent-Disposition: attachment; filename*=UTF-8''%E8%B3%87%E6%96%99.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    mail.push_str(&b64_lines(&pdf));
    mail.push_str("--mix--\r\n");
    mail.into_bytes()
}

/// A Shift_JIS text mail of about `size` bytes.
fn sjis_text(n: u64, size: usize) -> Vec<u8> {
    let mut body = String::new();
    while body.len() < size {
        let _ = writeln!(
            body,
            "第{n}回 会議のご案内です。資料は共有フォルダにあります。①②③\r"
        );
    }
    let mut mail = format!(
        "From: sjis{n}@example.co.jp\r\nTo: user@lgwan.example\r\nSubject: =?Shift_JIS?B?ie+Jj4LMgrKIxJPg?=\r\nMessage-ID: <mix-sjis-{n}@example.co.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    mail.extend_from_slice(&encoding_rs::SHIFT_JIS.encode(&body).0);
    mail
}

/// An HTML-only mail (no text alternative).
fn html_only(n: u64) -> Vec<u8> {
    let mut html = String::from("<html><body>");
    for i in 0..40 {
        let _ = write!(
            html,
            "<p>お知らせ {n}-{i}: <a href=\"https://example.com/{n}/{i}\">詳しくはこちら</a></p><ul><li>項目A</li><li>項目B</li></ul>"
        );
    }
    html.push_str("</body></html>");
    format!(
        "From: html{n}@example.com\r\nTo: user@lgwan.example\r\nSubject: html only {n}\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
        String::from_utf8(mugai::rebuild::quoted_printable(&html, "\r\n")).unwrap()
    )
    .into_bytes()
}

/// A text mail with one attachment of `size` bytes.
fn with_attachment(n: u64, size: usize) -> Vec<u8> {
    let mut data = if n.is_multiple_of(2) {
        b"%PDF-1.5\n".to_vec()
    } else {
        b"PK\x03\x04".to_vec()
    };
    data.extend(noise(size, n + 7));
    format!(
        "From: att{n}@example.jp\r\nTo: user@lgwan.example\r\nSubject: =?UTF-8?B?5re75LuY44OV44Kh44Kk44Or?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m{n}\"\r\n\r\n--m{n}\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n{}\r\n--m{n}\r\nContent-Type: application/octet-stream; name=\"file{n}.{}\"\r\nContent-Disposition: attachment; filename=\"file{n}.{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--m{n}--\r\n",
        String::from_utf8_lossy(&encoding_rs::ISO_2022_JP.encode("添付ファイルを送付します。").0),
        if n.is_multiple_of(2) { "pdf" } else { "zip" },
        if n.is_multiple_of(2) { "pdf" } else { "zip" },
        b64_lines(&data)
    )
    .into_bytes()
}

/// A forward of a text mail with an attachment.
fn forward(n: u64) -> Vec<u8> {
    let inner = with_attachment(n, 10_000);
    let mut mail = format!(
        "From: fwd{n}@example.jp\r\nTo: user@lgwan.example\r\nSubject: Fwd: {n}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"f{n}\"\r\n\r\n--f{n}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n転送します。\r\n--f{n}\r\nContent-Type: message/rfc822\r\n\r\n"
    )
    .into_bytes();
    mail.extend_from_slice(&inner);
    mail.extend_from_slice(format!("\r\n--f{n}--\r\n").as_bytes());
    mail
}

/// 300 mails in a fixed mix: ISO-2022-JP and Shift_JIS text, newsletters, HTML-only mails,
/// attachments from 10 KB to 2 MB, forwards.
pub fn mix() -> Vec<Vec<u8>> {
    let newsletter = newsletter_mail();
    let text = iso2022jp_text();
    (0..300u64)
        .map(|n| match n % 10 {
            0..=2 => text.clone(),
            3 => sjis_text(n, 2000 + (n as usize % 7) * 1000),
            4 => newsletter.clone(),
            5 => html_only(n),
            6 | 7 => with_attachment(n, 10_000 + (n as usize * 7919) % 200_000),
            8 => with_attachment(n, if n % 30 == 8 { 2_000_000 } else { 400_000 }),
            _ => forward(n),
        })
        .collect()
}
