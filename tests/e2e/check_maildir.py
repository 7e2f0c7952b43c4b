#!/usr/bin/env python3
"""Check every mail delivered to a Maildir against a send.py manifest (stdlib only).

For each delivered mail (new/ and cur/), matched to the manifest by X-E2E-Id,
then Message-ID, then Subject:
  * exactly one part, Content-Type text/plain
  * every marker present in the decoded body
  * every `listed` attachment name present in the decoded body
  * the `subject` fact contained in the decoded Subject
  * no payload string in the raw mail, its QP-decoded form, the base64
    decoding of any base64 run, the decoded body or the decoded headers
    (payloads are also looked for in UTF-8, ISO-2022-JP, Shift_JIS and EUC-JP)
  * every line at most 998 octets
Also: every manifest entry delivered exactly once, nothing unexpected (a
bounce or an unmatched mail is a failure).

--expect-unsanitised (baseline, plain mode): checks delivery and matching
only, and counts the mails the sanitised checks would flag. A generated mail
whose payloads the checker cannot find in the original is a failure (the
checker must be able to see an unsanitised mail); for corpus mails that is
only a warning (e.g. a payload inside a compressed archive).

Exit 0 when all checks pass; prints a one-line summary last.
"""
import argparse
import base64
import binascii
import email
import email.policy
import json
import quopri
import re
import sys
from pathlib import Path

MAX_LINE = 998
B64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{4}){4,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
B64_BLOCK = re.compile(rb"(?:^[A-Za-z0-9+/=]{8,}[ \t]*\r?$\n?){2,}", re.M)
ENC_WORD = re.compile(rb"=\?[^?\s]+\?[bB]\?([A-Za-z0-9+/=]+)\?=")
ENCODINGS = ("utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "utf-16-le", "utf-16-be")


def load_manifest(paths):
    entries = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    entries.append(json.loads(line))
    return entries


def b64_decodings(raw):
    out = []
    for m in B64_BLOCK.finditer(raw):
        blob = re.sub(rb"\s+", b"", m.group(0))
        blob = blob[: len(blob) - len(blob) % 4]
        try:
            out.append(base64.b64decode(blob, validate=False))
        except (binascii.Error, ValueError):
            pass
    for rx in (ENC_WORD, B64_RUN):
        for m in rx.finditer(raw):
            tok = m.group(1) if rx is ENC_WORD else m.group(0)
            for shift in range(4):  # also misaligned runs
                t = tok[shift:]
                t = t[: len(t) - len(t) % 4]
                try:
                    out.append(base64.b64decode(t, validate=False))
                except (binascii.Error, ValueError):
                    pass
    return out


def payload_variants(p):
    vs = set()
    for enc in ENCODINGS:
        try:
            vs.add(p.encode(enc))
        except (UnicodeEncodeError, LookupError):
            pass
    return [v for v in vs if v]


# Japanese charsets as mail software really uses them: Shift_JIS and its
# aliases mean CP932 (NEC/IBM extensions such as ①㈱髙), ISO-2022-JP means
# CP50221 (same extensions, JIS-encoded), EUC-JP tolerates CP51932.
CHARSET_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "ms_kanji": "cp932", "csshiftjis": "cp932", "cp932": "cp932",
    "iso-2022-jp": "cp50221", "iso2022jp": "cp50221", "csiso2022jp": "cp50221",
    "cp50220": "cp50221", "cp50221": "cp50221", "cp50222": "cp50221",
    "euc-jp": "euc_jp", "x-euc-jp": "euc_jp", "cp51932": "euc_jp",
}


def decode_cp50221(data):
    """ISO-2022-JP with the CP932 extensions (CP50221), via CP932."""
    out, mode, i = [], "ascii", 0
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i + 1:i + 3]
            if seq in (b"$B", b"$@"):
                mode, i = "jis", i + 3
                continue
            if seq in (b"(B", b"(J"):
                mode, i = "ascii", i + 3
                continue
            if seq == b"(I":
                mode, i = "kana", i + 3
                continue
            if data[i + 1:i + 4] == b"$(D" or data[i + 1:i + 4] == b"$(Q" or data[i + 1:i + 4] == b"$(O":
                mode, i = "jis", i + 4
                continue
        b = data[i]
        if mode == "jis" and b not in (0x0A, 0x0D) and i + 1 < len(data):
            j1, j2 = b, data[i + 1]
            s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
            s2 = j2 + (0x1F if j1 & 1 else 0x7E)
            if j1 & 1 and s2 >= 0x7F:
                s2 += 1
            out.append(bytes([s1 & 0xFF, s2 & 0xFF]).decode("cp932", "replace"))
            i += 2
            continue
        if mode == "kana" and 0x21 <= b <= 0x5F:
            out.append(bytes([b + 0x80]).decode("cp932", "replace"))
        else:
            out.append(chr(b) if b < 0x80 else bytes([b]).decode("latin-1"))
        i += 1
    return "".join(out)


