#!/usr/bin/env python3
"""Generate the testdata groups for headers as a carrier, live links and hidden HTML.

Writes ``testdata/headers/``, ``testdata/links/`` and ``testdata/hidden/``: one
``NN-name.eml`` and one facts file ``NN-name.toml`` per case (format: testdata/README.md).
Standard library only and deterministic: running it twice gives byte-identical files.

    python3 testdata/gen_links.py
"""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import io
import json
import pathlib
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
GROUPS: dict[str, list] = {"headers": [], "links": [], "hidden": []}


def case(group: str):
    def register(fn):
        GROUPS[group].append(fn)
        return fn
    return register


def b64w(text: str) -> str:
    """One RFC 2047 B-encoded word (UTF-8)."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode() + "?="


def head(subject: str, extra: list[str] | None = None, sender: str = "sender@example.jp") -> list[str]:
    lines = [
        f"From: {sender}",
        "To: staff@city.example.lg.jp",
        f"Subject: {subject}",
        "Date: Mon, 01 Jul 2024 10:00:00 +0900",
        "Message-ID: <links-case@example.jp>",
    ]
    return lines + (extra or [])


def text_mail(subject: str, body: str, extra: list[str] | None = None, sender: str = "sender@example.jp") -> bytes:
    lines = head(subject, extra, sender) + [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
    ]
    enc = base64.encodebytes(body.encode("utf-8")).decode().splitlines()
    return ("\r\n".join(lines + enc) + "\r\n").encode("utf-8")


def html_mail(subject: str, html: str) -> bytes:
    lines = head(subject) + [
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
    ]
    enc = base64.encodebytes(html.encode("utf-8")).decode().splitlines()
    return ("\r\n".join(lines + enc) + "\r\n").encode("utf-8")


def mixed_mail(subject: str, body: str, parts: list[tuple[str, str, bytes]]) -> bytes:
    """text/plain + attachments given as (content-type, disposition params, data)."""
    b = "links-boundary-0001"
    out = head(subject) + [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{b}"',
        "",
        f"--{b}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
    ] + base64.encodebytes(body.encode()).decode().splitlines()
    for ctype, disp, data in parts:
        out += [f"--{b}", f"Content-Type: {ctype}", f"Content-Disposition: attachment; {disp}",
                "Content-Transfer-Encoding: base64", ""]
        out += base64.encodebytes(data).decode().splitlines()
    out.append(f"--{b}--")
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def pe(token: str) -> bytes:
    """A small PE-looking executable carrying `token`."""
    return (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00"
            + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 7
            + b"PE\x00\x00" + token.encode() + b"\x00" * 64)


def zip_of(names: list[str], token: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for n in names:
            info = zipfile.ZipInfo(n, date_time=(2024, 7, 1, 10, 0, 0))
            z.writestr(info, token.encode() + b" " + n.encode())
    return buf.getvalue()


def facts(description: str, **kw) -> dict:
    return {"description": description, **kw}


# --------------------------------------------------------------------------------------------
# headers/: header fields as a carrier
# --------------------------------------------------------------------------------------------


@case("headers")
def x_fields_carry_pe():
    token = "PAYLOAD-H01-XFIELD-PE-5d2e"
    blob = base64.b64encode(pe(token)).decode()
    chunks = [blob[i:i + 60] for i in range(0, len(blob), 60)]
    extra = [f"X-Data-{i + 1:02d}: {c}" for i, c in enumerate(chunks)]
    return text_mail("定例会議の資料", "ヘッダー試験本文H01です。\n", extra), facts(
        "A PE executable in base64 spread over custom X-Data-NN fields: every field off the allow-list is removed",
        markers=["ヘッダー試験本文H01"], payloads=[token], absent=["X-Data-01", "TVqQ"])


@case("headers")
def list_fields_are_buttons():
    extra = [
        "List-Unsubscribe: <https://unsub.evil.example.com/u?id=H02>, <mailto:unsub@evil.example.com>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "List-Help: <https://help.evil.example.com/H02>",
        "List-Id: <news.evil.example.com>",
    ]
    return text_mail("メールマガジン", "ヘッダー試験本文H02です。\n", extra), facts(
        "List-Unsubscribe / List-Help URLs (rendered as buttons by mail clients) are removed",
        markers=["ヘッダー試験本文H02"], absent=["List-Unsubscribe", "List-Help", "unsub.evil", "help.evil"])


@case("headers")
def receipt_requests_removed():
    extra = [
        "Disposition-Notification-To: https://receipt.evil.example.com/H03",
        "Return-Receipt-To: tracker@evil.example.com",
        "X-Confirm-Reading-To: tracker@evil.example.com",
    ]
    return text_mail("開封確認のお願い", "ヘッダー試験本文H03です。\n", extra), facts(
        "Disposition-Notification-To with a URL and other read-receipt requests are removed",
        markers=["ヘッダー試験本文H03"], absent=["Disposition-Notification-To", "Return-Receipt-To", "receipt.evil"])


@case("headers")
def subject_encoded_crlf():
    subject = "請求書のご案内\r\nBcc: victim@example.jp"
    return text_mail(b64w(subject), "ヘッダー試験本文H04です。\n"), facts(
        "An RFC 2047 Subject that decodes to CR/LF and an injected Bcc line: the controls are shown as marks",
        markers=["ヘッダー試験本文H04"], subject="請求書のご案内[U+000D][U+000A]Bcc: victim@example.jp")


@case("headers")
def subject_bidi_override():
    subject = "支払明細\u202exlsx.exe\u200b"
    return text_mail(b64w(subject), "ヘッダー試験本文H05です。\n"), facts(
        "An RFC 2047 Subject with U+202E RIGHT-TO-LEFT OVERRIDE and a zero-width space: made visible",
        markers=["ヘッダー試験本文H05"], subject="支払明細[U+202E]xlsx.exe[U+200B]")


@case("headers")
def from_encoded_newline():
    word = b64w("経理部\nX-Injected: yes")
    return text_mail("経費精算", "ヘッダー試験本文H06です。\n", sender=f"{word} <keiri@example.jp>"), facts(
        "A From display name whose encoded word decodes to LF and a fake header: never copied as it is",
        markers=["ヘッダー試験本文H06"], absent=[word])


@case("headers")
def subject_with_url():
    return text_mail("至急確認 https://evil.example.com/login?h=06", "ヘッダー試験本文H07です。\n"), facts(
        "A URL in the Subject is defanged like the body's",
        markers=["ヘッダー試験本文H07"], subject="至急確認 hxxps://evil[.]example[.]com/login?h=06",
        absent=["https://evil"])


@case("headers")
def signatures_and_client_fields_removed():
    extra = [
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.jp; s=sel; bh=H08H08H08=; b=H08sig",
        "ARC-Seal: i=1; a=rsa-sha256; d=example.jp; s=arc; b=H08arc",
        "Thread-Index: AdrH08VGhlYWRlcnM=",
        "X-Mailer: EvilMailer 1.0 (www.mailer.evil.example.com)",
        "User-Agent: EvilAgent/8.0",
    ]
    return text_mail("署名付きメール", "ヘッダー試験本文H08です。\n", extra), facts(
        "DKIM-Signature/ARC-Seal (broken by the rebuild), Thread-Index, X-Mailer and User-Agent are removed",
        markers=["ヘッダー試験本文H08"], absent=["DKIM-Signature", "ARC-Seal", "Thread-Index", "X-Mailer", "User-Agent"])


@case("headers")
def reply_to_display_link():
    extra = ['Reply-To: "www.support.evil.example.com" <support@evil.example.com>']
    return text_mail("サポート窓口", "ヘッダー試験本文H09です。\n", extra), facts(
        "A www. host as the Reply-To display name is defanged (the address itself stays usable)",
        markers=["ヘッダー試験本文H09"], absent=["www.support"])


@case("headers")
def cc_unc_and_file_link():
    extra = ['Cc: "\\\\\\\\fileserver\\\\share" <share@example.jp>, "file://nas.example.jp/x" <nas@example.jp>']
    return text_mail("共有フォルダ", "ヘッダー試験本文H10です。\n", extra), facts(
        "A UNC path and a file:// URL as Cc display names are defanged",
        markers=["ヘッダー試験本文H10"], absent=["file://", "\\\\fileserver"])


@case("headers")
def subject_encoded_word_hides_base64_pe():
    token = "PAYLOAD-H11-SUBJECT-PE-e03b"
    blob = base64.b64encode(pe(token)).decode()
    inner = "見積書の送付\n" + "\n".join(blob[i:i + 64] for i in range(0, len(blob), 64)) + "\n"
    return text_mail(b64w(inner), "ヘッダー試験本文H11です。\n"), facts(
        "An RFC 2047 Subject that decodes to lines of base64 holding a PE: cut out and listed like an attachment",
        markers=["ヘッダー試験本文H11", "header:Subject"], payloads=[token], min_removed=1, changed=True)


# --------------------------------------------------------------------------------------------
# links/: links that stay live
# --------------------------------------------------------------------------------------------


@case("links")
def scheme_in_query_text():
    return text_mail("ログインのお願い", "下記からログインしてください。\nwww.evil.example/login?next=https://city.example.lg.jp/\n"), facts(
        "www. URL whose query holds https:// (the old defang split at the first ://)",
        markers=["www[.]evil[.]example/login?next=hxxps://city[.]example[.]lg[.]jp/"],
        absent=["https://", "www.evil"])


@case("links")
def scheme_in_query_html_deceptive():
    html = ('<html><body><p>市のサイト: <a href="https://evil.example.com/phish?L02=1">'
            'www.city.example.lg.jp/?ref=https://evil.example.com/</a></p><p>リンク試験L02</p></body></html>')
    return html_mail("市からのお知らせ", html), facts(
        "HTML link whose text is a www. address with https:// in its query, pointing elsewhere: defanged, and still warned about",
        markers=["リンク試験L02", "hxxps://evil[.]example[.]com/phish?L02=1", "表示されているアドレスと実際のリンク先が異なります"],
        absent=["https://", "www.city"])


@case("links")
def idn_host():
    return text_mail("IDN", "リンク試験L03\nhttps://例え.テスト/login と https://ドメイン名例。jp/ を確認\n"), facts(
        "IDN hosts (Japanese labels, ideographic full stop as dot): the old scanner stopped at the first non-ASCII character",
        markers=["リンク試験L03", "hxxps://例え[.]テスト/login", "hxxps://ドメイン名例[.]jp/"], absent=["https://"])


@case("links")
def zero_width_in_url():
    return text_mail("ZW", "リンク試験L04\nhttps://evil.exa\u200bmple.com/pay\u200b/now と www.zw\u200b-evil.example.com\n"), facts(
        "Zero-width spaces inside URLs: the whole host is defanged, not only the part before U+200B",
        markers=["リンク試験L04", "hxxps://evil[.]exa\u200bmple[.]com/pay"], absent=["https://", "mple.com", "www.zw", "example.com"])


@case("links")
def fullwidth_host():
    return text_mail("全角", "リンク試験L05\nhttps://ｅｖｉｌ．ｅｘａｍｐｌｅ．com/ｌｏｇｉｎ\n"), facts(
        "Full-width letters and full stops in a host (browsers read them as ASCII)",
        markers=["リンク試験L05", "hxxps://ｅｖｉｌ[.]ｅｘａｍｐｌｅ[.]com/ｌｏｇｉｎ"], absent=["https://"])


@case("links")
def file_and_unc():
    return text_mail("共有", "リンク試験L06\nfile://fileserver.example.lg.jp/share/run.exe\n\\\\fileserver\\share\\run.exe\n"), facts(
        "file:// URL and UNC path in text",
        markers=["リンク試験L06", "file[:]//fileserver[.]example[.]lg[.]jp/share/run.exe", "[\\\\]fileserver\\share\\run.exe"],
        absent=["file://", "\\\\fileserver"])


@case("links")
def smb_webcal_javascript():
    return text_mail("予定表", "リンク試験L07\nsmb://nas.example.jp/pub\nwebcal://cal.evil.example.com/x.ics\njavascript:alert(document.cookie)\n"), facts(
        "smb://, webcal:// and javascript: in text",
        markers=["リンク試験L07", "smb[:]//nas[.]example[.]jp/pub", "webcal[:]//cal[.]evil[.]example[.]com/x.ics", "javascript[:]alert"],
        absent=["smb://", "webcal://", "javascript:"])


@case("links")
def ftp_host_and_backslash_scheme():
    return text_mail("FTP", "リンク試験L08\nftp.example.jp/pub/tool.exe\nhttps:\\\\evil.example.com\\login\n"), facts(
        "A bare ftp. host and https:\\\\ with backslashes (browsers read them as slashes)",
        markers=["リンク試験L08", "ftp[.]example[.]jp/pub/tool.exe", "hxxps://evil[.]example[.]com\\login"],
        absent=["ftp.example", "https:"])


@case("links")
def half_defanged_by_sender():
    return text_mail("注意喚起", "リンク試験L09\n不審なサイト hxxps://evil.example.com/ と hxxp://www.evil.example.net/a\n"), facts(
        "hxxps:// with real dots (half defanged by the sender) is completed",
        markers=["リンク試験L09", "hxxps://evil[.]example[.]com/", "hxxp://www[.]evil[.]example[.]net/a"],
        absent=["evil.example"])


@case("links")
def attachment_name_with_host():
    token = "PAYLOAD-L10-ATTACH-9c41"
    return mixed_mail("請求書送付", "リンク試験L10\n", [
        ("application/octet-stream", 'filename="請求書_www.evil.example.com.exe"', pe(token)),
    ]), facts(
        "An attachment name holding a www. host: listed in the notice, defanged",
        markers=["リンク試験L10", "請求書_www[.]evil[.]example[.]com[.]exe"], listed=["請求書_"],
        payloads=[token], absent=["www.evil"])


@case("links")
def zip_entry_names_with_links():
    token = "PAYLOAD-L11-ZIPENTRY-4b7a"
    data = zip_of(["www.zip-entry.example.com.exe", "smb_nas.example.jp.bat"], token)
    data2 = zip_of(["\\\\zipnas\\share\\run.exe"], token + "-2")
    return mixed_mail("圧縮ファイル", "リンク試験L11\n", [
        ("application/zip", 'filename="files.zip"', data),
        ("application/zip", 'filename="unc.zip"', data2),
    ]), facts(
        "Zip entry names holding a www. host and a UNC path: listed in the notice, defanged",
        markers=["リンク試験L11", "www[.]zip-entry[.]example[.]com[.]exe", "[\\\\]zipnas\\share"], listed=["files.zip", "unc.zip"],
        payloads=[token], absent=["www.zip-entry", "\\\\zipnas"])


@case("links")
def forwarded_headers():
    inner = "\r\n".join([
        'From: "www.fwd-evil.example.com" <fwd@example.jp>',
        "To: someone@example.jp",
        "Subject: 見積 https://fwd.evil.example.com/quote",
        "Date: Sun, 30 Jun 2024 09:00:00 +0900",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "転送元の本文L12です。",
        "",
    ])
    b = "links-fwd-0001"
    raw = "\r\n".join(head("Fwd: 見積") + [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{b}"',
        "",
        f"--{b}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "リンク試験L12",
        f"--{b}",
        "Content-Type: message/rfc822",
        "",
        inner,
        f"--{b}--",
        "",
    ]).encode("utf-8")
    return raw, facts(
        "A forwarded message whose From display name and Subject hold links: the rendered headers are defanged",
        markers=["リンク試験L12", "転送元の本文L12", "hxxps://fwd[.]evil[.]example[.]com/quote", "www[.]fwd-evil[.]example[.]com"],
        absent=["https://fwd", "www.fwd-evil"])


@case("links")
def html_unc_link_text():
    html = ('<p>リンク試験L13</p><p><a href="file://nas.example.jp/share/x.exe">\\\\nas.example.jp\\share\\x.exe</a></p>'
            '<p><a href="smb://nas2.example.jp/s">smb://nas2.example.jp/s</a></p>')
    return html_mail("共有フォルダ", html), facts(
        "HTML links to file:// and smb:// whose text is a UNC path or the URL itself",
        markers=["リンク試験L13", "[\\\\]nas[.]example[.]jp\\share"], absent=["\\\\nas", "smb://", "file://"])


# --------------------------------------------------------------------------------------------
# hidden/: hidden HTML
# --------------------------------------------------------------------------------------------


def hidden_case(nn: str, description: str, body: str, extra_payloads: list[str] | None = None):
    token = f"PAYLOAD-{nn}-HIDDEN-TEXT"
    html = ("<html><head><title>t</title></head><body>"
            f"<p>見える文章{nn}前</p>{body.replace('TOKEN', token)}<p>見える文章{nn}後</p></body></html>")
    return html_mail("お知らせ", html), facts(
        description, markers=[f"見える文章{nn}前", f"見える文章{nn}後"],
        payloads=[token] + (extra_payloads or []), changed=True)


@case("hidden")
def hidden_attribute():
    return hidden_case("D01", "Element with the hidden attribute", "<div hidden><p>TOKEN</p></div>")


@case("hidden")
def hidden_table_cell():
    return hidden_case("D02", "A table cell with the hidden attribute (and a <template> beside it)",
                       "<table><tr><td hidden>TOKEN</td><td>表の中身D02</td></tr></table><template>x</template>")


@case("hidden")
def class_visibility_hidden():
    return hidden_case("D03", "A class hidden by a <style> rule (visibility:hidden; display:none is already honoured by the converter)",
                       "<style>.pre-header { visibility: hidden; }</style><div class=\"x pre-header\">TOKEN</div>")


@case("hidden")
def inline_visibility_hidden():
    return hidden_case("D04", "Inline visibility:hidden", "<span style=\"visibility:hidden\">TOKEN</span>")


@case("hidden")
def inline_font_size_zero():
    return hidden_case("D05", "Inline font-size:0 (filter evasion text)", "<div style=\"font-size:0px;color:#fff\">TOKEN</div>")


@case("hidden")
def malformed_script():
    return hidden_case("D06", "Malformed script tag <scr<script>ipt>", "<scr<script>ipt>TOKEN</script>")


@case("hidden")
def nested_script():
    return hidden_case("D07", "Nested script: text after the inner </script> is still script",
                       "<script>var a='<script>x</script>';TOKEN</script>")


@case("hidden")
def opacity_and_mso_hide():
    return hidden_case("D08", "opacity:0 and mso-hide:all",
                       "<div style=\"opacity:0\">TOKEN</div><div style=\"mso-hide:all\">PAYLOAD-D08-MSO-HIDE-TEXT</div>",
                       ["PAYLOAD-D08-MSO-HIDE-TEXT"])


@case("hidden")
def id_visibility_hidden():
    return hidden_case("D09", "An id hidden by a <style> rule (visibility:hidden)",
                       "<style>#secret{visibility:hidden}</style><p id=\"secret\">TOKEN</p>")


@case("hidden")
def offscreen_position():
    return hidden_case("D10", "Text moved off-screen: position:absolute;left:-9999px and text-indent:-9999px",
                       "<div style=\"position:absolute;left:-9999px\">TOKEN</div>"
                       "<p style=\"text-indent:-9999px\">PAYLOAD-D10-TEXT-INDENT-TEXT</p>",
                       ["PAYLOAD-D10-TEXT-INDENT-TEXT"])


@case("hidden")
def class_font_size_zero_and_mso_hide():
    return hidden_case("D13", "Classes hidden by <style> rules with font-size:0 and mso-hide:all",
                       "<style>.tiny{font-size:0} .outlook-only{mso-hide:all}</style>"
                       "<span class=tiny>TOKEN</span><div class=\"outlook-only\">PAYLOAD-D13-MSO-CLASS-TEXT</div>",
                       ["PAYLOAD-D13-MSO-CLASS-TEXT"])


@case("hidden")
def noscript_element():
    return hidden_case("D11", "<noscript> content is dropped", "<noscript><p>TOKEN</p></noscript>")


@case("hidden")
def hidden_in_fallback_path():
    deep = "<div>" * 300 + "深い入れ子D12" + "</div>" * 300
    return hidden_case("D12", "HTML nested deeper than the converter's limit (fallback extractor) with a visibility:hidden span",
                       deep + "<span style=\"visibility:hidden\">TOKEN</span>")


# --------------------------------------------------------------------------------------------


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return "[\n" + "".join(f"  {toml_value(x)},\n" for x in v) + "]"


def write_facts(path: pathlib.Path, f: dict) -> None:
    order = ["description", "markers", "listed", "payloads", "subject", "absent", "min_removed", "changed"]
    lines = [f"{k} = {toml_value(f[k])}" for k in order if k in f]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def present(raw: bytes, token: bytes) -> bool:
    """Whether `token` is really in the mail: raw, in a decoded part, or in the base64 spread
    over X-Data fields; so that a payload fact is never vacuous."""
    if token in raw:
        return True
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in msg.walk():
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and token in data:
            return True
    spread = "".join(v for k, v in msg.items() if k.startswith("X-Data-"))
    if spread and token in base64.b64decode(spread):
        return True
    subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
    lines = [l for l in subject.splitlines() if len(l) >= 40]
    return bool(lines) and token in base64.b64decode("".join(lines))


def main() -> None:
    for group, cases in GROUPS.items():
        out = HERE / group
        out.mkdir(exist_ok=True)
        for old in out.glob("*"):
            old.unlink()
        for n, fn in enumerate(cases, 1):
            raw, f = fn()
            name = f"{n:02d}-{fn.__name__.replace('_', '-')}"
            (out / f"{name}.eml").write_bytes(raw)
            write_facts(out / f"{name}.toml", f)
            for p in f.get("payloads", []):
                assert present(raw, p.encode()), (name, p)
        print(f"{group}: {len(cases)} cases")


if __name__ == "__main__":
    main()
