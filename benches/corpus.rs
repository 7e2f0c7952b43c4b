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
