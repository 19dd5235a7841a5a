#!/usr/bin/env bash
# Profile-guided release build of kpack (how release binaries are meant to be built).
#
# 1. build kpack instrumented (-Cprofile-generate) under target/pgo-gen;
# 2. train it on the charts kpack ships: `kpack template` of every bundled chart with its
#    defaults, with each of its ci/*.yaml and examples/*.yaml values files, as YAML and as
#    JSON, and `kpack lint` of each. The benchmark's generated charts are NOT used, so the
#    profile cannot be tuned to what bench-render.sh measures;
# 3. merge the profile with llvm-profdata and build again with -Cprofile-use under
#    target/pgo. The binary is target/pgo/release/kpack; the profile is kept as
#    target/pgo-gen/kpack.profdata.
#
# usage: benches/pgo-build.sh
# Needs llvm-profdata of the same LLVM major version as rustc (`rustc -vV`); on Debian,
# package llvm-NN (apt.llvm.org). LLVM_PROFDATA overrides the one found on PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

llvm_major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=${LLVM_PROFDATA:-$(command -v "llvm-profdata-$llvm_major" || command -v llvm-profdata || true)}
if [ -z "$profdata" ] || ! "$profdata" --version | grep -q "LLVM version $llvm_major\."; then
  echo "pgo-build: needs llvm-profdata from LLVM $llvm_major (rustc's); install llvm-$llvm_major or set LLVM_PROFDATA" >&2
  exit 1
fi

work=$root/target/pgo-gen
rm -rf "$work/raw"

echo "== 1/3 instrumented build (target/pgo-gen)"
RUSTFLAGS="-Cprofile-generate=$work/raw" \
  cargo build --release --locked --target-dir target/pgo-gen
bin=target/pgo-gen/release/kpack

echo "== 2/3 training on the bundled charts"
runs=0
train() {
  # A chart whose values are refused still exercises the engine; only a crash is fatal.
  local rc=0
  "$bin" "$@" >/dev/null 2>&1 || rc=$?
  (( rc < 128 )) || { echo "pgo-build: kpack $* crashed (exit $rc)" >&2; exit 1; }
  runs=$((runs + 1))
}
for chart in charts/*/; do
  name=$(basename "$chart")
  train template "$name" "$chart"
  train template "$name" "$chart" -o json
  train lint "$chart"
  for values in "$chart"ci/*.yaml "$chart"examples/*.yaml; do
    [ -f "$values" ] || continue
    train template "$name" "$chart" -f "$values"
  done
done
echo "$runs training runs"

echo "== 3/3 optimized build (target/pgo)"
"$profdata" merge -o "$work/kpack.profdata" "$work/raw"
# keep-text-section-prefix: the linker keeps the functions the profile found hot together
# (.text.hot) and the ones never run apart (.text.unlikely), so a run touches fewer pages.
RUSTFLAGS="-Cprofile-use=$work/kpack.profdata -Clink-arg=-Wl,-z,keep-text-section-prefix" \
  cargo build --release --locked --target-dir target/pgo
echo "built target/pgo/release/kpack"
