#!/usr/bin/env python3
"""Record what helm prints for `toYaml .Values` of every values.yaml in the helm corpus.

usage: scripts/helm-parity-corpus.py [HELM] [CORPUS]

For each `values.yaml` under CORPUS/charts (default ../shared/helm-corpus, charts and the
subcharts they vendor), helm (default /opt/kt/bin/helm, v4.3.1) renders a chart whose one
template prints `toYaml .Values`, with that file given as `-f`. The SHA-256 and length of
the printed text (or helm's error) go to tests/fixtures/helm-parity/corpus-toyaml.json,
which the test `helm_parity::corpus_values_to_yaml_matches_helm` compares with kpack's
reading of the same file and its Go-engine `toYaml`. Only digests are stored: the text
itself is megabytes; rerun this script and diff by hand to see it.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from testchart import write_chart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")


def main():
    args = sys.argv[1:]
    helm = args[0] if args else "/opt/kt/bin/helm"
    corpus = args[1] if len(args) > 1 else os.path.join(ROOT, "..", "shared", "helm-corpus")
    corpus = os.path.abspath(corpus)
    files = []
    for dirpath, _, names in os.walk(os.path.join(corpus, "charts")):
        if "values.yaml" in names:
            files.append(os.path.join(dirpath, "values.yaml"))
    files.sort()
    out = {}
    with tempfile.TemporaryDirectory() as work:
        chart = write_chart(work, "c", "", {"t.yaml": "v: {{ toYaml .Values | b64enc | quote }}\n"})
        for path in files:
            rel = os.path.relpath(path, corpus)
            p = subprocess.run([helm, "template", "r", chart, "-f", path], capture_output=True, text=True)
            if p.returncode != 0:
                out[rel] = {"error": p.stderr.strip().replace(corpus, "CORPUS")}
                continue
            line = [l for l in p.stdout.splitlines() if l.startswith("v: ")][0]
            text = base64.b64decode(json.loads(line[3:]))
            out[rel] = {"sha256": hashlib.sha256(text).hexdigest(), "len": len(text)}
    target = os.path.join(ROOT, "tests", "fixtures", "helm-parity", "corpus-toyaml.json")
    with open(target, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{target}: {len(out)} files")


if __name__ == "__main__":
    main()
