#!/usr/bin/env python3
"""Corpus benchmark: every chart of the Helm corpus (../shared/helm-corpus, 124 real charts)
rendered chart by chart with kpack and with helm in the same run, as the corpus README says:

    template rel CHART -n corpus --kube-version 1.33.0

run from the corpus directory. For each chart, kpack and helm run one after the other
(RUNS times each, the median wall time and the largest peak memory kept). Prints per-chart
wall time, CPU time (user+sys: what a loaded machine does not inflate) and peak memory
(max RSS of the process, from wait4), the corpus total, the total without the charts that
generate RSA keys (helm's recorded output holds a PEM block: genCA, genPrivateKey,
genSignedCert, genSelfSignedCert search random primes, seconds per chart in both tools and
a lottery from run to run), the three
largest charts (by helm's output size) on their own, and kpack's speed-up. Both outputs
are checked against helm's recorded output size (the corpus test checks the bytes); a
chart either tool refuses (the library chart `common`) is timed all the same.

Both binaries are first copied into a temporary directory and timed there, as installed
programs are run. The file a linker has just written sits in the page cache in small
pieces (it is written through a memory map), and starting a process from it faults its
code in page by page: on this project's 2-core test VM, a freshly linked kpack ran 7 to 19%
slower than a copy of the same file, until the file left the cache. `--in-place` times the
given files where they are.

usage: benches/bench-corpus.py [--kpack BIN] [--helm BIN] [--corpus DIR] [--runs N]
                               [--in-place]
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
    """Run cmd; return (wall s, max RSS KiB, exit code, stdout bytes, CPU s (user+sys))."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0, os.SEEK_END)
        return wall, usage.ru_maxrss, p.returncode, out.tell(), usage.ru_utime + usage.ru_stime


def measure(cmd, cwd, env, runs):
    results = [run(cmd, cwd, env) for _ in range(runs)]
    wall = statistics.median(r[0] for r in results)
    rss = max(r[1] for r in results)
    cpu = statistics.median(r[4] for r in results)
    return wall, rss, results[-1][2], results[-1][3], cpu


def line(k, h):
    """kpack's and helm's figures and the speed-ups (wall, CPU)."""
    return (
        f"{k[0]:8.3f} {k[4]:6.3f} {k[1] / 1024:6.1f} {h[0]:8.3f} {h[4]:6.3f} {h[1] / 1024:6.1f} "
        f"{h[0] / k[0]:6.1f} {h[4] / max(k[4], 1e-3):6.1f}"
    )


def generates_keys(expected):
    """Whether helm's recorded output holds a PEM key or certificate (in clear or base64)."""
    try:
        text = open(expected, encoding="utf-8", errors="replace").read()
    except OSError:
        return False
    return "-----BEGIN" in text or "LS0tLS1CRUdJTi" in text


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
    ap.add_argument("--in-place", action="store_true", help="time the binaries where they are")
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
    if not args.in_place:
        # Installed copies (see the header): both tools timed from files written alike.
        bin_dir = os.path.join(home, "bin")
        os.mkdir(bin_dir)
        args.kpack = shutil.copy2(args.kpack, os.path.join(bin_dir, "kpack"))
        args.helm = shutil.copy2(args.helm, os.path.join(bin_dir, "helm"))
    env = dict(os.environ, HOME=home, NO_COLOR="1")
    for k in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[k] = os.path.join(home, k.lower())
    flags = ["-n", "corpus", "--kube-version", "1.33.0"]

    rows = []
    header = f"{'kpack s':>8} {'cpu':>6} {'MiB':>6} {'helm s':>8} {'cpu':>6} {'MiB':>6} {'x':>6} {'cpu x':>6}"
    print(f"{'chart':<34} {header}  note")
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
        keys = generates_keys(expected)
        if keys:
            note.append("generates RSA keys")
        rows.append((chart, k, h, size, keys))
        print(f"{chart:<34} {line(k, h)}  {'; '.join(note)}", flush=True)

    def summary(title, sel):
        def add(i):
            return (
                sum(r[i][0] for r in sel),
                max(r[i][1] for r in sel),
                0,
                0,
                sum(r[i][4] for r in sel),
            )

        print(f"{title:<34} {line(add(1), add(2))}")

    print()
    print(f"{'':<34} {header}")
    summary(f"total ({len(rows)} charts)", rows)
    plain = [r for r in rows if not r[4]]
    summary(f"total without RSA keys ({len(plain)})", plain)
    largest = sorted(rows, key=lambda r: r[3], reverse=True)[:3]
    for r in largest:
        summary(f"{r[0]} ({r[3] // 1024} KiB)", [r])
    summary("three largest together", largest)
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
