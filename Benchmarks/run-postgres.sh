#!/usr/bin/env bash
# PostgreSQL beside SQLite, in one run on this machine: durable intake (events/s at 16 and
# 128 connections, herald serve --no-delivery), delivery of a backlog (30,000 messages
# stored first, then sent to postfix's smtp-sink by the instances, 8 workers each),
# webhook to sent (messages/s while 16 connections of webhooks arrive at the same time)
# and the wait from a webhook to its attempt at a steady 200 webhooks/s, for SQLite (one
# instance), PostgreSQL with one instance, and PostgreSQL with three
# instances on one database (the load spread over them). PostgreSQL runs here, on the
# same two cores, with its defaults (fsync on; Herald commits with synchronous_commit on).
# The backlog and webhook to sent run twice: with every process sharing the two cores, and
# with each instance held to a CPU budget of its own (INSTANCE_CPU cores, 0.4 unless set;
# a cgroup's CFS quota, as if each instance ran on a machine of its own beside the
# database: the deployment several instances are for). The budget needs root and a
# writable cgroup cpu controller; without them those runs are left out, and say so.
# Writes results/postgres-<time>.json and prints medians with the ratios.
set -euo pipefail
source "$(dirname "$0")/common.sh"
chmod 755 "$work"   # the server's user reaches its folder inside
out="$here/results/postgres-$(date -u +%Y%m%dT%H%M%SZ).json"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_server() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {  # also stops the database server
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true
  [ -n "$pgbin" ] && [ -d "$work/pg/data" ] && as_server "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
  for group in "${groups[@]}"; do rmdir "$group" 2>/dev/null || true; done
}
trap cleanup EXIT
groups=()

