#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for SECONDS (default 60) and prints, per target, the
# executions libFuzzer made, their rate, the coverage it reached and the crashes it found.
#   bench/fuzz.sh [SECONDS] [TARGET...]      (targets: http_head lab_yaml answers cert_input)
# Seeds: fuzz/corpus/http_head, the shipped labs, their reference answers, and the certificates
# and CRL of a fresh lab (made with `cargo run -- init`). Each run works on a copy in a temporary
# directory, so fuzz/ is left as it was; a crash is kept in fuzz/artifacts/TARGET/ to replay with
# `cd fuzz && cargo +nightly fuzz run TARGET artifacts/TARGET/crash-…`.
# Needs: a nightly toolchain (`rustup toolchain install nightly`) and `cargo install cargo-fuzz`.
# FUZZ_TOOLCHAIN (default nightly) and FUZZ_SANITIZER (default address; `none` builds faster)
# choose how.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_head lab_yaml answers cert_input)
toolchain=${FUZZ_TOOLCHAIN:-nightly}
sanitizer=${FUZZ_SANITIZER:-address}
case $seconds in '' | *[!0-9]*) echo "SECONDS must be a whole number, not \`$seconds\`" >&2; exit 2 ;; esac
cargo "+$toolchain" fuzz --version >/dev/null 2>&1 || {
    echo "needs cargo-fuzz on the $toolchain toolchain: rustup toolchain install $toolchain; cargo install cargo-fuzz" >&2
    exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed() {
    mkdir -p "$work/corpus/$1"
    case $1 in
        http_head) cp fuzz/corpus/http_head/* "$work/corpus/$1/" ;;
        lab_yaml) cp labs/*.yaml "$work/corpus/$1/" ;;
        answers) cp labs/answers/*.yaml "$work/corpus/$1/" ;;
        cert_input)
            cargo run --quiet -- --dir "$work/lab" init >/dev/null 2>&1 || echo "note: no lab to seed cert_input with" >&2
            if [ -d "$work/lab" ]; then
                cp "$work/lab/scenarios/valid/"*.pem "$work/lab/intermediate.crl.pem" "$work/corpus/$1/"
                if command -v openssl >/dev/null; then
                    openssl x509 -in "$work/lab/scenarios/valid/cert.pem" -outform DER -out "$work/corpus/$1/cert.der"
                    openssl crl -in "$work/lab/intermediate.crl.pem" -outform DER -out "$work/corpus/$1/crl.der"
                fi
            fi
            ;;
        *) echo "unknown target \`$1\` (targets: http_head lab_yaml answers cert_input)" >&2; exit 2 ;;
    esac
}

rows=()
status=0
for t in "${targets[@]}"; do
    seed "$t"
    echo "building $t ($toolchain, sanitizer $sanitizer)…" >&2
    (cd fuzz && cargo "+$toolchain" fuzz build --sanitizer "$sanitizer" "$t") >"$work/$t.build" 2>&1 || {
        tail -20 "$work/$t.build" >&2
        echo "$t: the build failed" >&2
        exit 2
    }
    seeds=$(ls "$work/corpus/$t" | wc -l)
    mkdir -p "fuzz/artifacts/$t"
    before=$(ls "fuzz/artifacts/$t" | wc -l)
    echo "fuzzing $t for $seconds s from $seeds seeds…" >&2
    (cd fuzz && cargo "+$toolchain" fuzz run --sanitizer "$sanitizer" "$t" "$work/corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="artifacts/$t/") >"$work/$t.log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -1 | cut -d' ' -f2)
    crashes=$(($(ls "fuzz/artifacts/$t" | wc -l) - before))
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        grep -m1 -E 'panicked|ERROR: libFuzzer|SUMMARY' "$work/$t.log" >&2 || tail -5 "$work/$t.log" >&2
    fi
    rows+=("| $t | ${seconds} s | ${execs:-?} | ${rate:-?} | ${cov:-?} | $seeds -> $(ls "$work/corpus/$t" | wc -l) | $crashes |")
done

printf '| target | time | executions | exec/s | coverage | corpus | crashes |\n|---|---:|---:|---:|---:|---:|---:|\n'
printf '%s\n' "${rows[@]}"
echo "$(rustc "+$toolchain" --version), cargo-fuzz $(cargo "+$toolchain" fuzz --version | awk '{print $2}'), sanitizer $sanitizer, $(nproc) cores"
exit $status
