#!/usr/bin/env bash
# `pki-lab serve` of the whole default catalogue at scale, one run:
#   1. idle RSS (VmRSS from /proc) once every scenario's listener is up (goal <= 20 MiB);
#   2. CONNS (10,000) TLS connections to `valid` completed and held idle, RSS again: memory per
#      idle connection; then a control: one more connection must complete its handshake and get
#      its page while they are held (curl, trusting the lab root);
#   3. handshakes/s with every scenario under load at once: one wrk per scenario port
#      (`Connection: close`, -t1 -c2, SECS seconds), all started together; handshakes that
#      fail by design (client-certificate scenarios, TLS 1.2-only servers wrk may not agree
#      with) count as errors, not handshakes.
# Needs: python3, curl, wrk, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
conns=${CONNS:-10000}
secs=${SECS:-10}
work=$(mktemp -d)
cleanup() { kill "${pk:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
bin=target/release/pki-lab
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
$bin --dir "$work/lab" init 2>/dev/null
$bin --dir "$work/lab" serve --quiet --port-base 0 --ports-file "$work/ports.json" --idle-timeout 600 >/dev/null 2>&1 &
pk=$!
for _ in $(seq 100); do [ -s "$work/ports.json" ] && break; sleep 0.1; done
sleep 1
idle=$(rss $pk)
nscen=$(python3 -c "import json,sys;print(len(json.load(open(sys.argv[1]))['scenarios']))" "$work/ports.json")
port=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['scenarios']['valid'])" "$work/ports.json")
echo "idle: $nscen scenario listeners + the SNI router, VmRSS $((idle / 1024)).$(( (idle % 1024) * 10 / 1024 )) MiB"

# Holds the connections until told to stop (a line on stdin), reports when all are up.
mkfifo "$work/ctl"
cat >"$work/hold.py" <<'PY'
import asyncio, resource, ssl, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
async def main():
    sem = asyncio.Semaphore(64)
    held, failed = [], 0
    async def one():
        nonlocal failed
        async with sem:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
                held.append(w)
            except Exception as e:
                failed += 1
    await asyncio.gather(*(one() for _ in range(n)))
    print(f"held {len(held)} failed {failed}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
asyncio.run(main())
PY
python3 "$work/hold.py" "$port" "$conns" <"$work/ctl" >"$work/held" 2>&1 &
holder=$!
exec 3>"$work/ctl"
for _ in $(seq 600); do grep -q held "$work/held" 2>/dev/null && break; sleep 0.5; done
cat "$work/held"
sleep 2
full=$(rss $pk)
open=$(ls /proc/$pk/fd | wc -l)
control=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/lab/ca.pem" "https://localhost:$port/" || echo failed)
echo "holding: VmRSS $((full / 1024)) MiB; $(( (full - idle) * 1024 / conns )) bytes per idle TLS connection; $open file descriptors open in serve; control connection: HTTP $control"
echo >&3; exec 3>&-; wait $holder || true

# Every scenario under load at once.
python3 -c "import json,sys;[print(p) for p in json.load(open(sys.argv[1]))['scenarios'].values()]" "$work/ports.json" >"$work/plist"
while read -r p; do
  wrk -t1 -c2 -d"${secs}s" -H 'Connection: close' "https://localhost:$p/" >"$work/wrk.$p" 2>&1 &
done <"$work/plist"
wait $(jobs -p | grep -v "^$pk$") 2>/dev/null || true
python3 - "$work" <<'PY'
import glob, re, sys
ok = errs = 0
rate = 0.0
for f in glob.glob(sys.argv[1] + "/wrk.*"):
    t = open(f).read()
    m = re.search(r"Requests/sec:\s+([\d.]+)", t); rate += float(m.group(1)) if m else 0
    m = re.search(r"(\d+) requests in", t); ok += int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    errs += sum(map(int, m.groups())) if m else 0
print(f"every scenario at once: {ok} completed requests ({rate:.0f}/s summed over scenarios), {errs} socket errors")
PY
