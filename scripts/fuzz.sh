#!/usr/bin/env bash
# Fuzzes HeraldCore's parsers and builders with libFuzzer and AddressSanitizer: the package
# in scripts/fuzz (its target is Sources/herald-fuzz/Harness.swift; the core is the
# product's own, through a link). Not part of `make test`: it runs as long as you give it.
# Lazily built globals (the shipped templates) stay alive for the whole run, so leak
# checking is off.
#   scripts/fuzz.sh [SECONDS]     default 120; crashes are written to var/fuzz/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-120}
mkdir -p "$root/var/fuzz/corpus"
# Seeds: the sample events, one per selector byte.
for sample in "$root"/Tests/HeraldAppTests/Fixtures/*.json; do
  for selector in 0 1; do
    { printf "\\x$(printf %02x $selector)"; cat "$sample"; } > "$root/var/fuzz/corpus/seed-$selector-$(basename "$sample")"
  done
done
printf '\x02%s' 'Hi {{name}}{{#list}}<{{.}}>{{/list}}{{> p}}{{=<% %>=}}<%nested.deep%>' > "$root/var/fuzz/corpus/seed-template"
printf '\x03svix-id: msg_1\nsvix-timestamp: 1700000000\nsvix-signature: v1,AAAA v1a,BBB\n' > "$root/var/fuzz/corpus/seed-headers"
printf '\x04Ana B <ana@example.com>' > "$root/var/fuzz/corpus/seed-address"
printf '\x05\x08\x0f250 2.0.0 Ok: queued as 4Xy1' > "$root/var/fuzz/corpus/seed-reply"
(cd "$root/scripts/fuzz" && swift build -c release --product herald-fuzz)
cd "$root"
ASAN_OPTIONS=detect_leaks=0 HERALD_FUZZ_TEMPLATES="$root/templates" "$root/scripts/fuzz/.build/release/herald-fuzz" \
  -max_total_time="$seconds" -max_len=8192 -timeout=10 -artifact_prefix="$root/var/fuzz/" -print_final_stats=1 \
  "$root/var/fuzz/corpus"
