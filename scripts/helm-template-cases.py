#!/usr/bin/env python3
"""Regenerate tests/fixtures/helm/expected/ with helm: what `helm template` prints for the
fixture chart tests/fixtures/helm/demo under each set of flags in CASES.

Usage: python3 scripts/helm-template-cases.py [HELM]   (default: helm on PATH, or /opt/kt/bin/helm)

Each case writes expected/NAME.txt: helm's standard output (or "ERROR\\n" and its standard
error when it failed); with --output-dir, the directory is OUT (replaced by the literal
`OUT` in what helm prints) and every file written under it follows, sorted by path, as
"=== FILE path" and its content. tests/it/helm_template.rs runs kpack with the same flags
and compares.
"""

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHART = "tests/fixtures/helm/demo"
SHARED = "tests/fixtures/helm/shared-state"
EXPECTED = os.path.join(ROOT, "tests", "fixtures", "helm", "expected")

# (name, arguments after `template`); "OUT" stands for a fresh output directory.
CASES = [
    ("defaults", ["rel", CHART]),
    ("no-name", [CHART]),
    ("namespace-versions", ["rel", CHART, "-n", "other", "--kube-version", "1.29.3",
                            "--api-versions", "example.com/v1"]),
    ("crds-skip-tests", ["rel", CHART, "--include-crds", "--skip-tests"]),
    ("no-hooks", ["rel", CHART, "--no-hooks"]),
    ("show-only", ["rel", CHART, "--show-only", "templates/multi.yaml",
                   "--show-only", "charts/sub/templates/sub.yaml"]),
    ("show-only-pattern", ["rel", CHART, "-s", "templates/*.yaml"]),
    ("show-only-missing", ["rel", CHART, "-s", "templates/nope.yaml"]),
    ("set-values", ["rel", CHART, "--set", "replicas=5,sub.greeting=hello"]),
    ("output-dir", ["rel", CHART, "--output-dir", "OUT", "--include-crds"]),
    ("output-dir-release-name", ["rel", CHART, "--output-dir", "OUT", "--release-name"]),
    # The release name from --name-template; -g with only CHART (still release-name) and
    # with NAME (an error); helm install's flags, which helm template accepts and ignores.
    ("name-template", [CHART, "--name-template", '{{ "abc" | lower }}-x']),
    ("generate-name", [CHART, "-g"]),
    ("generate-name-and-name", ["rel", CHART, "-g"]),
    ("install-flags", ["rel", CHART, "--include-crds", "--skip-crds", "--labels", "a=b",
                       "--description", "d", "--create-namespace", "--wait",
                       "--wait-for-jobs", "--timeout", "1s", "--rollback-on-failure",
                       "--replace", "--force-conflicts",
                       "--server-side=false", "--take-ownership",
                       "--disable-openapi-validation"]),
    ("force-replace", ["rel", CHART, "--force-replace"]),
    # Subcharts that vendor the same library chart.
    ("vendored-library", ["rel", "tests/fixtures/helm/vendored"]),
    ("vendored-library-parse-error", ["rel", "tests/fixtures/helm/vendored-broken"]),
    # A define of the copy that wins fails: its error names that copy's file.
    ("vendored-library-exec-error", ["rel", "tests/fixtures/helm/vendored", "--set", "boom=true"]),
    # getHostByName: "" without --enable-dns; with it, addresses as written, and a name
    # that is no host name fails (without a lookup, so the case is the same on any machine).
    ("dns-disabled", ["rel", "tests/fixtures/helm/dns", "--set-string", "host=no such host"]),
    ("enable-dns", ["rel", "tests/fixtures/helm/dns", "--enable-dns"]),
    ("enable-dns-no-host", ["rel", "tests/fixtures/helm/dns", "--enable-dns",
                            "--set-string", "host=no such host"]),
    # Files that change what later files see (kpack runs the files at once on speculation):
    # a helper and a file writing to the values and to `$`, files before and after them; a
    # subchart writing to its values, which its parent's files read; the first error in
    # helm's order, before any write and after one.
    ("shared-state", ["rel", SHARED]),
    ("shared-state-sub-writes", ["rel", SHARED, "--set", "sub.write=true"]),
    ("shared-state-fail-early", ["rel", SHARED, "--set", "failEarly=true"]),
    ("shared-state-fail-late", ["rel", SHARED, "--set", "failLate=true"]),
    ("shared-state-subcharts", ["rel", SHARED, "-f", SHARED + "/peek-values.yaml"]),
    # Documents that repeat a key: printed as rendered, sorted by the last value of `kind`.
    ("repeated-keys", ["rel", "tests/fixtures/helm/repeated-keys"]),
    # .Chart.Dependencies after processing: disabled ones gone, aliases as names, enabled.
    ("dependency-list", ["rel", "tests/fixtures/helm/dependency-list"]),
]


def run(helm, args):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        argv = [helm, "template"] + [out if a == "OUT" else a for a in args]
        p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        if p.returncode != 0:
            return "ERROR\n" + p.stderr
        text = p.stdout.replace(out, "OUT")
        if "OUT" in args:
            for dirpath, _, files in sorted(os.walk(out)):
                for f in sorted(files):
                    path = os.path.join(dirpath, f)
                    text += f"=== FILE {os.path.relpath(path, out)}\n" + open(path).read()
        return text


def main():
    helm = sys.argv[1] if len(sys.argv) > 1 else (shutil.which("helm") or "/opt/kt/bin/helm")
    os.makedirs(EXPECTED, exist_ok=True)
    for name, args in CASES:
        with open(os.path.join(EXPECTED, name + ".txt"), "w") as f:
            f.write(run(helm, args))
    # `helm show crds` of the same chart (tests/it/cli.rs compares `kpack show crds`).
    p = subprocess.run([helm, "show", "crds", CHART], capture_output=True, text=True,
                       cwd=ROOT, check=True)
    with open(os.path.join(EXPECTED, "show-crds.txt"), "w") as f:
        f.write(p.stdout)
    print(f"{len(CASES)} cases and show-crds written to {os.path.relpath(EXPECTED, ROOT)}")


if __name__ == "__main__":
    main()
