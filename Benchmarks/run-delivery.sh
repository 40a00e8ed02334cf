#!/usr/bin/env bash
# Delivery: messages per second from webhook to relay acceptance, and the latency from the
# webhook's 2xx to the relay's 250 at a steady 200 events/s, against postfix's smtp-sink.
# Writes results/delivery-<time>.json and prints a summary.
# BASELINE=/path/to/an/older/herald also runs that build in each round, beside this one.
set -euo pipefail
source "$(dirname "$0")/common.sh"
out="$here/results/delivery-$(date -u +%Y%m%dT%H%M%SZ).json"

if ! command -v smtp-sink >/dev/null && [ ! -x /usr/sbin/smtp-sink ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install postfix (for smtp-sink)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
"$root/scripts/install-deps.sh"
(cd "$root" && swift build -c release --product herald >/dev/null)
(cd "$here" && swift build -c release --product herald-load >/dev/null)
load="$here/.build/release/herald-load"
body="$here/../Tests/HeraldAppTests/Fixtures/email.created.json"

/usr/sbin/smtp-sink -u nobody 127.0.0.1:12525 1024 &
pids+=($!)
wait_port 12525

if [ ! -x "$here/.venv/bin/uvicorn" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q svix==2.9.1 uvicorn==0.54.0
fi

run() {  # system (herald|baseline|peer), label, load arguments...
  local system=$1 label=$2; shift 2
  local db="$work/$system.db" port pids_here=()
  rm -f "$work"/"$system".db*
  if [ "$system" != peer ]; then
    local binary="$root/.build/release/herald"
    [ "$system" = baseline ] && binary=$BASELINE
    port=18789
    HERALD_WEBHOOK_SECRET=$secret HERALD_LISTEN=127.0.0.1:$port HERALD_DATABASE="$db" HERALD_LOG_LEVEL=warning \
      HERALD_CONFIG="$work/herald.json" HERALD_TEMPLATES="$root/templates" HERALD_WORKERS=${WORKERS:-8} \
      HERALD_SMTP_URL="smtp://127.0.0.1:12525/bench.local?disable_starttls=true" \
      "$binary" serve 2>"$work/$system-$label.log" &
    pids_here+=($!)
    wait_port $port
  else
    # The peer: svix_peer.py under uvicorn (2 workers) takes the webhooks in; one
    # delivery_peer.py per core sends them.
    port=18790
    (cd "$here/peer" && HERALD_PEER_SECRET=$secret HERALD_PEER_DB="$db" \
      exec "$here/.venv/bin/uvicorn" svix_peer:app --host 127.0.0.1 --port $port --workers 2 --log-level warning \
      --no-access-log 2>"$work/peer-$label.log") &
    pids_here+=($!)
    wait_port $port
    sleep 1
    for _ in 1 2; do
      "$here/.venv/bin/python" "$here/peer/delivery_peer.py" "$db" 127.0.0.1 12525 2>>"$work/peer-$label.log" &
      pids_here+=($!)
    done
  fi
  "$load" --port $port --secret $secret --body "$body" --label "$label" --warmup 0 "$@" > "$work/load-$system-$label.json"
  # Wait until every stored message is sent (or 60 s).
  for _ in $(seq 1 600); do
    left=$(sqlite3 "$db" "SELECT COUNT(*) FROM messages WHERE status IN ('queued','sending','retrying')")
    [ "$left" = "0" ] && break
    sleep 0.1
  done
  sqlite3 -json "$db" "
    WITH done AS (
      SELECT m.created_at AS created, a.started_at + a.duration_ms AS accepted
      FROM messages m JOIN attempts a ON a.message_id = m.id AND a.outcome = 'delivered')
    SELECT COUNT(*) AS sent,
      (SELECT COUNT(*) FROM messages WHERE status <> 'sent') AS not_sent,
      ROUND(COUNT(*) * 1000.0 / (MAX(accepted) - MIN(created)), 0) AS messages_per_s,
      (SELECT accepted - created FROM done ORDER BY accepted - created LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM done)) AS p50_ms,
      (SELECT accepted - created FROM done ORDER BY accepted - created LIMIT 1 OFFSET (SELECT COUNT(*) * 99 / 100 FROM done)) AS p99_ms
    FROM done" | python3 -c "
import json, sys
row = json.load(sys.stdin)[0]
load = json.load(open('$work/load-$system-$label.json'))
row.update({'system': '$system', 'label': '$label', 'round': $round, 'webhooks_per_s': load['rps'], 'webhook_errors': load['errors']})
print(json.dumps(row))" | tee -a "$out"
  kill "${pids_here[@]}" 2>/dev/null; wait "${pids_here[@]}" 2>/dev/null || true
  pkill -f "uvicorn svix_peer:app" 2>/dev/null || true
}

: > "$out"
for round in $(seq 1 "$rounds"); do
  for system in herald ${BASELINE:+baseline} peer; do
    run $system throughput --connections 16 --seconds "$seconds" --max-requests 150000
    run $system steady-200 --connections 8 --seconds "$seconds" --rate 200 --max-requests 5000
  done
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("\nmedians over the rounds (each round runs Herald and the peer back to back)")
print("system  run           rounds  sent/round  not sent  messages/s  webhooks/s  p50 ms  p99 ms")
for label in ("throughput", "steady-200"):
    for system in ("herald", "baseline", "peer"):
        rs = [r for r in rows if r["label"] == label and r.get("system", "herald") == system]
        if not rs:
            continue
        m = lambda key: statistics.median(r[key] for r in rs)
        print(f"{system:<6}  {label:<12}  {len(rs):>6}  {m('sent'):>10.0f}  {sum(r['not_sent'] for r in rs):>8}  {m('messages_per_s'):>10.0f}"
              f"  {m('webhooks_per_s'):>10.0f}  {m('p50_ms'):>6.0f}  {m('p99_ms'):>6.0f}")
herald = [r["messages_per_s"] for r in rows if r["label"] == "throughput" and r.get("system") == "herald"]
peer = [r["messages_per_s"] for r in rows if r["label"] == "throughput" and r.get("system") == "peer"]
if herald and peer:
    print(f"throughput, Herald / peer: {statistics.median(h / p for h, p in zip(herald, peer)):.1f}x (median of the rounds' ratios)")
baseline = [r["messages_per_s"] for r in rows if r["label"] == "throughput" and r.get("system") == "baseline"]
if herald and baseline:
    print(f"throughput, Herald / baseline build: {statistics.median(h / b for h, b in zip(herald, baseline)):.2f}x (median of the rounds' ratios)")
PY
echo "results: $out"
