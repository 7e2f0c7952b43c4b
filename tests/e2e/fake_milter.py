#!/usr/bin/env python3
"""A tiny stand-in for `mugai milter`, used only to validate the e2e harness.

    fake_milter.py milter --listen inet:127.0.0.1:PORT

Speaks the Sendmail milter protocol (version 6, as Postfix negotiates it),
collects headers and body, and at end-of-message replaces the body with a
text/plain UTF-8 rendering (text part, or HTML with tags/script/style
stripped) plus a notice listing the removed attachments, and rewrites
Content-Type / Content-Transfer-Encoding / MIME-Version. Stdlib only.

It is NOT the product: run the harness with MUGAI_BIN=tests/e2e/fake_milter.py
to check the harness itself (`postfix.sh --self-test` does that).
"""
import base64
import email
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


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    args = sys.argv[1:]
    if not args or args[0] != "milter" or "--listen" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    spec = args[args.index("--listen") + 1]
    m = re.fullmatch(r"inet:([0-9.]+):(\d+)", spec)
    if not m:
        log("unsupported --listen", spec)
        return 2
    srv = Server((m.group(1), int(m.group(2))), Handler)
    log("listening on", spec)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
