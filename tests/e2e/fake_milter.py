#!/usr/bin/env python3
"""A tiny stand-in for `mugai milter`, used only to validate the e2e harness.

    fake_milter.py milter --listen inet:127.0.0.1:PORT
    fake_milter.py smtp --listen 127.0.0.1:PORT --forward 127.0.0.1:PORT

Speaks the Sendmail milter protocol (version 6, as Postfix negotiates it),
collects headers and body, and at end-of-message replaces the body with a
text/plain UTF-8 rendering (text part, or HTML with tags/script/style
stripped) plus a notice listing the removed attachments, and rewrites
Content-Type / Content-Transfer-Encoding / MIME-Version. Stdlib only.

It is NOT the product: run the harness with MUGAI_BIN=tests/e2e/fake_milter.py
to check the harness itself (`postfix.sh --self-test` does that).

The `smtp` mode is a stand-in after-queue content filter (Postfix
content_filter -> this -> re-injection smtpd): it answers DATA only after the
sanitised mail was accepted by the --forward server (else 451).
"""
import base64
import email
import os
import email.policy
import html
import re
import socket
import socketserver
import struct
import sys
import threading

SMFIF_ADDHDRS, SMFIF_CHGBODY, SMFIF_CHGHDRS = 0x01, 0x02, 0x10
NO_REPLY = {b"D", b"A", b"K"}
NODELAY = os.environ.get("FAKE_MILTER_NODELAY", "1") == "1"


def log(*a):
    print("fake_milter:", *a, file=sys.stderr, flush=True)


def html_to_text(h):
    h = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", h)
    h = re.sub(r"(?i)<br\s*/?>|</p\s*>|</h\d\s*>|</tr\s*>", "\n", h)
    h = re.sub(r"(?s)<[^>]*>", "", h)
    return html.unescape(h)


