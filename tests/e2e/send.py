#!/usr/bin/env python3
"""Send test mails to the private Postfix smtpd (stdlib only).

Sources (combinable):
  --corpus DIR [--pick NAME ...]   X.eml files that have an X.toml facts file
  --generate N                     N generated Japanese HTML mails with an
                                   attachment whose content must be removed
  --repeat K                       send the corpus selection K times

Every mail gets a unique id: its Message-ID is replaced by <ID@e2e.mugai.test>
and an X-E2E-Id header is added, so check_maildir.py can match deliveries to
the manifest (one JSON object per line: id, message_id, subject, markers,
payloads, listed, source).

Senders: --concurrency C threads, each keeping one SMTP session open and
sending its share (a new session after any error). A 4xx answer is counted and,
with --retry-4xx SECONDS, the mail is retried later (as a real MTA would) until
that many seconds have passed. --probe-4xx sends one mail and exits 0 only if
the server answers 4xx (used to prove that a dead milter tempfails).

Prints a JSON stats object on stdout; exit 0 when every mail was accepted (or,
for --probe-4xx, when it was tempfailed).
"""
import argparse
import base64
import email.policy
import email.utils
import json
import os
import random
import re
import smtplib
import socket
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

try:
    import tomllib  # Python >= 3.11
except ImportError:  # pragma: no cover - fallback for older Pythons
    tomllib = None


