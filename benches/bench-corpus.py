#!/usr/bin/env python3
"""Corpus benchmark: every chart of the Helm corpus (../shared/helm-corpus, 124 real charts)
rendered chart by chart with kpack and with helm in the same run, as the corpus README says:

    template rel CHART -n corpus --kube-version 1.33.0

run from the corpus directory. For each chart, kpack and helm run one after the other
(RUNS times each, the median wall time and the largest peak memory kept). Prints per-chart
wall time and peak memory (max RSS of the process, from wait4), the corpus total, the three
largest charts (by helm's output size) on their own, and kpack's speed-up. Both outputs
are checked against helm's recorded output size (the corpus test checks the bytes); a
chart either tool refuses (the library chart `common`) is timed all the same.

usage: benches/bench-corpus.py [--kpack BIN] [--helm BIN] [--corpus DIR] [--runs N]
Defaults: target/release/kpack (cargo build --release), $HELM or helm on PATH or
/opt/kt/bin/helm, $KPACK_TEST_HELM_CORPUS or ../shared/helm-corpus, 1 run.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, cwd, env):
    """Run cmd; return (wall seconds, max RSS in KiB, exit code, stdout bytes)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0, os.SEEK_END)
        return wall, usage.ru_maxrss, p.returncode, out.tell()


def measure(cmd, cwd, env, runs):
    results = [run(cmd, cwd, env) for _ in range(runs)]
    wall = statistics.median(r[0] for r in results)
    rss = max(r[1] for r in results)
    return wall, rss, results[-1][2], results[-1][3]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kpack", default=os.path.join(HERE, "..", "target", "release", "kpack"))
    ap.add_argument(
        "--helm",
        default=os.environ.get("HELM") or shutil.which("helm") or "/opt/kt/bin/helm",
    )
    ap.add_argument(
        "--corpus",
        default=os.environ.get("KPACK_TEST_HELM_CORPUS")
        or os.path.join(HERE, "..", "..", "shared", "helm-corpus"),
    )
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    for tool in (args.kpack, args.helm):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool}: not executable (kpack: cargo build --release; helm: --helm or $HELM)")
    corpus = os.path.abspath(args.corpus)
    charts = sorted(
        f"{s}/{c}"
        for s in os.listdir(os.path.join(corpus, "charts"))
        for c in os.listdir(os.path.join(corpus, "charts", s))
    )
    home = tempfile.mkdtemp()
    env = dict(os.environ, HOME=home, NO_COLOR="1")
    for k in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[k] = os.path.join(home, k.lower())
    flags = ["-n", "corpus", "--kube-version", "1.33.0"]

    rows = []
    print(f"{'chart':<34} {'kpack s':>8} {'MiB':>6} {'helm s':>8} {'MiB':>6} {'x':>6}  note")
    for chart in charts:
        path = os.path.join("charts", chart)
        k = measure([args.kpack, "template", "rel", path, *flags], corpus, env, args.runs)
        h = measure([args.helm, "template", "rel", path, *flags], corpus, env, args.runs)
        expected = os.path.join(corpus, "expected", "a", chart + ".yaml")
        size = os.path.getsize(expected) if os.path.exists(expected) else 0
        note = []
        if k[2] != h[2]:
            note.append(f"exit kpack {k[2]} helm {h[2]}")
        if size and k[3] != size:
            note.append(f"kpack printed {k[3]} bytes, helm recorded {size}")
        rows.append((chart, k, h, size))
        print(
            f"{chart:<34} {k[0]:8.3f} {k[1] / 1024:6.1f} {h[0]:8.3f} {h[1] / 1024:6.1f} "
            f"{h[0] / k[0]:6.1f}  {'; '.join(note)}",
            flush=True,
        )

    def summary(title, sel):
        kt = sum(r[1][0] for r in sel)
        ht = sum(r[2][0] for r in sel)
        km = max(r[1][1] for r in sel) / 1024
        hm = max(r[2][1] for r in sel) / 1024
        print(
            f"{title:<34} {kt:8.3f} {km:6.1f} {ht:8.3f} {hm:6.1f} {ht / kt:6.1f}"
        )

    print()
    print(f"{'':<34} {'kpack s':>8} {'MiB':>6} {'helm s':>8} {'MiB':>6} {'x':>6}")
    summary(f"total ({len(rows)} charts)", rows)
    largest = sorted(rows, key=lambda r: r[3], reverse=True)[:3]
    for r in largest:
        summary(f"{r[0]} ({r[3] // 1024} KiB)", [r])
    summary("three largest together", largest)
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