def sanitise(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text, htmltext, names = None, None, []
    for part in msg.walk():
        if part.is_multipart():
            continue
        fn = part.get_filename()
        ct = part.get_content_type()
        if fn or part.get_content_disposition() == "attachment":
            names.append(fn or "(no name)")
        elif ct == "text/plain" and text is None:
            text = part.get_content()
        elif ct == "text/html" and htmltext is None:
            htmltext = html_to_text(part.get_content())
        else:
            names.append("(%s)" % ct)
    body = text if text is not None else (htmltext or "")
    if names:
        body += "\n\n[mugai] 以下の添付ファイルは削除されました / attachments removed:\n"
        body += "".join("  - %s\n" % n for n in names)
    b64 = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    return b64


class Handler(socketserver.BaseRequestHandler):
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def send(self, cmd, data=b""):
        self.request.sendall(struct.pack("!I", len(data) + 1) + cmd + data)

    def handle(self):
        if NODELAY:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers, body = [], []
        try:
            while True:
                (ln,) = struct.unpack("!I", self.recv_exact(4))
                pkt = self.recv_exact(ln)
                cmd, data = pkt[:1], pkt[1:]
                if cmd == b"O":
                    ver, _act, _proto = struct.unpack("!III", data[:12])
                    self.send(b"O", struct.pack("!III", min(ver, 6),
                                                SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_CHGHDRS, 0))
                elif cmd in NO_REPLY:
                    if cmd in (b"A", b"K"):
                        headers, body = [], []
                elif cmd == b"Q":
                    return
                elif cmd == b"L":
                    name, value = data.split(b"\0")[:2]
                    headers.append((name, value))
                    self.send(b"c")
                elif cmd == b"B":
                    body.append(data)
                    self.send(b"c")
                elif cmd == b"E":
                    if data:
                        body.append(data)
                    raw = b"".join(n + b": " + v.lstrip() + b"\r\n" for n, v in headers) + b"\r\n" + b"".join(body)
                    try:
                        newbody = sanitise(raw)
                    except Exception as e:  # fail closed
                        log("sanitise failed:", repr(e))
                        self.send(b"t")
                        headers, body = [], []
                        continue
                    for i in range(0, len(newbody), 65535):
                        self.send(b"b", newbody[i:i + 65535])
                    present = {n.lower() for n, _ in headers}
                    for name, value in ((b"Content-Type", b"text/plain; charset=utf-8"),
                                        (b"Content-Transfer-Encoding", b"base64"),
                                        (b"MIME-Version", b"1.0")):
                        if name.lower() in present:
                            count = sum(1 for n, _ in headers if n.lower() == name.lower())
                            self.send(b"m", struct.pack("!I", 1) + name + b"\0" + value + b"\0")
                            for idx in range(count, 1, -1):  # delete duplicates
                                self.send(b"m", struct.pack("!I", idx) + name + b"\0\0")
                        else:
                            self.send(b"h", name + b"\0" + value + b"\0")
                    self.send(b"a")
                    headers, body = [], []
                else:  # C H M R T N U ...
                    if cmd in (b"M",):
                        headers, body = [], []
                    self.send(b"c")
        except (EOFError, ConnectionError, OSError):
            return


def rebuild(raw):
    """Whole-message form of the milter edit, for the smtp filter mode."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    keep, skip = [], False
    for ln in head.split(b"\r\n"):
        if ln[:1] in (b" ", b"\t"):
            if not skip:
                keep.append(ln)
            continue
        name = ln.split(b":", 1)[0].strip().lower()
        skip = name in (b"content-type", b"content-transfer-encoding", b"mime-version")
        if not skip:
            keep.append(ln)
    keep += [b"MIME-Version: 1.0", b"Content-Type: text/plain; charset=utf-8",
             b"Content-Transfer-Encoding: base64"]
    return b"\r\n".join(keep) + b"\r\n\r\n" + sanitise(raw)


class SmtpHandler(socketserver.StreamRequestHandler):
    forward = None

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        import smtplib
        self.reply("220 fake-filter ESMTP")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").strip()
            up = cmd.upper()
            if up.startswith("EHLO"):
                self.wfile.write(b"250-fake-filter\r\n250-8BITMIME\r\n250-XFORWARD NAME ADDR PROTO HELO SOURCE\r\n250 PIPELINING\r\n")
                self.wfile.flush()
            elif up.startswith("HELO") or up.startswith("XFORWARD") or up.startswith("NOOP"):
                self.reply("250 ok")
            elif up.startswith("MAIL FROM:"):
                sender, rcpts = cmd[10:].strip().split()[0].strip("<>"), []
                self.reply("250 ok")
            elif up.startswith("RCPT TO:"):
                rcpts.append(cmd[8:].strip().split()[0].strip("<>"))
                self.reply("250 ok")
            elif up == "RSET":
                sender, rcpts = None, []
                self.reply("250 ok")
            elif up == "DATA":
                self.reply("354 go ahead")
                data = []
                while True:
                    ln = self.rfile.readline()
                    if not ln:
                        return
                    if ln in (b".\r\n", b".\n"):
                        break
                    data.append(ln[1:] if ln.startswith(b"..") else ln)
                raw = b"".join(data)
                try:
                    out = rebuild(raw)
                    with smtplib.SMTP(self.forward[0], self.forward[1], timeout=60) as s:
                        s.sendmail(sender, rcpts, out)
                    self.reply("250 ok: sanitised and re-injected")
                except Exception as e:  # fail closed: the queue keeps it
                    log("filter failed:", repr(e))
                    self.reply("451 4.3.0 filter failure")
                sender, rcpts = None, []
            elif up == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("milter", "smtp") or "--listen" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    spec = args[args.index("--listen") + 1]
    m = re.fullmatch(r"(?:inet:)?([0-9.]+):(\d+)", spec)
    if not m:
        log("unsupported --listen", spec)
        return 2
    if args[0] == "smtp":
        fwd = args[args.index("--forward") + 1].rsplit(":", 1)
        SmtpHandler.forward = (fwd[0], int(fwd[1]))
        srv = Server((m.group(1), int(m.group(2))), SmtpHandler)
    else:
        srv = Server((m.group(1), int(m.group(2))), Handler)
    log(args[0], "listening on", spec)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
