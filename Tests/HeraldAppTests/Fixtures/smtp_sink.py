"""A real SMTP server for Herald's tests (Debian's python3-aiosmtpd).

Saves each accepted message as N.eml plus N.json (envelope and the message parsed back
with Python's email package), and can answer DATA with failures:

  smtp_sink.py DIR [--fail-first N --code 451] [--always 550]

Prints "PORT <n>" once it listens on 127.0.0.1.
"""
import argparse
import email
import email.policy
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--code", type=int, default=451)
parser.add_argument("--always", type=int, default=0)
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
            "mail_from": envelope.mail_from,
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

for attempt in range(20):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    try:
        controller.start()
        break
    except Exception:
        continue
print(f"PORT {port}", flush=True)
threading.Event().wait()
