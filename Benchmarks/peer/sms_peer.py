"""The SMS half of the peer: what a typical Python service does after svix_peer.py has
stored a webhook. A worker process claims queued rows from the same SQLite file and sends
each SMS with Twilio's official Python library (`twilio`), one reused HTTP session, then
records the attempt, one commit per message (WAL, synchronous=FULL).

Run one per core: python3 sms_peer.py DB TWILIO_BASE_URL
"""
import json
import sqlite3
import sys
import time

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

db_path, base = sys.argv[1], sys.argv[2].rstrip("/")
db = sqlite3.connect(db_path, isolation_level=None, timeout=30)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA busy_timeout=30000")
db.execute(
    """CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, number INTEGER NOT NULL,
        transport TEXT NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL,
        code INTEGER, provider_id TEXT, error TEXT, template TEXT)"""
)
now_ms = lambda: int(time.time() * 1000)


class LocalHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client (a requests session, kept alive), pointed at the double."""

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)


client = Client("AC" + "0f" * 16, "benchmark-token", http_client=LocalHttpClient(pool_connections=True))


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
        text = json.loads(body)["data"]["message"]
        try:
            sent = client.messages.create(to=recipient, from_="+15550001111", body=text)
            outcome, code, status, sid = "delivered", 201, "sent", sent.sid
        except Exception as error:  # TwilioRestException and transport errors alike
            outcome, code, status, sid = "retryable", getattr(error, "status", None), "retrying", None
        finished = now_ms()
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE messages SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?", (status, finished, message_id))
        db.execute(
            "INSERT INTO attempts (message_id, number, transport, started_at, duration_ms, outcome, code, provider_id, template) VALUES (?,?,?,?,?,?,?,?,?)",
            (message_id, 1, "twilio", started, finished - started, outcome, code, sid, "clerk"),
        )
        db.execute("INSERT INTO message_events (message_id, at, status) VALUES (?,?,?)", (message_id, finished, status))
        db.execute("COMMIT")
