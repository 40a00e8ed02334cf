# Shared by the run-*.sh benchmarks, sourced right after `set -euo pipefail`: the paths, the
# length of a run, the webhook secret, a work folder removed at exit with every process in
# $pids, the configuration each Herald of a benchmark reads, and wait_port.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
seconds=${SECONDS_PER_RUN:-10}
rounds=${ROUNDS:-3}
secret=whsec_YmVuY2htYXJrLXNlY3JldC1ub3QtZm9yLXByb2R1Y3Rpb24=
work=$(mktemp -d)
mkdir -p "$here/results"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# 128 connections from one address: above the default per-address limit (64).
echo '{"http": {"per_ip_connection_limit": 1024}}' > "$work/herald.json"
wait_port() { for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
