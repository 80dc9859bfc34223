#!/usr/bin/env bash
# Full TLS 1.3 handshakes: server CPU time per handshake and handshakes/s, for `pki-lab serve
# valid` and three anchors serving the same ECDSA P-256 certificate and key, driven by the same
# wrk command with `Connection: close` (one full handshake per request), all in one run:
#   - a minimal tokio-rustls server (benches/tls_echo.rs: the stack pki-lab is built on),
#   - nginx (OpenSSL), HAProxy terminating TLS (OpenSSL), WORKERS workers/threads each,
# and the crypto floor from `openssl speed` in the same run: one ECDSA P-256 signature plus two
# X25519 operations (the server's key pair and the shared secret; the key pair counted as a full
# scalar multiplication, so the floor is if anything high).
# Every server prefers TLS_AES_128_GCM_SHA256 and keeps no session cache and sends no tickets,
# so each does the same work; `pki-lab serve` with its defaults (a memory cache, one ticket per
# handshake) is a row of its own, and not a full handshake: wrk resumes the session of its
# previous connection (serve's log says `handshake=resumed` for all but the first few), so that
# row has no floor ratio.
# CPU time is utime+stime of the server's processes from /proc (all threads), before and after,
# also shown split into user and kernel time.
# Needs: wrk, nginx, haproxy (apt-get install -y wrk nginx-light haproxy), openssl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo bench --bench tls_echo --no-run --quiet 2>/dev/null
echo_bin=$(cargo bench --bench tls_echo --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "tls_echo" and m.get("executable"):
        print(m["executable"])')
workers=${WORKERS:-$(nproc)}
secs=${SECS:-10}
conns=${CONNS:-32}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bin=target/release/pki-lab
$bin --dir "$work/lab" init 2>/dev/null
chain=$work/lab/scenarios/valid/chain.pem
key=$work/lab/scenarios/valid/key.pem
tck=$(getconf CLK_TCK)

# CPU ticks of a process and its children processes (nginx workers): user then system.
cpu() {
  local user=0 sys=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat")
    user=$((user + u)) sys=$((sys + s))
  done
  echo "$user $sys"
}
port_of() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['scenarios']['valid'])" "$1"; }
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return; sleep 0.1; done; echo "timed out waiting for $1" >&2; exit 1; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; echo "nothing on port $1" >&2; exit 1; }

rows=()
measure() {
  local name=$1 pid=$2 port=$3 kind=${4:-full}
  wait_port "$port"
  # The suite this server picks for an OpenSSL client (wrk's library) offering its defaults.
  local suite
  suite=$(openssl s_client -connect "127.0.0.1:$port" -tls1_3 </dev/null 2>/dev/null | awk '/^New, / {print $NF}')
  local u0 s0 u1 s1 out n
  read -r u0 s0 < <(cpu "$pid")
  out=$(wrk -t2 -c"$conns" -d"${secs}s" -H 'Connection: close' "https://localhost:$port/")
  read -r u1 s1 < <(cpu "$pid")
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr -s ' ' | paste -sd ';')
  rows+=("$name|$suite|$n|$rps|$(( u1 - u0 ))|$(( s1 - s0 ))|${errs:-none}|$kind")
}

TOKIO_WORKER_THREADS=$workers $bin --dir "$work/lab" serve valid --quiet --port-base 0 --ports-file "$work/pk.json" \
  --session-store none >/dev/null 2>&1 &
pids+=($!); wait_file "$work/pk.json"; measure "pki-lab serve valid --session-store none" $! "$(port_of "$work/pk.json")"
kill "${pids[-1]}"

TOKIO_WORKER_THREADS=$workers $bin --dir "$work/lab" serve valid --quiet --port-base 0 --ports-file "$work/pk2.json" \
  >/dev/null 2>&1 &
pids+=($!); wait_file "$work/pk2.json"; measure "pki-lab serve valid (defaults: cache, 1 ticket)" $! "$(port_of "$work/pk2.json")" resumed
kill "${pids[-1]}"

TOKIO_WORKER_THREADS=$workers "$echo_bin" "$chain" "$key" "$work/echo.port" >/dev/null 2>&1 &
pids+=($!); wait_file "$work/echo.port"; measure "tokio-rustls minimal server" $! "$(cat "$work/echo.port")"
kill "${pids[-1]}"

ng_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes $workers;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  ssl_session_cache off;
  ssl_session_tickets off;
  server {
    listen 127.0.0.1:$ng_port ssl;
    ssl_protocols TLSv1.3;
    ssl_prefer_server_ciphers on;
    ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
    ssl_certificate $chain;
    ssl_certificate_key $key;
    location / { return 200 "valid\n"; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
pids+=($!); measure "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')" $! "$ng_port"
kill "${pids[-1]}"

hp_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat "$chain" "$key" > "$work/haproxy.pem"
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread $workers
  tune.ssl.cachesize 0
  ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets
  ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend tls
  bind 127.0.0.1:$hp_port ssl crt $work/haproxy.pem
  http-request return status 200 content-type text/plain string "valid\n"
CONF
haproxy -f "$work/haproxy.cfg" -db 2>/dev/null &
pids+=($!); measure "HAProxy $(haproxy -v | awk 'NR==1 {print $3}') (TLS termination)" $! "$hp_port"
kill "${pids[-1]}"

floor=$(openssl speed -mr -seconds 3 ecdsap256 ecdhx25519 2>/dev/null | awk -F: '
  /^\+F4:/ && $3 == 256 { sign = 1e6 / $4 }
  /^\+F5:/ && $3 == 253 { x = 1e6 / $4 }
  END { printf "%.1f %.1f %.1f", sign, x, sign + 2 * x }')
read -r sign x25519 floor_us <<<"$floor"

python3 - "$tck" "$floor_us" "$sign" "$x25519" "$workers" "$conns" "$secs" "${rows[@]}" <<'PY'
import sys
tck, floor, sign, x = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
workers, conns, secs = sys.argv[5:8]
print(f"workers={workers} wrk -t2 -c{conns} -d{secs}s 'Connection: close'; TLS 1.3, ECDSA P-256, X25519; full handshakes but where a row says resumed")
print(f"crypto floor (openssl speed, this run): ECDSA P-256 sign {sign} us + 2 x X25519 {x} us = {floor:.0f} us")
print("| server | handshake | suite | handshakes | handshakes/s | server CPU per handshake | of it user / kernel | / floor | errors |")
print("|---|---|---|---:|---:|---:|---:|---:|---|")
for row in sys.argv[8:]:
    name, suite, n, rps, user, kernel, errs, kind = row.split("|")
    per = lambda ticks: float(ticks) / tck / int(n) * 1e6
    us = per(user) + per(kernel)
    ratio = f"{us / floor:.2f}" if kind == "full" else "- (resumed)"
    print(f"| {name} | {kind} | {suite} | {int(n):,} | {float(rps):,.0f} | {us:.0f} us | {per(user):.0f} / {per(kernel):.0f} us | {ratio} | {errs} |")
PY
