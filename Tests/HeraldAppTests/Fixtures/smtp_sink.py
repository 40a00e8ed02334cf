"""A real SMTP server for Herald's tests (Debian's python3-aiosmtpd).

Saves each accepted message as N.eml plus N.json (envelope and the message parsed back
with Python's email package), and can answer DATA with failures:

  smtp_sink.py DIR [--fail-first N --code 451] [--always 550] [--tls] [--auth USER:PASS] [--smtputf8]

--tls makes a self-signed certificate for 127.0.0.1 (openssl) and requires STARTTLS;
--auth requires AUTH (PLAIN/LOGIN) with those credentials, over TLS;
--smtputf8 offers SMTPUTF8 (RFC 6531), which aiosmtpd does not by default.
Prints "PORT <n>" once it listens on 127.0.0.1 (and "CA <file>" with --tls).
"""
import argparse
import email
import email.policy
import json
import os
import signal
import sys
import threading

# Foundation's Process starts children with the spawning thread's signal mask, in which the
# test runner blocks SIGTERM: unblock it before any thread starts, or terminate() does nothing.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
signal.signal(signal.SIGTERM, signal.SIG_DFL)

from aiosmtpd.controller import Controller

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--code", type=int, default=451)
parser.add_argument("--always", type=int, default=0)
parser.add_argument("--tls", action="store_true")
parser.add_argument("--auth", default="")
parser.add_argument("--smtputf8", action="store_true")
args = parser.parse_args()
os.makedirs(args.dir, exist_ok=True)


class Handler:
    def __init__(self):
        self.seen = 0
        self.accepted = 0
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One EHLO per SMTP session: counts the connections Herald opened.
        self.sessions += 1
        with open(os.path.join(args.dir, "sessions"), "w") as f:
            f.write(str(self.sessions))
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if args.always:
            return f"{args.always} 5.7.1 Rejected by the test relay"
        if self.seen <= args.fail_first:
            return f"{args.code} 4.3.0 Try again later"
        self.accepted += 1
        number = self.accepted
        raw = envelope.content
        with open(os.path.join(args.dir, f"{number}.eml"), "wb") as f:
            f.write(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        summary = {
            "ehlo": session.host_name,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "reply_to": str(message["reply-to"]) if message["reply-to"] else None,
            "message_id": str(message["message-id"]),
            "date": str(message["date"]),
            "headers": list(message.keys()),
            "defects": [str(d) for d in message.defects],
            "parts": parts,
            "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        }
        with open(os.path.join(args.dir, f"{number}.json"), "w") as f:
            json.dump(summary, f)
        return f"250 2.0.0 Ok: queued as HERALD{number:04d}"


import socket
import ssl
import subprocess

extra = {"enable_SMTPUTF8": args.smtputf8}
if args.tls:
    cert = os.path.join(args.dir, "cert.pem")
    key = os.path.join(args.dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    extra.update(tls_context=context, require_starttls=True)
    print(f"CA {cert}", flush=True)
if args.auth:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    user, password = args.auth.split(":", 1)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    extra.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.tls))

for attempt in range(20):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, **extra)
    try:
        controller.start()
        break
    except Exception:
        continue
print(f"PORT {port}", flush=True)
# Ends with the test process that started it, even if that one dies without a word.
parent = os.getppid()
while os.getppid() == parent:
    threading.Event().wait(0.5)
os._exit(0)