"$root/scripts/install-deps.sh" --test   # libpq-dev, postgresql
if ! command -v smtp-sink >/dev/null && [ ! -x /usr/sbin/smtp-sink ]; then
  [ "$(id -u)" -eq 0 ] || { echo "install postfix (for smtp-sink)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
(cd "$root" && swift build -c release --product herald >/dev/null)
(cd "$here" && swift build -c release --product herald-load >/dev/null)
load="$here/.build/release/herald-load"
body="$here/../Tests/HeraldAppTests/Fixtures/email.created.json"

# The server: a Unix socket in its folder, nothing on the network.
mkdir "$work/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
as_server "$pgbin/initdb" -D "$work/pg/data" -U postgres --auth-local=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_server "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
  -o "-c listen_addresses='' -p 15432 -k $work/pg -c max_connections=100" start >/dev/null
sql() { "$pgbin/psql" -X -q -A -t -h "$work/pg" -p 15432 -U postgres "$@"; }
new_database() { local name="bench_$(date +%s%N)"; sql -d postgres -c "CREATE DATABASE $name"; echo "$name"; }

/usr/sbin/smtp-sink -u nobody 127.0.0.1:12525 1024 &
pids+=($!)
wait_port 12525

# Each instance's CPU budget: a cgroup per instance index, cgroup v2 (cpu.max) or v1
# (cpu.cfs_quota_us), over a 10 ms period so that a throttled instance waits briefly.
budget_cores=${INSTANCE_CPU:-0.4}
budget_quota=$(python3 -c "print(int(float('$budget_cores') * 10000))")
cgroup_root=""
if [ "$(id -u)" -eq 0 ]; then
  if [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control; then
    cgroup_root=/sys/fs/cgroup
  elif [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then
    cgroup_root=/sys/fs/cgroup/cpu
  fi
fi
if [ -n "$cgroup_root" ]; then  # one group per instance index, made once
  for index in 1 2 3; do
    group="$cgroup_root/herald-bench-$index"
    mkdir -p "$group"
    if [ -f "$group/cpu.max" ]; then echo "$budget_quota 10000" > "$group/cpu.max"
    else echo 10000 > "$group/cpu.cfs_period_us"; echo "$budget_quota" > "$group/cpu.cfs_quota_us"; fi
    groups+=("$group")
  done
  # A process must be able to join one (a subshell joins, then ends).
  (echo "$BASHPID" > "${groups[0]}/cgroup.procs") 2>/dev/null || cgroup_root=""
fi
[ -n "$cgroup_root" ] || echo "no writable cgroup cpu controller (or not root): the runs with a CPU budget per instance are left out" >&2
budget=""   # set (for one start: budget=1 start ...): the instances start inside their groups

# start SYSTEM INSTANCES: starts herald serve (extra environment in serve_env), sets
# $ports (comma separated), $db (file or database name) and $here_pids.
# With a third argument, on the store of the last start (a new one otherwise).
start() {
  local system=$1 count=$2 location
  if [ -z "${3:-}" ]; then
    if [ "$system" = sqlite ]; then db="$work/sqlite-$RANDOM.db"; else db=$(new_database); fi
  fi
  if [ "$system" = sqlite ]; then location=$db; else location="postgres://postgres@/$db?host=$work/pg&port=15432"; fi
  ports=""; here_pids=()
  for index in $(seq 1 "$count"); do
    local port=$((18900 + index)) launcher=()
    # Into its group before it execs Herald, so that every thread it starts is held there.
    [ -n "$budget" ] && launcher=(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "${groups[index - 1]}")
    env HERALD_WEBHOOK_SECRET=$secret HERALD_LISTEN=127.0.0.1:$port HERALD_DATABASE="$location" HERALD_LOG_LEVEL=warning \
      HERALD_CONFIG="$work/herald.json" HERALD_TEMPLATES="$root/templates" "${serve_env[@]}" \
      "${launcher[@]}" "$root/.build/release/herald" serve "${serve_flags[@]}" 2>>"$work/herald-$system.log" &
    here_pids+=($!)
    ports="${ports:+$ports,}$port"
  done
  for port in ${ports//,/ }; do wait_port "$port"; done  # all started at once
}
# Stops the instances, then writes out what the setup left in the page cache, so that the
# kernel does not write it back (with fsyncs of its own) during the next setup's run.
stop() { kill "${here_pids[@]}" 2>/dev/null; wait "${here_pids[@]}" 2>/dev/null || true; sync; }
# The setups of a round: SQLite first (the base of the ratios), then PostgreSQL's two in
# the order the round's number picks, so that neither always runs first after SQLite.
setups() { if [ $(( $1 % 2 )) -eq 1 ]; then echo sqlite:1 postgres:1 postgres:3; else echo sqlite:1 postgres:3 postgres:1; fi; }
count() {  # QUERY on the current store
  if [[ "$db" == /* ]]; then sqlite3 "$db" "$1"; else sql -d "$db" -c "$1"; fi
}
# Waits (up to 90 s) until nothing is pending, asking four times a second whether a
# message of each pending status is left, by its index: a COUNT scanned the table and
# took a third of PostgreSQL's time while a backlog drained, and the planner, seeing
# the statistics of a table of queued messages, scans it for EXISTS too. The figures
# come from the attempts' own times, not from when this notices.
drained() {
  local query="SELECT CASE WHEN EXISTS (SELECT 1 FROM messages WHERE status = 'queued')
                            OR EXISTS (SELECT 1 FROM messages WHERE status = 'sending')
                            OR EXISTS (SELECT 1 FROM messages WHERE status = 'retrying') THEN 1 ELSE 0 END"
  [[ "$db" == /* ]] || query="SET enable_seqscan = off; $query"
  for _ in $(seq 1 360); do
    [ "$(count "$query")" = "0" ] && return 0
    sleep 0.25
  done
}
# Autovacuum's and autoanalyze's runs so far on the current store (0 for SQLite); with an
# argument, after a pause, since the statistics reach the view within half a second.
autovacuums() {
  [[ "$db" == /* ]] && { echo 0; return; }
  [ -n "${1:-}" ] && sleep 0.6
  sql -d "$db" -c "SELECT sum(autovacuum_count + autoanalyze_count) FROM pg_stat_user_tables"
}

# The backlog and webhook to sent, for every setup of round $round; with an argument, each
# delivering instance held to its CPU budget (the rows' kinds then begin with budget-).
# The instance that stores the backlog runs without one: only delivery is timed there.
deliveries() {
  # Delivery of a backlog: 30,000 messages stored by one instance that does not deliver,
  # then sent by the instances (started together, as every start here), timed from the
  # first attempt to the end of the last: claims, sends and records only.
  for setup in $(setups "$round"); do
    system=${setup%:*} instances=${setup#*:}
    serve_env=() serve_flags=(--no-delivery)
    start "$system" 1
    "$load" --ports "$ports" --secret $secret --body "$body" --connections 16 --seconds 600 --warmup 0 \
      --max-requests 30000 --label "$system-store" > "$work/load.json"
    stop
    # The burst's cleanup first, as autovacuum leaves a table some time after it (hint
    # bits set, visibility map and statistics current), so that the drain times delivery
    # and not the first reading of rows just written. Autovacuum may still come during a
    # drain (the drain's own rows, on its launcher's minute, whichever setup it falls on):
    # its runs are counted and shown.
    [ "$system" = postgres ] && sql -d "$db" -c "VACUUM ANALYZE"
    serve_env=(HERALD_WORKERS=8 "HERALD_SMTP_URL=smtp://127.0.0.1:12525/bench.local?disable_starttls=true") serve_flags=()
    before=$(autovacuums)
    budget=${1:-} start "$system" "$instances" same
    drained
    stop
    during=$(( $(autovacuums after) - before ))
    stats=$(count "SELECT COUNT(*), (SELECT COUNT(*) FROM messages WHERE status <> 'sent'), MIN(started_at),
                          MAX(started_at + duration_ms)
                   FROM attempts WHERE outcome = 'delivered'")
    python3 -c "
import json
sent, not_sent, first, last = [int(x) for x in '$stats'.split('|')]
print(json.dumps({'kind': '${1:+budget-}backlog', 'system': '$system', 'instances': $instances, 'round': $round, 'sent': sent,
                  'not_sent': not_sent, 'messages_per_s': round(sent * 1000 / max(last - first, 1)), 'autovacuums': $during}))" | tee -a "$out"
  done
  # Webhook to sent: webhooks as fast as 16 connections go, while the instances send them on.
  serve_env=(HERALD_WORKERS=8 "HERALD_SMTP_URL=smtp://127.0.0.1:12525/bench.local?disable_starttls=true") serve_flags=()
  for setup in $(setups "$round"); do
    system=${setup%:*} instances=${setup#*:}
    budget=${1:-} start "$system" "$instances"
    "$load" --ports "$ports" --secret $secret --body "$body" --connections 16 --seconds "$seconds" --warmup 0 \
      --max-requests 150000 --label "$system-$instances" > "$work/load.json"
    drained
    stop
    # Every message sent, over the time from the first webhook's arrival to the last 250.
    stats=$(count "SELECT COUNT(*), (SELECT COUNT(*) FROM messages WHERE status <> 'sent'), MIN(m.created_at),
                          MAX(a.started_at + a.duration_ms)
                   FROM messages m JOIN attempts a ON a.message_id = m.id AND a.outcome = 'delivered'")
    python3 -c "
import json; r = json.load(open('$work/load.json'))
sent, not_sent, first, last = [int(x) for x in '$stats'.split('|')]
r.update({'kind': '${1:+budget-}delivery', 'system': '$system', 'instances': $instances, 'round': $round, 'sent': sent, 'not_sent': not_sent,
          'webhooks_per_s': r['rps'], 'messages_per_s': round(sent * 1000 / max(last - first, 1))})
print(json.dumps(r))" | tee -a "$out"
  done
}

: > "$out"
for round in $(seq 1 "$rounds"); do
  # Intake: store and acknowledge only.
  serve_env=() serve_flags=(--no-delivery)
  for connections in 16 128; do
    for setup in $(setups "$round"); do
      system=${setup%:*} instances=${setup#*:}
      start "$system" "$instances"
      "$load" --ports "$ports" --secret $secret --body "$body" --connections $connections --seconds "$seconds" \
        --label "$system-$instances" > "$work/load.json"
      stop
      rows=$(count "SELECT COUNT(*) FROM messages")
      python3 -c "
import json; r = json.load(open('$work/load.json'))
r.update({'kind': 'intake', 'system': '$system', 'instances': $instances, 'round': $round, 'rows': $rows})
print(json.dumps(r))" | tee -a "$out"
    done
  done
  deliveries
  [ -n "$cgroup_root" ] && deliveries budget
  # Steady: 200 webhooks/s (8 connections), from each webhook's arrival to the start of
  # its attempt (milliseconds, as the store records them).
  for setup in $(setups "$round"); do
    system=${setup%:*} instances=${setup#*:}
    start "$system" "$instances"
    "$load" --ports "$ports" --secret $secret --body "$body" --connections 8 --rate 200 --seconds "$seconds" --warmup 0 \
      --max-requests 150000 --label "$system-$instances" > "$work/load.json"
    drained
    stop
    count "SELECT a.started_at - m.created_at FROM messages m JOIN attempts a ON a.message_id = m.id AND a.outcome = 'delivered'" \
      > "$work/latency.txt"
    python3 -c "
import json; r = json.load(open('$work/load.json'))
waits = sorted(int(x) for x in open('$work/latency.txt') if x.strip())
at = lambda q: waits[min(int(len(waits) * q), len(waits) - 1)] if waits else -1
r.update({'kind': 'steady', 'system': '$system', 'instances': $instances, 'round': $round, 'sent': len(waits),
          'to_attempt_p50_ms': at(0.5), 'to_attempt_p90_ms': at(0.9), 'to_attempt_p99_ms': at(0.99)})
print(json.dumps(r))" | tee -a "$out"
  done
done

python3 - "$out" "$budget_cores" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
setups = [("sqlite", 1), ("postgres", 1), ("postgres", 3)]
def pick(kind, system, instances, **match):
    return [r for r in rows if r["kind"] == kind and r["system"] == system and r["instances"] == instances
            and all(r.get(k) == v for k, v in match.items())]
def ratio(kind, key, setup, **match):
    base = {r["round"]: r[key] for r in pick(kind, "sqlite", 1, **match)}
    values = [r[key] / base[r["round"]] for r in pick(kind, *setup, **match) if base.get(r["round"])]
    return statistics.median(values) if values else float("nan")
def medians(kind, **match):
    """Each setup that ran `kind`, its rows, and the median of a key over them."""
    for setup in setups:
        rs = pick(kind, *setup, **match)
        if rs: yield setup, rs, (lambda k, rs=rs: statistics.median(r[k] for r in rs))
print("\nmedians over the rounds (each round runs every setup back to back); ratios to SQLite in the same round")
print("intake          connections  events/s  / SQLite  p50 ms  p99 ms  errors  rows ok")
for c in (16, 128):
    for setup, rs, m in medians("intake", connections=c):
        ok = all(r["rows"] >= r["requests"] for r in rs)
        print(f"{setup[0]:>8} x{setup[1]}  {c:>11}  {m('rps'):>8.0f}  {ratio('intake', 'rps', setup, connections=c):>7.2f}x  {m('p50_ms'):>6.2f}  {m('p99_ms'):>6.2f}  {sum(r['errors'] for r in rs):>6}  {ok}")
def per_one(kind, setup):
    """Three instances over one, each round's pair (PostgreSQL only)."""
    one = {r["round"]: r["messages_per_s"] for r in pick(kind, "postgres", 1)}
    values = [r["messages_per_s"] / one[r["round"]] for r in pick(kind, *setup) if one.get(r["round"])]
    return statistics.median(values) if setup[0] == "postgres" and values else float("nan")
budget = f"each instance held to {sys.argv[2]} cores"
for kind, title in (("backlog", "backlog"), ("budget-backlog", f"backlog, {budget}")):
    if not pick(kind, "postgres", 1): continue
    print(f"{title}\n              messages/s  / SQLite  / one PG  sent/round  not sent  autovacuums")
    for setup, rs, m in medians(kind):
        print(f"{setup[0]:>8} x{setup[1]}  {m('messages_per_s'):>10.0f}  {ratio(kind, 'messages_per_s', setup):>7.2f}x  {per_one(kind, setup):>6.2f}x  {m('sent'):>10.0f}  {sum(r['not_sent'] for r in rs):>8}  {sum(r.get('autovacuums', 0) for r in rs):>11}")
for kind, title in (("delivery", "webhook to sent"), ("budget-delivery", f"webhook to sent, {budget}")):
    if not pick(kind, "postgres", 1): continue
    print(f"{title}\n              messages/s  / SQLite  / one PG  webhooks/s  sent/round  not sent")
    for setup, rs, m in medians(kind):
        print(f"{setup[0]:>8} x{setup[1]}  {m('messages_per_s'):>10.0f}  {ratio(kind, 'messages_per_s', setup):>7.2f}x  {per_one(kind, setup):>6.2f}x  {m('webhooks_per_s'):>10.0f}  {m('sent'):>10.0f}  {sum(r['not_sent'] for r in rs):>8}")
print("steady 200/s   to attempt p50 / p90 / p99 ms   2xx p50 / p99 ms  sent/round")
for setup, rs, m in medians("steady"):
    print(f"{setup[0]:>8} x{setup[1]}  {m('to_attempt_p50_ms'):>8.0f} / {m('to_attempt_p90_ms'):.0f} / {m('to_attempt_p99_ms'):.0f}  {m('p50_ms'):>12.2f} / {m('p99_ms'):.2f}  {m('sent'):>10.0f}")
PY
echo "results: $out"
