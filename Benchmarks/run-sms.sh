#!/usr/bin/env bash
# SMS: messages per second from webhook to a Twilio double's 201 (nginx on loopback,
# answering as Twilio does), and the latency from the webhook's arrival to the provider's
# answer at a steady 200 events/s, side by side with a peer on Twilio's official Python
# library (svix + uvicorn intake, one sender process per core). With FAILOVER=1 it measures
# instead a primary that fails half its requests (503) against a healthy one, both in
# Herald. Writes results/sms-<time>.json and prints a summary.
set -euo pipefail
source "$(dirname "$0")/common.sh"
failover=${FAILOVER:-0}
sid="AC$(printf '0f%.0s' $(seq 1 16))"
out="$here/results/$([ "$failover" = 1 ] && echo failover || echo sms)-$(date -u +%Y%m%dT%H%M%SZ).json"

command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
  [ "$(id -u)" -eq 0 ] || { echo "install nginx (the Twilio double)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
"$root/scripts/install-deps.sh"
(cd "$root" && swift build -c release --product herald >/dev/null)
(cd "$here" && swift build -c release --product herald-load >/dev/null)
load="$here/.build/release/herald-load"
body="$here/../Tests/HeraldAppTests/Fixtures/sms.created.json"

sed -e "s|PIDFILE|$work/nginx.pid|" -e "s|PORT_A|18801|" -e "s|PORT_B|18802|" "$here/doubles/twilio-nginx.conf" > "$work/nginx.conf"
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
wait_port 18801
healthy="twilio://$sid:benchmark-token@default?from=%2B15550001111&endpoint=http://127.0.0.1:18801"
flaky="twilio://$sid:benchmark-token@default?from=%2B15550001111&endpoint=http://127.0.0.1:18802&name=flaky"

if [ "$failover" != 1 ] && [ ! -x "$here/.venv/bin/python" -o ! -f "$here/.venv/.twilio" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q svix==2.9.1 uvicorn==0.54.0 twilio==9.3.7 && touch "$here/.venv/.twilio"
fi

run() {  # system (herald|peer|herald-flaky), label, load arguments...
  local system=$1 label=$2; shift 2
  local db="$work/$system.db" port pids_here=()
  rm -f "$work"/"$system".db*
  if [ "$system" = peer ]; then
    port=18790
    (cd "$here/peer" && HERALD_PEER_SECRET=$secret HERALD_PEER_DB="$db" \
      exec "$here/.venv/bin/uvicorn" svix_peer:app --host 127.0.0.1 --port $port --workers 2 --log-level warning \
      --no-access-log 2>"$work/peer-$label.log") &
    pids_here+=($!)
    wait_port $port
    sleep 1
    for _ in 1 2; do
      "$here/.venv/bin/python" "$here/peer/sms_peer.py" "$db" http://127.0.0.1:18801 2>>"$work/peer-$label.log" &
      pids_here+=($!)
    done
  else
    port=18789
    urls=$healthy
    [ "$system" = herald-flaky ] && urls="$flaky $healthy"
    HERALD_WEBHOOK_SECRET=$secret HERALD_LISTEN=127.0.0.1:$port HERALD_DATABASE="$db" HERALD_LOG_LEVEL=error \
      HERALD_CONFIG="$work/herald.json" HERALD_TEMPLATES="$root/templates" HERALD_WORKERS=${WORKERS:-8} \
      HERALD_SMS_URL="$urls" "$root/.build/release/herald" serve 2>"$work/herald-$label.log" &
    pids_here+=($!)
    wait_port $port
  fi
  "$load" --port $port --secret $secret --body "$body" --label "$label" --warmup 0 "$@" > "$work/load-$system-$label.json"
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
      (SELECT COUNT(*) FROM attempts WHERE outcome <> 'delivered') AS failed_attempts,
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

systems="herald peer"
[ "$failover" = 1 ] && systems="herald herald-flaky"
: > "$out"
for round in $(seq 1 "$rounds"); do
  for system in $systems; do
    run $system throughput --connections 16 --seconds "$seconds" --max-requests 150000
    run $system steady-200 --connections 8 --seconds "$seconds" --rate 200 --max-requests 5000
  done
done

python3 - "$out" "$systems" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
systems = sys.argv[2].split()
print("\nmedians over the rounds (each round runs the systems back to back)")
print("system        run           rounds  sent/round  not sent  failed tries  messages/s  webhooks/s  p50 ms  p99 ms")
for label in ("throughput", "steady-200"):
    for system in systems:
        rs = [r for r in rows if r["label"] == label and r["system"] == system]
        if not rs:
            continue
        m = lambda key: statistics.median(r[key] for r in rs)
        print(f"{system:<12}  {label:<12}  {len(rs):>6}  {m('sent'):>10.0f}  {sum(r['not_sent'] for r in rs):>8}  {m('failed_attempts'):>12.0f}"
              f"  {m('messages_per_s'):>10.0f}  {m('webhooks_per_s'):>10.0f}  {m('p50_ms'):>6.0f}  {m('p99_ms'):>6.0f}")
first = [r["messages_per_s"] for r in rows if r["label"] == "throughput" and r["system"] == systems[0]]
second = [r["messages_per_s"] for r in rows if r["label"] == "throughput" and r["system"] == systems[1]]
if first and second:
    print(f"throughput, {systems[0]} / {systems[1]}: {statistics.median(a / b for a, b in zip(first, second)):.2f}x (median of the rounds' ratios)")
PY
echo "results: $out"
