"""The peer Herald is measured against: Python's official `svix` library verifying the
webhook, under uvicorn (run with 2 workers), writing the same message row to SQLite
(WAL, synchronous=FULL) before answering 200. One commit per request, as such a service
is usually written.

Run: HERALD_PEER_SECRET=whsec_... HERALD_PEER_DB=peer.db uvicorn svix_peer:app --workers 2
"""
import json
import os
import sqlite3
import time

from svix.webhooks import Webhook, WebhookVerificationError

SECRET = os.environ["HERALD_PEER_SECRET"]
DB_PATH = os.environ["HERALD_PEER_DB"]

webhook = Webhook(SECRET)
db = sqlite3.connect(DB_PATH, isolation_level=None, check_same_thread=False, timeout=30)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA busy_timeout=30000")
db.execute(
    """CREATE TABLE IF NOT EXISTS messages (
        id INTEGER PRIMARY KEY, webhook_id TEXT NOT NULL UNIQUE, clerk_id TEXT, event_type TEXT NOT NULL,
        channel TEXT, slug TEXT, recipient TEXT, subject TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, next_attempt_at INTEGER,
        occurred_at INTEGER)"""
)
db.execute("CREATE TABLE IF NOT EXISTS payloads (message_id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
db.execute(
    """CREATE TABLE IF NOT EXISTS message_events (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL,
        at INTEGER NOT NULL, status TEXT NOT NULL, detail TEXT)"""
)


async def respond(send, status, payload):
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
    try:
        webhook.verify(body, headers)
    except WebhookVerificationError:
        await respond(send, 401, {"error": "signature"})
        return
    event = json.loads(body)
    data = event.get("data") or {}
    now = int(time.time() * 1000)
    channel = "email" if event.get("type") == "email.created" else "sms"
    recipient = data.get("to_email_address") or data.get("to_phone_number")
    db.execute("BEGIN IMMEDIATE")
    cursor = db.execute(
        """INSERT INTO messages (webhook_id, clerk_id, event_type, channel, slug, recipient, subject, status, attempts,
           created_at, updated_at, next_attempt_at, occurred_at) VALUES (?,?,?,?,?,?,?,?,0,?,?,?,?)
           ON CONFLICT(webhook_id) DO NOTHING""",
        (headers["svix-id"], data.get("id"), event.get("type"), channel, data.get("slug"), recipient,
         data.get("subject"), "queued", now, now, now, event.get("timestamp")),
    )
    if cursor.rowcount:
        db.execute("INSERT INTO payloads (message_id, body) VALUES (?,?)", (cursor.lastrowid, body))
        db.execute("INSERT INTO message_events (message_id, at, status) VALUES (?,?,?)", (cursor.lastrowid, now, "queued"))
    db.execute("COMMIT")
    await respond(send, 200, {"id": cursor.lastrowid, "status": "queued"})
