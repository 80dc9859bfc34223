#!/usr/bin/env bash
# `pki-lab probe --all` (every scenario: two connections each, every rule evaluated) against a
# shell loop of `openssl s_client` over the same servers (one connection each, chain check only).
# Needs: hyperfine, openssl, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
cleanup() { kill "${pk:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
bin=$PWD/target/release/pki-lab
$bin --dir "$work/lab" init 2>/dev/null
$bin --dir "$work/lab" serve --quiet --port-base 0 --ports-file "$work/ports.json" >/dev/null 2>&1 &
pk=$!
while [ ! -s "$work/ports.json" ]; do sleep 0.1; done
ports=$(python3 -c "import json,sys;print(' '.join(map(str, json.load(open(sys.argv[1]))['scenarios'].values())))" "$work/ports.json")
cat > "$work/openssl-loop.sh" <<LOOP
for p in $ports; do
  openssl s_client -connect 127.0.0.1:\$p -servername localhost -verify_hostname localhost \
    -CAfile $work/lab/ca.pem </dev/null >/dev/null 2>&1 || true
done
LOOP
echo "$(echo "$ports" | wc -w) scenarios"
hyperfine --warmup 2 --runs "${RUNS:-20}" --export-markdown "${OUT:-/dev/stdout}" \
  -n 'pki-lab probe --all' "$bin --dir $work/lab probe --all >/dev/null || true" \
  -n 'openssl s_client loop' "bash $work/openssl-loop.sh"
