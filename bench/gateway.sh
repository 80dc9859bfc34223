#!/usr/bin/env bash
# The TCP passthrough gateway against a direct connection and against HAProxy in `mode tcp`, all
# in front of the same backend (`pki-lab serve valid`), same wrk load (keep-alive HTTPS GETs),
# one run:
#   direct; pki-lab gateway passthrough-rr and passthrough-hash; HAProxy roundrobin and
#   source + hash-type consistent, each with and without `option splice-auto`.
# Each row: requests/s, the ratio to direct, and the forwarder's CPU time (user+system from
# /proc, all threads) per request and per KiB delivered to the client (as wrk counts it).
# Needs: wrk, haproxy (apt-get install -y wrk haproxy), python3, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
secs=${SECS:-10}
conns=${CONNS:-32}
threads=${THREADS:-$(nproc)}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
bin=target/release/pki-lab
tck=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "nothing on port $1" >&2; exit 1; }
ticks() { if [ "$1" = - ]; then echo 0; else awk '{print $14 + $15}' "/proc/$1/stat"; fi; }

$bin --dir "$work/lab" init 2>/dev/null
$bin --dir "$work/lab" serve valid --quiet --port-base 0 --ports-file "$work/be.json" >/dev/null 2>&1 &
pids+=($!)
wait_file "$work/be.json"
be_port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['scenarios']['valid'])" "$work/be.json")

rows=()
measure() {
  local name=$1 pid=$2 port=$3 before after out
  wait_port "$port"
  before=$(ticks "$pid")
  out=$(wrk -t2 -c"$conns" -d"${secs}s" "https://localhost:$port/")
  after=$(ticks "$pid")
  rows+=("$name|$(echo "$out" | awk '/requests in/ {print $1}')|$(echo "$out" | awk '/requests in/ {print $5}' | tr -d ,)|$(echo "$out" | awk '/Requests\/sec/ {print $2}')|$((after - before))")
}

measure "direct to the backend" - "$be_port"

for mode in passthrough-rr passthrough-hash; do
  TOKIO_WORKER_THREADS=$threads $bin --dir "$work/lab" gateway --quiet --mode $mode --port 0 \
    --backend "b1=127.0.0.1:$be_port" --ports-file "$work/gw-$mode.json" >/dev/null 2>&1 &
  pids+=($!)
  wait_file "$work/gw-$mode.json"
  port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['gateway'].rsplit(':',1)[1])" "$work/gw-$mode.json")
  measure "pki-lab gateway --mode $mode" "${pids[-1]}" "$port"
  kill "${pids[-1]}"
done

for balance in "roundrobin" "source|hash-type consistent"; do
  for splice in "" "option splice-auto"; do
    port=$(free_port)
    cat > "$work/haproxy.cfg" <<CONF
global
  nbthread $threads
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:$port
  default_backend be
backend be
  balance ${balance%%|*}
  ${balance#*|}
  $splice
  server b1 127.0.0.1:$be_port
CONF
    [ "$balance" = roundrobin ] && sed -i '/^  roundrobin$/d' "$work/haproxy.cfg"
    haproxy -f "$work/haproxy.cfg" -db 2>/dev/null &
    pids+=($!)
    label="HAProxy $(haproxy -v | awk 'NR==1 {print $3}') mode tcp, balance ${balance/|/ + }${splice:+, splice-auto}"
    measure "$label" "${pids[-1]}" "$port"
    kill "${pids[-1]}"
  done
done

python3 - "$tck" "$conns" "$secs" "$threads" "${rows[@]}" <<'PY'
import re, sys
tck, conns, secs, threads = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def size(s):
    m = re.match(r"([\d.]+)([KMG]?B)", s)
    return float(m.group(1)) * {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m.group(2)]
rows = [r.split("|") for r in sys.argv[5:]]
direct = float(rows[0][3])
print(f"keep-alive HTTPS GETs, wrk -t2 -c{conns} -d{secs}s; forwarders with {threads} threads; one backend")
print("| path | requests/s | / direct | forwarder CPU per request | per KiB delivered |")
print("|---|---:|---:|---:|---:|")
for name, n, read, rps, t in rows:
    if name.startswith("direct"):
        print(f"| {name} | {float(rps):,.0f} | 1.00 | - | - |")
        continue
    cpu = float(t) / tck
    nbytes = size(read)
    print(f"| {name} | {float(rps):,.0f} | {float(rps)/direct:.2f} | {cpu/int(n)*1e6:.1f} us | {cpu/nbytes*1024*1e6:.2f} us |")
PY
