#!/usr/bin/env python3
"""Regenerate tests/fixtures/gotmpl/cases.json from tests/fixtures/gotmpl/cases.txt with helm.

Usage: python3 scripts/gotmpl-cases.py [HELM]   (default: helm on PATH, or /opt/kt/bin/helm)

Each case of cases.txt becomes a Helm chart `t` (apiVersion v2) with the case's values.yaml,
the case as templates/_case.tpl and templates/out.yaml printing it as a YAML comment
(`# {{ include "t/templates/_case.tpl" . | toJson }}`). helm template rel t -n ns
--kube-version 1.33.0 runs on each; cases.json records, per case, the template, the values
and what helm printed: its standard output, or its error (standard error) when it failed.
The expected texts of the Go template tests (tests/it/gotmpl.rs) are these, never kpack's.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

from testchart import write_chart

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "tests", "fixtures", "gotmpl", "cases.txt")
OUT = os.path.join(ROOT, "tests", "fixtures", "gotmpl", "cases.json")
WRAPPER = '# {{ include "t/templates/_case.tpl" . | toJson }}\n'


def parse(text):
    cases = []
    for block in text.split("\n### ")[1:]:
        name, _, rest = block.partition("\n")
        values, _, template = rest.partition("---\n")
        values = values[len("values:\n"):] if values.startswith("values:\n") else values
        values = "\n".join(line[2:] for line in values.splitlines()) + "\n" if values.strip() else ""
        cases.append({"name": name.strip(), "values": values, "template": template.rstrip("\n")})
    return cases


def helm_binary():
    if len(sys.argv) > 1:
        return sys.argv[1]
    return shutil.which("helm") or "/opt/kt/bin/helm"


def main():
    helm = helm_binary()
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    cases = parse(open(CASES).read())
    out = []
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            templates = {"_case.tpl": case["template"], "out.yaml": WRAPPER}
            chart = write_chart(tmp, "t", case["values"], templates)
            p = subprocess.run(
                [helm, "template", "rel", chart, "-n", "ns", "--kube-version", "1.33.0"],
                capture_output=True, text=True, cwd=tmp,
            )
        entry = dict(case)
        if p.returncode == 0:
            entry["stdout"] = p.stdout
        else:
            entry["error"] = p.stderr.strip()
        out.append(entry)
    with open(OUT, "w") as f:
        json.dump({"helm": version, "cases": out}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(out)} cases written to {os.path.relpath(OUT, ROOT)} ({version})")


if __name__ == "__main__":
    main()
