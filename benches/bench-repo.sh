#!/usr/bin/env bash
# Searching a large chart repository index: kpack vs helm on the same generated index.
#
#   cargo build --release && benches/bench-repo.sh [KPACK]
#
# Generates an index.yaml of CHARTS charts x VERSIONS versions (default 1000 x 10 = 10,000
# chart versions, about 13 MB, with the fields public indexes carry: maintainers,
# annotations, dependencies...), puts it in kpack's and helm's repository caches as
# repository "bench" (private config and cache directories, nothing else is touched), and
# prints the median wall time of RUNS runs (default 7) of:
#   - kpack search repo, listing cached (what every search after `repo update` costs);
#   - kpack search repo, listing removed first (reads and parses the YAML again: the cost
#     `repo update` pays once per download);
#   - helm search repo (helm parses the YAML on every search).
# helm is HELM, else `helm` on PATH, else /opt/kt/bin/helm; skipped when not found.
set -euo pipefail
cd "$(dirname "$0")/.."

KPACK=${1:-target/release/kpack}
CHARTS=${CHARTS:-1000}
VERSIONS=${VERSIONS:-10}
RUNS=${RUNS:-7}
HELM=${HELM:-$(command -v helm || true)}
[ -z "$HELM" ] && [ -x /opt/kt/bin/helm ] && HELM=/opt/kt/bin/helm
[ -x "$KPACK" ] || { echo "no kpack binary at $KPACK (cargo build --release)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/kconfig" "$work/kcache/repository" "$work/hcache" "$work/home"

awk -v charts="$CHARTS" -v versions="$VERSIONS" 'BEGIN {
  print "apiVersion: v1"; print "entries:"
  for (c = 1; c <= charts; c++) {
    name = sprintf("chart-%04d", c)
    printf "  %s:\n", name
    for (v = versions - 1; v >= 0; v--) {
      ver = sprintf("%d.%d.%d", int(c % 7) + 1, v, c % 3)
      printf "  - annotations:\n      category: Category%d\n      licenses: Apache-2.0\n", c % 13
      printf "    apiVersion: v2\n    appVersion: %d.%d.0\n", c % 5, v
      printf "    created: \"2025-01-%02dT10:00:00.000000000Z\"\n", (v % 28) + 1
      printf "    dependencies:\n    - name: common\n      repository: oci://registry.example.com/charts\n      tags:\n      - shared-library\n      version: 2.x.x\n"
      printf "    description: Chart %d of the benchmark repository, deploying application %d with sensible defaults\n", c, c
      printf "    digest: %064d\n", c * 100 + v
      printf "    home: https://example.com/charts/%s\n    icon: https://example.com/icons/%s.svg\n", name, name
      printf "    keywords:\n    - bench\n    - kw%d\n    - group%d\n", c % 50, c % 9
      printf "    maintainers:\n    - email: team%d@example.com\n      name: Team %d\n", c % 20, c % 20
      printf "    name: %s\n    sources:\n    - https://github.com/example/%s\n    type: application\n", name, name
      printf "    urls:\n    - https://charts.example.com/%s-%s.tgz\n    version: %s\n", name, ver, ver
    }
  }
  print "generated: \"2025-02-01T00:00:00.000000000Z\""
}' > "$work/index.yaml"

cp "$work/index.yaml" "$work/kcache/repository/bench-index.yaml"
cp "$work/index.yaml" "$work/hcache/bench-index.yaml"
printf 'repositories:\n- name: bench\n  url: https://charts.example.com/\n' > "$work/kconfig/repositories.yaml"
printf 'apiVersion: ""\nrepositories:\n- name: bench\n  url: https://charts.example.com/\n' > "$work/helm.yaml"

kenv=(env KPACK_CONFIG_HOME="$work/kconfig" KPACK_CACHE_HOME="$work/kcache" HOME="$work/home" NO_COLOR=1)
henv=(env HELM_REPOSITORY_CONFIG="$work/helm.yaml" HELM_REPOSITORY_CACHE="$work/hcache"
      HELM_CONFIG_HOME="$work/home/helm" HELM_CACHE_HOME="$work/home/hc" HELM_DATA_HOME="$work/home/hd" HOME="$work/home")

# median wall time (ms) of RUNS runs of "$@"; PRE (a command) runs before each, untimed.
median_ms() {
  local times=() i t0 t1
  for ((i = 0; i < RUNS; i++)); do
    if [ -n "${PRE:-}" ]; then eval "$PRE"; fi
    t0=$(date +%s%N)
    "$@" > /dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {printf "%.1f", a[int((NR + 1) / 2)] / 1000}'
}

size=$(du -k "$work/index.yaml" | cut -f1)
echo "index: $CHARTS charts x $VERSIONS versions = $((CHARTS * VERSIONS)) chart versions, $((size / 1024)) MB; median of $RUNS runs"
# The listing is made on the first search; the timed runs below find it.
"${kenv[@]}" "$KPACK" search repo kw7 > "$work/kpack.out"
echo "results for 'kw7': $(($(wc -l < "$work/kpack.out") - 1)) charts"
printf '%-52s %8s\n' "command" "ms"
for q in "kw7" "chart-0999" "--versions kw7" "nothing-matches-this"; do
  # shellcheck disable=SC2086
  printf '%-52s %8s\n' "kpack search repo $q" "$(PRE='' median_ms "${kenv[@]}" "$KPACK" search repo $q)"
done
# shellcheck disable=SC2086
printf '%-52s %8s\n' "kpack search repo kw7 (listing made again from YAML)" \
  "$(PRE="rm -f '$work/kcache/repository/bench-index.kpack.json'" median_ms "${kenv[@]}" "$KPACK" search repo kw7)"
if [ -n "$HELM" ]; then
  "${henv[@]}" "$HELM" search repo kw7 > "$work/helm.out"
  cmp -s <(awk 'NR > 1 {print $1, $2}' "$work/helm.out") <(awk 'NR > 1 {print $1, $2}' "$work/kpack.out") \
    && echo "(kpack and helm list the same charts and versions for 'kw7')" \
    || echo "WARNING: kpack and helm list different results for 'kw7'"
  for q in "kw7" "chart-0999" "--versions kw7" "nothing-matches-this"; do
    # shellcheck disable=SC2086
    printf '%-52s %8s\n' "helm search repo $q ($("$HELM" version --short 2>/dev/null))" "$(PRE='' median_ms "${henv[@]}" "$HELM" search repo $q)"
  done
else
  echo "helm not found (set HELM): its figures are not shown"
fi
