#!/usr/bin/env python3
"""Writes the adversarial input families of issue 11 ("bombs") at a given size.

Usage: scripts/bombs.py OUT_DIR SIZE_MB [FAMILY...]
Writes OUT_DIR/FAMILY-SIZEmb.eml for each family (all of them when none is named).
Deterministic, Python standard library only. tests/bounds.rs, benches/bombs.rs and
fuzz/fuzz_targets/bombs.rs build the same families in Rust.
"""

import os
import sys

HEAD = b"From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: bomb\r\n"
HTML = HEAD + b"Content-Type: text/html; charset=utf-8\r\n\r\n"
TEXT = HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\n"


def fill(prefix, unit, size, suffix=b""):
    """prefix + unit repeated up to size bytes + suffix; a '#' in the unit becomes the
    repetition's number."""
    if b"#" not in unit:
        n = max(1, (size - len(prefix) - len(suffix)) // len(unit))
        return prefix + unit * n + suffix
    parts, total, i = [prefix], len(prefix) + len(suffix), 0
    while True:
        u = unit.replace(b"#", str(i).encode())
        if total + len(u) > size and i > 0:
            break
        parts.append(u)
        total += len(u)
        i += 1
    parts.append(suffix)
    return b"".join(parts)


def families(size):
    return {
        # A header field of encoded-word starts that never close.
        "encoded-words": lambda: fill(
            b"From: a@example.jp\r\nSubject: bomb\r\nMessage-ID: ", b"=?a?B?Q", size,
            b"\r\n\r\nbody\r\n"),
        # HTML full of '&' without ';' (over the size guard from 4 MB on).
        "amp": lambda: fill(HTML + b"<p>", b"a&b ", size),
        # The same text forced into the fallback extractor by nesting.
        "amp-nested": lambda: fill(HTML + b"<div>" * 300, b"a&b ", size),
        # <div/> does not close a div in HTML: deep nesting behind a self-closing look.
        "div-selfclose": lambda: fill(HTML, b"<div/>", size),
        # Unmatched end tags do not pop.
        "div-unmatched": lambda: fill(HTML, b"<div></x>", size),
        # One element with a huge number of distinct attributes.
        "attributes": lambda: fill(HTML + b"<p ", b"a#=1 ", size, b">x</p>"),
        # One table row with a huge number of cells.
        "table-cells": lambda: fill(HTML + b"<table><tr>", b"<td>a</td>", size,
                                    b"</tr></table>"),
        # Dense small elements under the size guard (html2text needs ~1.3 KB per node).
        "dense-p": lambda: fill(HTML, b"<p>a", size),
        # Text of letters that could start a URL in one case only ("W..."), while the
        # other case's next candidate is far away.
        "url-letters": lambda: fill(TEXT, b"W", size, b"\r\nwww.example.jp\r\n"),
        # uuencode begin lines without end.
        "uu-noend": lambda: fill(TEXT, b"begin 644 a.bin\r\nM86)C\r\n", size),
        # Many empty uuencode blocks (each one a removed item).
        "uu-empty": lambda: fill(TEXT, b"begin 644 a\r\n`\r\nend\r\n", size),
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, mb = sys.argv[1], float(sys.argv[2])
    size = int(mb * 1024 * 1024)
    fams = families(size)
    names = sys.argv[3:] or list(fams)
    os.makedirs(out, exist_ok=True)
    for name in names:
        label = sys.argv[2]
        path = os.path.join(out, f"{name}-{label}mb.eml")
        with open(path, "wb") as f:
            f.write(fams[name]())
        print(path)


if __name__ == "__main__":
    main()