def decode_text(data, charset):
    cs = (charset or "utf-8").strip().strip('"').lower()
    cs = CHARSET_ALIASES.get(cs, cs)
    if cs == "cp50221":
        return decode_cp50221(data)
    try:
        return data.decode(cs, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


ENC_WORD_STR = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def decode_rfc2047(value):
    """RFC 2047 decoding with the charset aliases above (adjacent words join)."""
    value = re.sub(r"\?=\s+=\?", "?==?", value)

    def one(m):
        cs, enc, txt = m.group(1).split("*")[0], m.group(2).upper(), m.group(3)
        try:
            if enc == "B":
                raw = base64.b64decode(txt + "=" * (-len(txt) % 4))
            else:
                raw = quopri.decodestring(txt.replace("_", " ").encode("ascii", "replace"), header=True)
        except (binascii.Error, ValueError):
            return m.group(0)
        return decode_text(raw, cs)
    return ENC_WORD_STR.sub(one, value)


def raw_header(raw, name):
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb":[ \t]*(.*(?:\r?\n[ \t].*)*)", head)
    if not m:
        return ""
    v = re.sub(rb"\r?\n[ \t]", b" ", m.group(1)).strip()
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        return decode_text(v, "cp932")  # raw 8-bit header: best effort


def body_text(msg):
    data = msg.get_payload(decode=True) or b""
    return decode_text(data, msg.get_content_charset())


def header_text(msg, raw):
    out = []
    for k in dict.fromkeys(msg.keys()):
        out.append("%s: %s" % (k, decode_rfc2047(raw_header(raw, k))))
    return "\n".join(out)


def check_sanitised(raw, msg, entry):
    """Return a list of problems (empty = sanitised correctly)."""
    probs = []
    if msg.is_multipart():
        probs.append("multipart (%s, %d parts)" % (msg.get_content_type(),
                                                    len(list(msg.walk())) - 1))
    if msg.get_content_type() != "text/plain":
        probs.append("Content-Type %s" % msg.get_content_type())
    for i, ln in enumerate(raw.split(b"\n")):
        if len(ln.rstrip(b"\r")) > MAX_LINE:
            probs.append("line %d is %d octets" % (i + 1, len(ln.rstrip(b"\r"))))
            break
    text = body_text(msg) if not msg.is_multipart() else ""
    for mk in entry.get("markers", []):
        if mk not in text:
            probs.append("marker missing: %r" % mk)
    for name in entry.get("listed", []):
        if name not in text:
            probs.append("listed name missing: %r" % name)
    subj = entry.get("subject")
    got_subj = decode_rfc2047(raw_header(raw, "Subject"))
    if subj and subj not in got_subj:
        probs.append("subject %r not in %r" % (subj, got_subj))
    pays = entry.get("payloads", [])
    if pays:
        decoded_body = b""
        if not msg.is_multipart():
            decoded_body = msg.get_payload(decode=True) or b""
        forms = [("raw", raw), ("qp-decoded", quopri.decodestring(raw)),
                 ("decoded-body", decoded_body),
                 ("text", (text + "\n" + header_text(msg, raw)).encode("utf-8", "replace"))]
        forms += [("base64-decoded", b) for b in b64_decodings(raw)]
        for p in pays:
            hit = None
            for v in payload_variants(p):
                for fname, form in forms:
                    if v in form:
                        hit = fname
                        break
                if hit:
                    break
            if hit:
                probs.append("payload %r found (%s)" % (p, hit))
    return probs


