#!/usr/bin/env bash
# Cold build of a scratch crate that uses pki_lab::testing, with `default-features = false,
# features = ["testing"]` and then with the defaults, back to back: the README's table of crates
# compiled and build time. Offline, with pki-lab's own Cargo.lock, so both rows build the same
# versions. Usage: bench/testing-feature-build.sh (from the checkout; takes minutes).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scratch/src"
cat > "$work/scratch/src/main.rs" <<'RS'
fn main() -> Result<(), pki_lab::Error> {
    let ca = pki_lab::testing::TestCa::new()?;
    let cert = ca.issue(&["localhost", "127.0.0.1"])?;
    let _server = cert.server_config()?;
    let _client = ca.client_config()?;
    Ok(())
}
RS
cp "$repo/Cargo.lock" "$work/scratch/Cargo.lock"
echo "date $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in testing default; do
  if [ "$mode" = testing ]; then dep="{ path = \"$repo\", default-features = false, features = [\"testing\"] }"; else dep="{ path = \"$repo\" }"; fi
  printf '[package]\nname = "scratch"\nversion = "0.0.0"\nedition = "2024"\n\n[dependencies]\npki-lab = %s\n' "$dep" > "$work/scratch/Cargo.toml"
  rm -rf "$work/target"
  start=$(date +%s.%N)
  (cd "$work/scratch" && CARGO_TARGET_DIR="$work/target" cargo build --offline) > "$work/$mode.log" 2>&1
  end=$(date +%s.%N)
  printf '%-8s crates compiled %s, cold build %.0f s\n' "$mode" "$(grep -c '^ *Compiling' "$work/$mode.log")" "$(echo "$end - $start" | bc)"
done
