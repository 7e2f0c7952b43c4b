#!/usr/bin/env python3
"""Generate testdata/charsets/: ISO-2022-JP as real mailers write it (issue 20, item 5).

encoding_rs follows the WHATWG rule that turns two escape sequences back to back into U+FFFD;
mail software (iconv, Python) reads them, and so must mugai. Each case is a mail plus a facts
file in the format of testdata/README.md; every case also says `absent = ["\\uFFFD"]`: no
replacement character may appear in the output. The generator checks every marker against
Python's reading of the bytes (codec named per case; SO/SI katakana by its CP50221 meaning).

Standard library only and deterministic: running it twice gives byte-identical files.

    python3 testdata/gen_charsets.py           # write testdata/charsets/, then verify
    python3 testdata/gen_charsets.py --check   # verify what is on disk
"""

from __future__ import annotations

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "charsets"
ESC = b"\x1b"
TO_ASCII, TO_JIS = ESC + b"(B", ESC + b"$B"


def jis(text: str) -> bytes:
    """`text` in plain ISO-2022-JP, ending in ASCII."""
    return text.encode("iso2022_jp")


def pairs(*runs: str) -> bytes:
    """Japanese runs, each closed with ESC ( B and the next opened at once with ESC $ B: the
    escape pair WHATWG rejects."""
    return b"".join(jis(r) for r in runs)


def so_si_katakana(text: str) -> bytes:
    """Half-width katakana between SO and SI (CP50221)."""
    return b"\x0e" + bytes(ord(c) - 0xFF61 + 0x21 for c in text) + b"\x0f"


def read_so_si(data: bytes) -> str:
    """Python has no SO/SI katakana: read it as CP50221 does, for the check."""
    out, shifted = [], False
    for b in data:
        if b == 0x0E:
            shifted = True
        elif b == 0x0F:
            shifted = False
        elif shifted and 0x21 <= b <= 0x5F:
            out.append(chr(b - 0x21 + 0xFF61))
        else:
            out.append(chr(b))
    return "".join(out)


def mail(subject: bytes, body: bytes, charset: str = "ISO-2022-JP") -> bytes:
    head = (
        b"From: sender@example.jp\r\nTo: user@city.example.lg.jp\r\n"
        b"Subject: " + subject + b"\r\nDate: Mon, 30 Nov 2026 09:00:00 +0900\r\n"
        b"Message-ID: <charsets@example.jp>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    )
    return head + body.replace(b"\n", b"\r\n")


def encoded_word(data: bytes) -> bytes:
    import base64

    return b"=?ISO-2022-JP?B?" + base64.b64encode(data) + b"?="


# (name, description, subject bytes, body bytes, markers, subject text, codec for the check)
CASES = [
    (
        "escape-pairs-body",
        "ISO-2022-JP body with ESC ( B ESC $ B back to back between runs (Becky!, old Outlook)",
        b"escape pairs",
        b"A" + pairs("ああ", "あ") + b"Z\n" + pairs("会議室", "予約") + b" MARKER-C01\n",
        ["AあああZ", "会議室予約", "MARKER-C01"],
        "escape pairs",
        "iso2022_jp",
    ),
    (
        "escape-pairs-subject",
        "RFC 2047 subject whose ISO-2022-JP holds an escape pair, body in plain ISO-2022-JP",
        encoded_word(pairs("定期", "保守")),
        jis("定期保守のお知らせ") + b" MARKER-C02\n",
        ["定期保守のお知らせ", "MARKER-C02"],
        "定期保守",
        "iso2022_jp",
    ),
    (
        "raw-jis-subject-pairs",
        "raw (unencoded) ISO-2022-JP Subject with an escape pair",
        pairs("無害化", "試験"),
        jis("本文です") + b" MARKER-C03\n",
        ["本文です", "MARKER-C03"],
        "無害化試験",
        "iso2022_jp",
    ),
    (
        "jis-x0201-katakana",
        "half-width katakana designated with ESC ( I (ISO-2022-JP-3 / CP50222)",
        b"katakana",
        "ｶﾀｶﾅ".encode("iso2022_jp_ext") + jis("です") + b" MARKER-C04\n",
        ["ｶﾀｶﾅです", "MARKER-C04"],
        "katakana",
        "iso2022_jp_ext",
    ),
    (
        "jis-x0212",
        "JIS X 0212 kanji designated with ESC $ ( D (ISO-2022-JP-1)",
        b"jis x 0212",
        jis("漢字") + "丂".encode("iso2022_jp_1") + b" MARKER-C05\n",
        ["漢字丂", "MARKER-C05"],
        "jis x 0212",
        "iso2022_jp_1",
    ),
    (
        "so-si-katakana",
        "half-width katakana between SO and SI (CP50221)",
        b"so si",
        b"kana: " + so_si_katakana("ﾃｽﾄ") + b" MARKER-C06\n",
        ["kana: ﾃｽﾄ", "MARKER-C06"],
        "so si",
        None,
    ),
]


def facts(description: str, markers: list[str], subject: str) -> str:
    q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [f"description = {q(description)}", "markers = ["]
    lines += [f"  {q(m)}," for m in markers]
    lines += ["]", f"subject = {q(subject)}", 'absent = ["\\uFFFD"]', ""]
    return "\n".join(lines)


def check(name: str, body: bytes, markers: list[str], codec: str | None) -> None:
    text = body.decode(codec) if codec else read_so_si(body)
    for m in markers:
        if m not in text:
            sys.exit(f"{name}: marker {m!r} not in Python's reading {text!r}")


def main() -> None:
    only_check = "--check" in sys.argv[1:]
    OUT.mkdir(exist_ok=True)
    for nn, (name, description, subject, body, markers, subj, codec) in enumerate(CASES, 1):
        check(name, body, markers, codec)
        stem = OUT / f"{nn:02d}-{name}"
        eml, toml = mail(subject, body), facts(description, markers, subj)
        if only_check:
            if stem.with_suffix(".eml").read_bytes() != eml:
                sys.exit(f"{stem}.eml differs from the generator")
            if stem.with_suffix(".toml").read_text(encoding="utf-8") != toml:
                sys.exit(f"{stem}.toml differs from the generator")
        else:
            stem.with_suffix(".eml").write_bytes(eml)
            stem.with_suffix(".toml").write_text(toml, encoding="utf-8")
    print(f"{len(CASES)} cases ok in {OUT}")


if __name__ == "__main__":
    main()