def load_toml(path):
    data = Path(path).read_bytes()
    if tomllib is not None:
        return tomllib.loads(data.decode("utf-8"))
    # Minimal fallback: key = "string" | key = ["a", "b"] (one line each).
    out = {}
    for line in data.decode("utf-8").splitlines():
        m = re.match(r'\s*([A-Za-z0-9_-]+)\s*=\s*(.+?)\s*$', line)
        if not m or line.lstrip().startswith("#"):
            continue
        k, v = m.groups()
        if v.startswith("["):
            out[k] = [json.loads('"%s"' % s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', v)]
        elif v.startswith('"'):
            out[k] = json.loads(v)
    return out


def as_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return [str(x) for x in v]


# --- mail sources ------------------------------------------------------------

HDR_SPLIT = re.compile(rb"\r?\n\r?\n")


def restamp(raw, mid, eid):
    """Replace Message-ID and add X-E2E-Id, keeping everything else byte-exact."""
    m = HDR_SPLIT.search(raw)
    head, rest = (raw[:m.start()], raw[m.start():]) if m else (raw, b"\r\n\r\n")
    nl = b"\r\n" if b"\r\n" in head else b"\n"
    lines = head.split(nl)
    out, skip = [], False
    for ln in lines:
        if skip and ln[:1] in (b" ", b"\t"):
            continue
        skip = ln.lower().startswith(b"message-id:") or ln.lower().startswith(b"x-e2e-id:")
        if not skip:
            out.append(ln)
    out.insert(0, b"X-E2E-Id: " + eid.encode())
    out.insert(1, b"Message-ID: <" + mid.encode() + b">")
    # SMTP wire form: CRLF line ends (smtplib sends bytes as they are).
    return re.sub(rb"\r?\n", b"\r\n", nl.join(out) + rest)


def corpus_items(corpus, picks):
    d = Path(corpus)
    emls = sorted(d.glob("*.eml"))
    if picks:
        want = set(p[:-4] if p.endswith(".eml") else p for p in picks)
        emls = [e for e in emls if e.stem in want]
        missing = want - {e.stem for e in emls}
        if missing:
            print("send.py: corpus files not found: %s" % ", ".join(sorted(missing)), file=sys.stderr)
    items = []
    for e in emls:
        t = e.with_suffix(".toml")
        if not t.exists():
            continue
        facts = load_toml(t)
        items.append({
            "source": e.name,
            "raw": e.read_bytes(),
            "markers": as_list(facts.get("markers")),
            "payloads": as_list(facts.get("payloads")),
            "listed": as_list(facts.get("listed")),
            "subject": facts.get("subject") if isinstance(facts.get("subject"), str) else None,
        })
    return items


HTML_TMPL = """<!DOCTYPE html>
<html><head><meta charset="{cs}"><title>{title}</title>
<style>p {{ color: red }}</style>
<script>var leak = "{script_payload}"; document.write(leak);</script>
</head><body>
<h1>{title}</h1>
<p>いつもお世話になっております。{marker}</p>
<p>添付の資料をご確認ください。<a href="https://lgwan.example/doc/{n}">詳細</a></p>
<table><tr><td>項目</td><td>値 {n}</td></tr></table>
<img src="cid:logo{n}@e2e" alt="ロゴ">
</body></html>
"""

ATTACH_NAMES = ["請求書_{n}.xlsm", "report_{n}.pdf", "資料_{n}.docx", "setup_{n}.zip"]


def generated_item(n, tag, rnd):
    eid_hint = "%s%05d" % (tag, n)
    marker = "本文マーカー%s" % eid_hint
    att_payload = "E2EATTPAYLOAD%s" % eid_hint
    script_payload = "E2ESCRIPTPAYLOAD%s" % eid_hint
    subject = "E2E テスト %s 会議のご案内" % eid_hint
    cs = ["utf-8", "iso-2022-jp", "shift_jis"][n % 3]
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "送信者 <sender@lgwan.example>"
    msg["To"] = "受信者 <user@lgwan.example>"
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    text = "いつもお世話になっております。%s\n添付の資料をご確認ください。\n" % marker
    html = HTML_TMPL.format(cs=cs, title="会議のご案内 %d" % n, marker=marker, n=n,
                            script_payload=script_payload)
    msg.set_content(text, charset=cs if cs != "shift_jis" else "utf-8")
    msg.add_alternative(html, subtype="html", charset=cs)
    body = bytearray(rnd.randbytes(1500 + (n % 7) * 200))
    body[200:200] = att_payload.encode()
    body[900:900] = (att_payload + "-again").encode()
    fname = ATTACH_NAMES[n % len(ATTACH_NAMES)].format(n=n)
    msg.add_attachment(bytes(body), maintype="application", subtype="octet-stream", filename=fname)
    raw = msg.as_bytes(policy=email.policy.SMTP)
    return {
        "source": "generated:%d" % n,
        "raw": raw,
        "markers": [marker],
        "payloads": [att_payload, script_payload],
        "listed": [fname],
        "subject": subject,
    }


# --- SMTP sending -------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = 0
        self.tempfail = 0
        self.permfail = 0
        self.errors = 0
        self.retried_ok = 0
        self.first_4xx = None
        self.last_err = None

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)


def send_one(conn_box, args, item):
    """Returns ('ok'|'4xx'|'5xx'|'err', detail). conn_box[0] holds the session."""
    try:
        if conn_box[0] is None:
            s = smtplib.SMTP(args.host, args.port, local_hostname="sender.e2e.test",
                             timeout=args.timeout)
            s.ehlo()
            conn_box[0] = s
        s = conn_box[0]
        s.sendmail(args.sender, [args.rcpt] + args.also_rcpt, item["wire"])
        return "ok", None
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        res = ("4xx" if 400 <= code < 500 else "5xx", "%s %s" % (code, text))
    except smtplib.SMTPResponseException as e:
        res = ("4xx" if 400 <= e.smtp_code < 500 else "5xx", "%s %s" % (e.smtp_code, e.smtp_error))
    except (smtplib.SMTPException, OSError, socket.timeout) as e:
        res = ("err", repr(e))
    # After any failure, start a fresh session (the server may have closed it).
    try:
        if conn_box[0] is not None:
            conn_box[0].close()
    except Exception:
        pass
    conn_box[0] = None
    return res


def worker(args, items, stats, retry_q, deadline):
    conn = [None]
    pending = list(items)
    while pending:
        item = pending.pop(0)
        kind, detail = send_one(conn, args, item)
        if kind == "ok":
            stats.add(accepted=1)
            if item.get("tries", 0):
                stats.add(retried_ok=1)
            continue
        if kind == "4xx":
            stats.add(tempfail=1)
            with stats.lock:
                stats.first_4xx = stats.first_4xx or detail
        elif kind == "5xx":
            stats.add(permfail=1)
            with stats.lock:
                stats.last_err = detail
            continue
        else:
            stats.add(errors=1)
            with stats.lock:
                stats.last_err = detail
        # 4xx / connection error: retry later if allowed, like a real MTA.
        item["tries"] = item.get("tries", 0) + 1
        if args.retry_4xx > 0 and time.time() < deadline:
            time.sleep(min(args.retry_delay, max(0.0, deadline - time.time())))
            pending.append(item)
        else:
            retry_q.append(item)
    if conn[0] is not None:
        try:
            conn[0].quit()
        except Exception:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rcpt", default="user@lgwan.example")
    ap.add_argument("--also-rcpt", nargs="*", default=[],
                    help="more envelope recipients of every mail (not in the manifest)")
    ap.add_argument("--sender", default="sender@lgwan.example")
    ap.add_argument("--corpus")
    ap.add_argument("--pick", nargs="*", default=[])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--generate", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tag", default="g", help="id prefix (keeps ids unique across scenarios)")
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=330.0)
    ap.add_argument("--retry-4xx", type=float, default=0.0, metavar="SECONDS")
    ap.add_argument("--retry-delay", type=float, default=1.0)
    ap.add_argument("--probe-4xx", action="store_true")
    ap.add_argument("--manifest", help="append one JSON line per mail to this file")
    ap.add_argument("--prepare-only", action="store_true", help="write manifest, send nothing")
    args = ap.parse_args()

    rnd = random.Random(args.seed)
    base = []
    if args.corpus:
        base = corpus_items(args.corpus, args.pick)
    items = []
    for r in range(args.repeat):
        for i, it in enumerate(base):
            it = dict(it)
            it["id"] = "%s-c%d-%d" % (args.tag, r, i)
            items.append(it)
    for n in range(args.generate):
        it = generated_item(n, args.tag, rnd)
        it["id"] = "%s-g%d" % (args.tag, n)
        items.append(it)
    if args.probe_4xx:
        items = items[:1] or [dict(generated_item(0, args.tag, rnd), id="%s-probe" % args.tag)]
    for it in items:
        it["message_id"] = "%s@e2e.mugai.test" % it["id"]
        it["wire"] = restamp(it["raw"], it["message_id"], it["id"])

    if args.manifest:
        with open(args.manifest, "a", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps({k: it[k] for k in ("id", "message_id", "subject", "markers",
                                                      "payloads", "listed", "source")},
                                   ensure_ascii=False) + "\n")
    if args.prepare_only:
        print(json.dumps({"prepared": len(items)}))
        return 0

    stats = Stats()
    if args.probe_4xx:
        kind, detail = send_one([None], args, items[0])
        print(json.dumps({"probe": kind, "detail": detail}))
        return 0 if kind == "4xx" else 1

    t0 = time.time()
    deadline = t0 + args.retry_4xx
    shards = [items[i::args.concurrency] for i in range(args.concurrency)]
    leftover = []
    threads = [threading.Thread(target=worker, args=(args, sh, stats, leftover, deadline), daemon=True)
               for sh in shards if sh]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.time() - t0
    out = {"mails": len(items), "accepted": stats.accepted, "tempfail_answers": stats.tempfail,
           "permfail": stats.permfail, "errors": stats.errors, "retried_ok": stats.retried_ok,
           "not_accepted": len(items) - stats.accepted, "seconds": round(dt, 3),
           "first_4xx": stats.first_4xx, "last_error": stats.last_err}
    print(json.dumps(out, ensure_ascii=False))
    return 0 if stats.accepted == len(items) else 1


if __name__ == "__main__":
    sys.exit(main())
