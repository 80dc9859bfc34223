#!/usr/bin/env bash
# Output regression check: OLD_BIN and NEW_BIN each make a fresh lab on a pinned clock and run
# `init`, `scenarios --json`, `lab list` (text and --json), `verify --json` of every scenario, the
# manifest, and `serve` on free loopback ports with `probe --all --json` against it. What differs
# from run to run (serials, fingerprints, the CAs' random name tag, ports, timings, temp paths) is
# normalised away, then the two captures are diffed: exit 0 if they agree, 1 with the diff if not.
# Needs: python3. Loopback only. KEEP=1 keeps the captures (the temporary directory is printed).
#   bench/compare-outputs.sh /path/to/pki-lab-before target/debug/pki-lab
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 OLD_BIN NEW_BIN" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
work=$(mktemp -d)
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  if [ -n "${KEEP:-}" ]; then echo "captures kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The same environment for both: pinned clock, no colour, nothing of the caller's PKI_LAB_*.
for v in $(env | sed -n 's/^\(PKI_LAB_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PKI_LAB_NOW=${PKI_LAB_NOW:-2026-12-01T10:00:00Z} NO_COLOR=1 COLUMNS=100 LC_ALL=C TZ=UTC

# rec NAME CMD…: stdout to NAME.out, stderr to NAME.err, the exit code to NAME.exit.
rec() {
  local name=$1
  shift
  local rc=0
  "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null || rc=$?
  echo "$rc" >"$out/$name.exit"
}

# capture BIN NAME: every output of BIN into $work/NAME/out, normalised.
capture() {
  local bin=$1 name=$2
  local lab=$work/$name/lab
  out=$work/$name/out
  mkdir -p "$out"
  rec init "$bin" --dir "$lab" init
  rec scenarios "$bin" --dir "$lab" scenarios --json
  rec lab-list "$bin" --dir "$lab" lab list
  rec lab-list-json "$bin" --dir "$lab" lab list --json
  if [ -f "$lab/manifest.json" ]; then
    cp "$lab/manifest.json" "$out/manifest.json"
  else
    echo "(init wrote no manifest.json)" >"$out/manifest.json"
  fi
  # One verify per scenario, with the files and CRL the manifest names.
  python3 - "$lab/manifest.json" >"$work/$name/verify-args" <<'PY'
import json, os, sys
path = sys.argv[1]
for s in json.load(open(path))["scenarios"] if os.path.exists(path) else []:
    f = s["files"]
    args = [s["name"], "--cert", f["cert"]]
    if f.get("chain"):
        args += ["--chain", f["chain"]]
    if f.get("crl"):
        args += ["--crl", f["crl"]]
    print("\t".join(args))
PY
  while IFS=$'\t' read -r scenario args; do
    local -a a
    IFS=$'\t' read -r -a a <<<"$args"
    for i in "${!a[@]}"; do
      case ${a[$i]} in --*) ;; *) a[i]=$lab/${a[$i]} ;; esac
    done
    rec "verify-$scenario" "$bin" --dir "$lab" verify --json --host localhost "${a[@]}"
  done <"$work/$name/verify-args"

  # serve on free loopback ports, probe --all against it, stop it.
  local ports=$work/$name/ports.json
  "$bin" --dir "$lab" serve --quiet --bind 127.0.0.1 --port-base 0 --ports-file "$ports" \
    >"$work/$name/serve.log" 2>&1 </dev/null &
  serve_pid=$!
  local waited=0
  while [ ! -s "$ports" ] && kill -0 "$serve_pid" 2>/dev/null && [ $waited -lt 600 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if [ -s "$ports" ]; then
    rec probe-all "$bin" --dir "$lab" probe --all --json
  else
    # Recorded, not fatal: a server that does not start is a difference like any other.
    { echo "serve did not start:"; cat "$work/$name/serve.log"; } >"$out/probe-all.out"
  fi
  kill "$serve_pid" 2>/dev/null || true
  wait "$serve_pid" 2>/dev/null || true
  serve_pid=

  python3 - "$out" "$lab" "$work/$name" <<'PY'
import json, os, re, sys
out, lab, root = sys.argv[1:4]
# By key: values that are random (serials, fingerprints), chosen by the OS (ports) or timed.
RANDOM_KEYS = {"serial", "port"}
def by_key(k, v):
    if k in RANDOM_KEYS or k.endswith("_sha256") or k.endswith("fingerprint"):
        return "<" + k.upper() + ">"
    if k == "ms" or k.endswith("_ms") or k.endswith("_micros") or k == "elapsed":
        return "<MS>"
    return None
SUBS = [
    (re.compile(re.escape(lab)), "<LAB>"),
    (re.compile(re.escape(root)), "<WORK>"),
    (re.compile(r"\b[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){7,}\b"), "<HEX>"),   # fingerprints, serials
    (re.compile(r"\b(CA) [0-9a-f]{6}\b"), r"\1 <TAG>"),                      # random CA name tag
    (re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+"), r"\1:<PORT>"),
    (re.compile(r"\b\d+(?:\.\d+)? ?ms\b"), "<MS>"),
    (re.compile(r"\(pid \d+\)"), "(pid <PID>)"),                               # serve's default id
    # rustls in a live handshake checks dates against the system clock, not PKI_LAB_NOW.
    (re.compile(r"verification time \d+ \(UNIX\)"), "verification time <NOW> (UNIX)"),
    (re.compile(r"\(\d+ seconds (ago|from now)\)"), r"(<N> seconds \1)"),
]
def text(s):
    for r, rep in SUBS:
        s = r.sub(rep, s)
    return s
def walk(v, key=None):
    if key is not None and not isinstance(v, (dict, list)) and v is not None:
        k = by_key(key, v)
        if k is not None:
            return k
    if isinstance(v, dict):
        return {k: walk(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x, key) for x in v]
    if isinstance(v, str):
        return text(v)
    return v
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    raw = open(path, encoding="utf-8", errors="replace").read()
    try:
        if not (name.endswith(".json") or name.endswith(".out")) or not raw.strip():
            raise ValueError
        new = json.dumps(walk(json.loads(raw)), indent=2, ensure_ascii=False) + "\n"
    except ValueError:
        new = text(raw)
    open(path, "w", encoding="utf-8").write(new)
PY
}

capture "$old" old
capture "$new" new
if diff -ru "$work/old/out" "$work/new/out" >"$work/diff"; then
  echo "no difference: $(ls "$work/new/out" | wc -l) outputs of $old and $new agree (PKI_LAB_NOW=$PKI_LAB_NOW)"
else
  sed "s|$work/||g" "$work/diff"
  echo "DIFFERENT: $old and $new disagree (above; old is -, new is +)" >&2
  exit 1
fi
