#!/usr/bin/env bash
# The testing API against Python's trustme, same work, same run:
#   pki-lab: TestCa::new() + issue(["localhost"]) + the server and the client rustls configs
#            (criterion, benches/testing.rs; TestCa makes three P-256 CA keys: root,
#            intermediate, rogue root);
#   trustme: CA() + issue_cert("localhost") + configure_cert(server SSLContext) +
#            configure_trust(client SSLContext), ECDSA P-256 (trustme's default), median of RUNS.
# Also prints the criterion figure of ca.serve("expired") up to the first refused handshake.
# Goal: pki-lab at most 0.25 of trustme. Needs: python3 with trustme (pip install trustme).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-50}
cargo bench --quiet --bench testing -- --warm-up-time 1 --measurement-time 5 >&2
median_ms() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['median']['point_estimate']/1e6)" "$1"; }
ours=$(median_ms target/criterion/testca/new+issue+configs/new/estimates.json)
serve=$(median_ms target/criterion/testca/serve-expired-to-first-refusal/new/estimates.json)
theirs=$(python3 - "$runs" <<'PY'
import ssl, statistics, sys, time
import trustme
def once():
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
for _ in range(3):
    once()
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter(); once(); times.append(time.perf_counter() - t)
print(statistics.median(times) * 1000)
PY
)
ver=$(python3 -c 'import importlib.metadata as m;print("trustme %s, cryptography %s" % (m.version("trustme"), m.version("cryptography")))')
printf '| path | median |\n|---|---:|\n'
printf '| pki-lab TestCa::new + issue + server/client configs | %.2f ms |\n' "$ours"
printf '| %s: CA + issue_cert + configure_cert/configure_trust | %.2f ms |\n' "$ver" "$theirs"
printf '| pki-lab ca.serve("expired") to the first refused handshake | %.2f ms |\n' "$serve"
python3 -c "import sys;print(f'\nTestCa / trustme: {float(sys.argv[1])/float(sys.argv[2]):.2f} (goal <= 0.25)')" "$ours" "$theirs"
