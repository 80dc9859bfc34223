#!/usr/bin/env bash
# Full TLS 1.3 handshakes per second: `pki-lab serve valid` against nginx serving the same ECDSA
# certificate and key with the same number of workers, both driven by the same wrk command with
# `Connection: close` (one handshake per request), in one run.
# Needs: wrk, nginx (apt-get install -y wrk nginx), a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
workers=${WORKERS:-$(nproc)}
secs=${SECS:-10}
conns=${CONNS:-32}
work=$(mktemp -d)
cleanup() { kill "${pk:-}" "${ng:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

bin=target/release/pki-lab
$bin --dir "$work/lab" init 2>/dev/null
TOKIO_WORKER_THREADS=$workers $bin --dir "$work/lab" serve valid --quiet --port-base 0 --ports-file "$work/ports.json" >/dev/null 2>&1 &
pk=$!
while [ ! -s "$work/ports.json" ]; do sleep 0.1; done
pk_port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['scenarios']['valid'])" "$work/ports.json")

ng_port=$((pk_port + 1))
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
    ssl_certificate $work/lab/scenarios/valid/chain.pem;
    ssl_certificate_key $work/lab/scenarios/valid/key.pem;
    location / { return 200 "valid\n"; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
ng=$!
sleep 1

run() {
  local name=$1 port=$2
  local rps
  rps=$(wrk -t2 -c"$conns" -d"${secs}s" -H 'Connection: close' "https://localhost:$port/" | awk '/Requests\/sec/ {print $2}')
  printf '%-28s %10s handshakes/s\n' "$name" "$rps"
}
echo "workers=$workers connections=$conns duration=${secs}s (TLS 1.3, ECDSA P-256, no resumption)"
run "pki-lab serve (valid)" "$pk_port"
run "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')" "$ng_port"
