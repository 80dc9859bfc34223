#!/usr/bin/env bash
# `pki-lab init` (the default catalogue: 3 CAs, every scenario, CRLs, manifest) against mkcert
# making a CA and one certificate, whole process, in the same hyperfine run:
#   row 1-2, like for like: mkcert -ecdsa (P-256, as pki-lab's default);
#   row 3: `init --complete`, which also issues the RSA scenarios `init` leaves for later;
#   row 4, labelled: mkcert's default RSA keys (RSA-3072 CA, RSA-2048 leaf), for reference only;
#   row 5: where the deferred work went, the first command that opens the new lab.
# Prints wall-clock medians and mean CPU time (user+system) per run, the ratio init / mkcert -ecdsa,
# and init's cost per certificate made.
# Needs: hyperfine, mkcert (apt-get install -y hyperfine mkcert), python3, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
runs=${RUNS:-15}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/times.json" \
  -n 'pki-lab init (default catalogue)' \
  --prepare "rm -rf $work/lab" \
  "target/release/pki-lab --dir $work/lab init" \
  -n 'mkcert -ecdsa (new CA + 1 certificate)' \
  --prepare "rm -rf $work/mk" \
  "env CAROOT=$work/mk mkcert -ecdsa -cert-file $work/cert.pem -key-file $work/key.pem localhost" \
  -n 'pki-lab init --complete (every scenario now, RSA keys too)' \
  --prepare "rm -rf $work/labc" \
  "target/release/pki-lab --dir $work/labc init --complete" \
  -n 'mkcert, RSA (new CA + 1 certificate; not like for like)' \
  --prepare "rm -rf $work/mkr" \
  "env CAROOT=$work/mkr mkcert -cert-file $work/rcert.pem -key-file $work/rkey.pem localhost" \
  -n 'the first command after init (scenarios: issues the 5 RSA scenarios)' \
  --prepare "bash -c 'rm -rf $work/labd && target/release/pki-lab --dir $work/labd init 2>/dev/null'" \
  "target/release/pki-lab --dir $work/labd scenarios" >&2
python3 - "$work/times.json" "$work/lab" "$runs" <<'PY'
import json, os, re, sys
res = json.load(open(sys.argv[1]))["results"]
# Distinct certificates the lab holds (a CA's PEM appears in several chains).
certs = set()
for root, _, files in os.walk(sys.argv[2]):
    for f in files:
        if f.endswith(".pem"):
            text = open(os.path.join(root, f), errors="replace").read()
            certs.update(re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S))
print(f"median of {sys.argv[3]} runs each, same hyperfine run")
print("| command | wall median | wall min | CPU (user+sys) mean |")
print("|---|---:|---:|---:|")
cpu = {}
for x in res:
    c = x["user"] + x["system"]  # hyperfine reports CPU time as means
    cpu[x["command"]] = c
    print(f"| {x['command']} | {x['median']*1000:.0f} ms | {x['min']*1000:.0f} ms | {c*1000:.0f} ms |")
init, ec, full = res[0], res[1], res[2]
print(f"\ninit / mkcert -ecdsa: wall {init['median']/ec['median']:.2f}x, CPU {cpu[init['command']]/cpu[ec['command']]:.2f}x (goal: wall <= 3x)")
print(f"init made {len(certs)} certificates (mkcert: 2): {init['median']*1000/len(certs):.2f} ms wall, "
      f"{cpu[init['command']]*1000/len(certs):.2f} ms CPU per certificate")
print(f"init --complete / mkcert -ecdsa: wall {full['median']/ec['median']:.2f}x, CPU {cpu[full['command']]/cpu[ec['command']]:.2f}x")
PY
