#!/usr/bin/env bash
# Template renders per second: Herald's engine against hummingbird-project's swift-mustache,
# in one run. Writes results/templates-<time>.json and prints a table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/results"
out="$here/results/templates-$(date -u +%Y%m%dT%H%M%SZ).json"
(cd "$here" && swift build -c release --product herald-render-bench >/dev/null)
"$here/.build/release/herald-render-bench" "$here/../templates" "$here/../Tests/HeraldCoreTests/Fixtures/mustache-spec" \
  --seconds "${SECONDS_PER_CASE:-3}" | tee "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(f"\n{'case':<40} {'herald/s':>10} {'swift-mustache/s':>17} {'ratio':>7}")
for r in rows:
    print(f"{r['case']:<40} {r['herald_per_s']:>10.0f} {r['peer_per_s']:>17.0f} {r['ratio']:>6.1f}x")
PY
echo "results: $out"
