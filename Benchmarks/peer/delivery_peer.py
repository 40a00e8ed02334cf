"""The delivery half of the peer: what a typical Python service does after svix_peer.py
has stored a webhook. A worker process claims queued rows from the same SQLite file,
builds the email with the standard library (Clerk's own rendering: no template engine,
so less work than Herald's templates), sends it over one reused smtplib connection,
and records the attempt, one commit per message (WAL, synchronous=FULL).

Run one per core: python3 delivery_peer.py DB SMTP_HOST SMTP_PORT
"""
import email.message
import email.policy
import email.utils
import json
import os
import smtplib
import sqlite3
import sys
import time

db_path, smtp_host, smtp_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(db_path, isolation_level=None, timeout=30)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA busy_timeout=30000")
db.execute(
    """CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, number INTEGER NOT NULL,
        transport TEXT NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL,
        code INTEGER, provider_id TEXT, error TEXT, template TEXT)"""
)
smtp = smtplib.SMTP(smtp_host, smtp_port)
now_ms = lambda: int(time.time() * 1000)


def claim(limit=16):
    db.execute("BEGIN IMMEDIATE")
    rows = db.execute(
        """UPDATE messages SET status = 'sending', updated_at = ? WHERE id IN (
               SELECT id FROM messages WHERE status = 'queued' ORDER BY id LIMIT ?)
           RETURNING id, recipient""",
        (now_ms(), limit),
    ).fetchall()
    claimed = []
    for message_id, recipient in rows:
        body = db.execute("SELECT body FROM payloads WHERE message_id = ?", (message_id,)).fetchone()[0]
        claimed.append((message_id, recipient, body))
    db.execute("COMMIT")
    return claimed


while True:
    batch = claim()
    if not batch:
        time.sleep(0.005)
        continue
    for message_id, recipient, body in batch:
        started = now_ms()
        data = json.loads(body)["data"]
        app = data["data"]["app"]
        message = email.message.EmailMessage(policy=email.policy.SMTP)
        sender = f"{data['from_email_name']}@{app['domain_name']}"
        message["From"] = email.utils.formataddr((app["name"], sender))
        message["To"] = recipient
        message["Subject"] = data["subject"]
        message["Date"] = email.utils.formatdate(usegmt=True)
        message["Message-ID"] = email.utils.make_msgid(domain=app["domain_name"])
        message.set_content(data["body_plain"])
        message.add_alternative(data["body"], subtype="html")
        try:
            smtp.sendmail(sender, [recipient], message.as_bytes())
            outcome, code, status = "delivered", 250, "sent"
        except smtplib.SMTPException as error:
            outcome, code, status = "retryable", getattr(error, "smtp_code", None), "retrying"
        finished = now_ms()
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE messages SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?", (status, finished, message_id))
        db.execute(
            "INSERT INTO attempts (message_id, number, transport, started_at, duration_ms, outcome, code, template) VALUES (?,?,?,?,?,?,?,?)",
            (message_id, 1, "smtp", started, finished - started, outcome, code, "clerk"),
        )
        db.execute("INSERT INTO message_events (message_id, at, status) VALUES (?,?,?)", (message_id, finished, status))
        db.execute("COMMIT")
