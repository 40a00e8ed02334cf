#!/usr/bin/env bash
# Measures Herald's intake (signed, durable events/s and latency at 16 and 128
# connections) and the same load against the peer (Python svix + uvicorn, 2 workers,
# SQLite), in one run on this machine. Writes results/intake-<date>.json and a summary.
# BASELINE=/path/to/an/older/herald also runs that build in each round, beside this one.
set -euo pipefail
source "$(dirname "$0")/common.sh"
results="$here/results"
out="$results/intake-$(date -u +%Y%m%dT%H%M%SZ).json"

"$root/scripts/install-deps.sh"
(cd "$root" && swift build -c release --product herald >/dev/null)
(cd "$here" && swift build -c release >/dev/null)
load="$here/.build/release/herald-load"
body="$here/../Tests/HeraldAppTests/Fixtures/email.created.json"

if [ ! -x "$here/.venv/bin/uvicorn" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q svix==2.9.1 uvicorn==0.54.0
fi


builds=("herald:$root/.build/release/herald")
[ -n "${BASELINE:-}" ] && builds+=("baseline:$BASELINE")
: > "$out"
for round in $(seq 1 "$rounds"); do
for connections in 16 128; do
  # Herald (and the baseline build), a fresh database per run.
  for build in "${builds[@]}"; do
  label=${build%%:*} binary=${build#*:}
  HERALD_WEBHOOK_SECRET=$secret HERALD_LISTEN=127.0.0.1:18787 HERALD_DATABASE="$work/$label-$round-$connections.db" \
    HERALD_LOG_LEVEL=warning HERALD_CONFIG="$work/herald.json" "$binary" serve --no-delivery 2>"$work/herald.log" &
  pids+=($!)
  wait_port 18787
  "$load" --port 18787 --secret $secret --body "$body" --connections $connections --seconds "$seconds" --label "$label" | tee -a "$out"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  rows=$(sqlite3 "$work/$label-$round-$connections.db" "SELECT COUNT(*) FROM messages")
  echo "{\"label\":\"$label-rows\",\"connections\":$connections,\"rows\":$rows}" | tee -a "$out"
  done

  # The peer.
  (cd "$here/peer" && HERALD_PEER_SECRET=$secret HERALD_PEER_DB="$work/peer-$connections.db" \
    "$here/.venv/bin/uvicorn" svix_peer:app --host 127.0.0.1 --port 18788 --workers 2 --log-level warning \
    --no-access-log 2>"$work/peer.log") &
  pids+=($!)
  wait_port 18788
  sleep 1
  "$load" --port 18788 --secret $secret --body "$body" --connections $connections --seconds "$seconds" --label peer | tee -a "$out"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  pkill -f "uvicorn svix_peer:app" 2>/dev/null || true
  sleep 0.5
done
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def median(label, connections, key):
    values = [r[key] for r in rows if r.get("label") == label and r.get("connections") == connections and key in r]
    return statistics.median(values) if values else float("nan"), len(values)
print("\nmedians over the rounds (each round runs Herald and the peer back to back)")
print("connections  herald ev/s  peer ev/s  ratio   herald p50/p99 ms   peer p50/p99 ms   rounds")
for c in (16, 128):
    h, n = median("herald", c, "rps"); p, _ = median("peer", c, "rps")
    ratios = [a["rps"] / b["rps"] for a, b in zip([r for r in rows if r.get("label") == "herald" and r.get("connections") == c],
                                                   [r for r in rows if r.get("label") == "peer" and r.get("connections") == c]) if b["rps"]]
    print(f"{c:>11}  {h:>11.0f}  {p:>9.0f}  {statistics.median(ratios):>5.1f}x  {median('herald', c, 'p50_ms')[0]:>7.2f} / {median('herald', c, 'p99_ms')[0]:<7.2f}  {median('peer', c, 'p50_ms')[0]:>7.2f} / {median('peer', c, 'p99_ms')[0]:<7.2f}  {n}")
if any(r.get("label") == "baseline" for r in rows):
    print("connections  herald ev/s  baseline ev/s  herald/baseline (median of the rounds' ratios)")
    for c in (16, 128):
        pick = lambda label: [r for r in rows if r.get("label") == label and r.get("connections") == c]
        ratios = [a["rps"] / b["rps"] for a, b in zip(pick("herald"), pick("baseline")) if b["rps"]]
        print(f"{c:>11}  {median('herald', c, 'rps')[0]:>11.0f}  {median('baseline', c, 'rps')[0]:>13.0f}  {statistics.median(ratios):>6.2f}x")
PY
echo "results: $out"