def match_key(msg, by_id, by_mid, by_subj):
    eid = str(msg.get("X-E2E-Id", "")).strip()
    if eid in by_id:
        return eid, "x-e2e-id"
    mid = str(msg.get("Message-ID", "")).strip().strip("<>")
    if mid in by_mid:
        return by_mid[mid], "message-id"
    subj = decode_rfc2047(str(msg.get("Subject", "")))
    cands = [i for s, i in by_subj.items() if s and s in subj]
    if len(cands) == 1:
        return cands[0], "subject"
    return None, None


def self_test():
    """Crafted mails: the checker must pass the good one and flag each bad one."""
    import tempfile
    pay = "E2EPAYLOADSELFTEST"
    good_body = "本文マーカーST\n添付: evil.xlsm\n"
    entry = {"id": "st", "message_id": "st@e2e", "subject": "件名ST", "markers": ["本文マーカーST"],
             "payloads": [pay, "ペイロード日本語"], "listed": ["evil.xlsm"]}

    def mk(body_bytes, cte="8bit", ctype="text/plain; charset=utf-8", extra=b""):
        return (b"X-E2E-Id: st\r\nMessage-ID: <st@e2e>\r\nSubject: =?UTF-8?B?" +
                base64.b64encode("件名ST".encode()) + b"?=\r\nMIME-Version: 1.0\r\nContent-Type: " +
                ctype.encode() + b"\r\nContent-Transfer-Encoding: " + cte.encode() + b"\r\n" + extra +
                b"\r\n" + body_bytes)
    good_b64 = base64.encodebytes(good_body.encode())
    cases = {
        "good (base64 body)": (mk(good_b64, "base64"), None),
        "good (8bit body)": (mk(good_body.encode()), None),
        "payload plain": (mk((good_body + pay).encode()), "payload"),
        "payload base64 inside text": (mk((good_body + "x " + base64.b64encode(b"zz" + pay.encode()).decode()
                                           + "\n").encode()), "payload"),
        "payload in base64 body": (mk(base64.encodebytes((good_body + pay).encode()), "base64"), "payload"),
        "payload QP soft-broken": (mk((good_body + pay[:9] + "=\r\n" + pay[9:]).encode(),
                                      "quoted-printable"), "payload"),
        "payload sjis": (mk(good_body.encode() + "ペイロード日本語".encode("shift_jis")), "payload"),
        "payload in header": (mk(good_body.encode(), extra=("X-Leak: " + pay + "\r\n").encode()), "payload"),
        "marker missing": (mk("本文\n添付: evil.xlsm\n".encode()), "marker missing"),
        "listed missing": (mk("本文マーカーST\n".encode()), "listed name missing"),
        "long line": (mk((good_body + "a" * 999 + "\n").encode()), "octets"),
        "text/html": (mk(good_body.encode(), ctype="text/html; charset=utf-8"), "Content-Type"),
        "multipart": (mk(b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + good_body.encode() +
                         b"\r\n--b--\r\n", ctype="multipart/mixed; boundary=b"), "multipart"),
    }
    bad = 0
    for name, (raw, want) in cases.items():
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        probs = check_sanitised(raw, msg, entry)
        ok = (not probs) if want is None else any(want in p for p in probs)
        print("  %s %s: %s" % ("ok  " if ok else "FAIL", name, "; ".join(probs) or "clean"))
        bad += not ok
    print("check_maildir self-test: %d cases, %d wrong -> %s" % (len(cases), bad, "OK" if not bad else "FAILED"))
    return 1 if bad else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--manifest", action="append", required=True)
    ap.add_argument("--expect-unsanitised", action="store_true")
    ap.add_argument("--label", default="check")
    ap.add_argument("--max-report", type=int, default=15)
    args = ap.parse_args()

    entries = load_manifest(args.manifest)
    by_id = {e["id"]: e for e in entries}
    by_mid = {e["message_id"]: e["id"] for e in entries}
    by_subj = {}
    for e in entries:  # subject fallback only for unique subjects
        s = e.get("subject")
        if s:
            by_subj[s] = None if s in by_subj else e["id"]
    by_subj = {s: i for s, i in by_subj.items() if i}

    md = Path(args.maildir)
    files = sorted([p for sub in ("new", "cur") if (md / sub).is_dir() for p in (md / sub).iterdir()
                    if p.is_file()])
    seen = {}
    failures = []  # (file, problems)
    warnings = []
    unexpected = 0
    detected_unsanitised = 0
    matched_how = {}
    for f in files:
        raw = f.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        key, how = match_key(msg, by_id, by_mid, by_subj)
        if key is None:
            unexpected += 1
            failures.append((f.name, ["unexpected mail (no manifest match): From=%r Subject=%r" %
                                      (str(msg.get("From", "")), str(msg.get("Subject", "")))]))
            continue
        matched_how[how] = matched_how.get(how, 0) + 1
        seen[key] = seen.get(key, 0) + 1
        probs = check_sanitised(raw, msg, by_id[key])
        if args.expect_unsanitised:
            entry = by_id[key]
            if probs:
                detected_unsanitised += 1
            if entry.get("payloads") and not any(p.startswith("payload") for p in probs):
                # The payload is not visible to this checker even in the original
                # (e.g. inside a compressed archive): its "absent" check is weak.
                msg_ = "baseline %s (%s): no payload detectable in the original" % (key, entry.get("source"))
                if str(entry.get("source", "")).startswith("generated:"):
                    failures.append((f.name, [msg_ + ": checker cannot tell sanitised from unsanitised"]))
                else:
                    warnings.append(msg_)
        elif probs:
            failures.append((f.name, ["%s (%s): %s" % (key, by_id[key].get("source"), "; ".join(probs))]))

    missing = [e["id"] for e in entries if e["id"] not in seen]
    dups = {k: n for k, n in seen.items() if n > 1}
    for k, n in sorted(dups.items())[: args.max_report]:
        failures.append(("-", ["%s delivered %d times" % (k, n)]))

    for fname, probs in failures[: args.max_report]:
        print("  FAIL %s: %s" % (fname, " | ".join(probs)))
    if len(failures) > args.max_report:
        print("  ... %d more failures" % (len(failures) - args.max_report))
    for w in warnings[: args.max_report]:
        print("  WARN %s" % w)
    if missing:
        print("  missing (%d): %s%s" % (len(missing), ", ".join(missing[:10]),
                                          " ..." if len(missing) > 10 else ""))
    bad_mails = len([f for f in failures if f[0] != "-"])
    ok = not failures and not missing
    mode = "baseline/unsanitised" if args.expect_unsanitised else "sanitised"
    extra = (", checker flagged %d/%d as unsanitised" % (detected_unsanitised, len(files))
             if args.expect_unsanitised else "")
    if warnings:
        extra += ", %d warning(s): %s" % (len(warnings), "; ".join(warnings[:3]))
    print("%s: %s: %d expected, %d delivered, %d ok, %d bad, %d missing, %d duplicated, "
          "%d unexpected (matched by %s)%s -> %s" %
          (args.label, mode, len(entries), len(files), len(files) - bad_mails, bad_mails,
           len(missing), len(dups), unexpected, json.dumps(matched_how), extra,
           "OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
