#!/usr/bin/env bash
# The cost of a resumed handshake against a full one, as the probe measures it (client-side
# handshake time, loopback): N connections with resumption off (all full) and N with it on
# (the first full, the rest resumed). The first connection of each run is left out (warm-up).
# Needs: a release build, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
n=${N:-50}
work=$(mktemp -d)
cleanup() { kill "${pk:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
bin=target/release/pki-lab
$bin --dir "$work/lab" init 2>/dev/null
$bin --dir "$work/lab" serve valid --quiet --port-base 0 --ports-file "$work/p.json" >/dev/null 2>&1 &
pk=$!
while [ ! -s "$work/p.json" ]; do sleep 0.1; done
port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['scenarios']['valid'])" "$work/p.json")
$bin --dir "$work/lab" probe "localhost:$port" --json --requests 1 --connections "$n" > "$work/full.json"
$bin --dir "$work/lab" probe "localhost:$port" --json --requests 1 --connections "$n" --resume > "$work/resumed.json"
python3 - "$work/full.json" "$work/resumed.json" <<'PY'
import json, statistics, sys
def times(path, kind):
    c = json.load(open(path))["connections"][1:]
    return [x["handshake_ms"] for x in c if x["handshake"] == kind]
full, res = times(sys.argv[1], "full"), times(sys.argv[2], "resumed")
print(f"full handshake     median {statistics.median(full):6.2f} ms  (n={len(full)})")
print(f"resumed handshake  median {statistics.median(res):6.2f} ms  (n={len(res)})")
print(f"resumed / full     {statistics.median(res)/statistics.median(full):.2f}")
PY
