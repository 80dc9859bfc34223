#!/usr/bin/env bash
# Whole-process time of `pki-lab init` (the default catalogue: 3 CAs, every scenario, CRLs,
# manifest) against mkcert creating a CA and one certificate, in the same hyperfine run.
# Needs: hyperfine, mkcert (apt-get install -y hyperfine mkcert), a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hyperfine --warmup 3 --runs "${RUNS:-30}" --export-json "$work/times.json" \
  -n 'pki-lab init (default catalogue)' \
  --prepare "rm -rf $work/lab" \
  "target/release/pki-lab --dir $work/lab init" \
  -n 'mkcert (new CA + 1 certificate)' \
  --prepare "rm -rf $work/mk && mkdir -p $work/mk" \
  "CAROOT=$work/mk mkcert -cert-file $work/mk/cert.pem -key-file $work/mk/key.pem localhost"
python3 - "$work/times.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print("| command | median | mean | min | max |")
print("|---|---:|---:|---:|---:|")
for name, x in r.items():
    print(f"| {name} | {x['median']*1000:.0f} ms | {x['mean']*1000:.0f} ms | {x['min']*1000:.0f} ms | {x['max']*1000:.0f} ms |")
a, b = (x["median"] for x in r.values())
print(f"\npki-lab init / mkcert, medians: {a / b:.2f}")
PY
