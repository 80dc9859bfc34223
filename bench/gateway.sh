#!/usr/bin/env bash
# Gateway passthrough throughput as a ratio of a direct connection: the same wrk load
# (keep-alive, HTTPS GET of the scenario page) against one backend directly and through
# `pki-lab gateway --mode passthrough-rr` in front of that same backend.
# Needs: wrk, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
secs=${SECS:-10}
conns=${CONNS:-32}
work=$(mktemp -d)
cleanup() { kill "${be:-}" "${gw:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
bin=target/release/pki-lab
$bin --dir "$work/lab" init 2>/dev/null
$bin --dir "$work/lab" serve valid --quiet --port-base 0 --ports-file "$work/be.json" >/dev/null 2>&1 &
be=$!
while [ ! -s "$work/be.json" ]; do sleep 0.1; done
be_port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['scenarios']['valid'])" "$work/be.json")
$bin --dir "$work/lab" gateway --quiet --mode passthrough-rr --port 0 --backend "b1=127.0.0.1:$be_port" \
  --ports-file "$work/gw.json" >/dev/null 2>&1 &
gw=$!
while [ ! -s "$work/gw.json" ]; do sleep 0.1; done
gw_port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['gateway'].rsplit(':',1)[1])" "$work/gw.json")
rps() { wrk -t2 -c"$conns" -d"${secs}s" "https://localhost:$1/" | awk '/Requests\/sec/ {print $2}'; }
direct=$(rps "$be_port")
through=$(rps "$gw_port")
echo "keep-alive HTTPS requests/s over $conns connections, ${secs}s each:"
printf '  direct to the backend     %10s\n' "$direct"
printf '  through passthrough-rr    %10s\n' "$through"
python3 -c "import sys; print(f'  ratio                     {float(sys.argv[2])/float(sys.argv[1]):10.2f}')" "$direct" "$through"
