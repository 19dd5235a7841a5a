#!/usr/bin/env python3
"""Regenerate tests/fixtures/gotmpl/arg-types.json with helm: the Go parameter types of every
template function kpack knows, as helm's text/template checks the arguments it is given.

Usage: python3 scripts/helm-arg-types.py [HELM]   (default: helm on PATH, or /opt/kt/bin/helm)

Go checks each argument of a function call against the function's parameter type before the
call: a value of another type stops the render with "wrong type for value; expected T; got
U" at that argument. This script asks helm, function by function, position by position:
it calls the function with a boolean from the values at one position (constants of the
types already found before it) and reads the type helm names in its error; where helm takes
the boolean, it tries a float, which only a bool parameter refuses; where helm takes both,
the parameter is `interface {}`. The arity comes from helm's "wrong number of args" error.

For every typed parameter found, the fixture keeps the probing template and helm's whole
error, which tests/it/gotmpl.rs requires kpack to report the same way. The names are read
from kpack's helper table (src/engine/funcs/mod.rs) plus the functions the engine handles
itself; a name helm does not define is recorded as such.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

from testchart import write_chart

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "gotmpl", "arg-types.json")
VALUES = "b: true\nf: 1.5\n"
ENGINE_FUNCTIONS = ["include", "tpl"]

# A constant of each parameter type, for the positions before the one probed.
GOOD = {
    "string": '"a"',
    "int": "1",
    "int64": "1",
    "uint32": "1",
    "float64": "1.5",
    "bool": "true",
    "[]interface {}": "(list)",
    "map[string]interface {}": "(dict)",
    "[]string": '(list "a" | toStrings)',
    "time.Time": "now",
    "sprig.certificate": '(genCA "a" 1)',
    "interface {}": ".Values.b",
}

LOCATION = re.compile(r"t/templates/a\.yaml:1:(\d+)")
WRONG = re.compile(r"wrong type for value; expected (.+?); got (\S+)")
ARITY = re.compile(r"wrong number of args for \S+: want (at least )?(\d+) got")


def helm_binary():
    if len(sys.argv) > 1:
        return sys.argv[1]
    return shutil.which("helm") or "/opt/kt/bin/helm"


def names():
    table = open(os.path.join(ROOT, "src", "engine", "funcs", "mod.rs")).read()
    found = re.findall(r'h\(\s*"([A-Za-z0-9_]+)",', table)
    found += re.findall(r'name: "([A-Za-z0-9_]+)"', table)
    # sprig's error-returning variants: ("mustMerge", "merge").
    found += re.findall(r'\("(must[A-Za-z0-9_]+)", "[A-Za-z0-9_]+"\)', table)
    return sorted(set(found + ENGINE_FUNCTIONS))


def render(helm, template):
    """helm's standard error for a chart whose one template is `template` ("" on success)."""
    with tempfile.TemporaryDirectory() as tmp:
        chart = write_chart(tmp, "t", VALUES, {"a.yaml": template})
        p = subprocess.run([helm, "template", "rel", chart], capture_output=True, text=True)
        return "" if p.returncode == 0 else p.stderr.strip()


def call(name, args):
    return "{{ " + " ".join([name] + args) + " }}\n"


def probe(helm, name):
    err = render(helm, call(name, ["nil"] * 9))
    if "not defined" in err:
        return name, {"defined": False}
    m = ARITY.search(err)
    if m and not m.group(1):
        arity, variadic = int(m.group(2)), False
    else:
        m = ARITY.search(render(helm, call(name, [])))
        arity, variadic = (int(m.group(2)) if m else 0), True
    params, cases = [], []
    for i in range(arity + variadic):
        before = [GOOD.get(t) for t in params]
        if None in before:
            params.append("?")
            continue
        after = [".Values.b"] * (arity - i - 1)
        found = "interface {}"
        for probe_value in (".Values.b", ".Values.f"):
            args = before + [probe_value] + after
            template = call(name, args)
            err = render(helm, template)
            # Go places a field chain (`.Values.b`) at its second name: `.b`, counted from 0.
            column = len("{{ " + " ".join([name] + before)) + 1 + len(".Values")
            loc = LOCATION.search(err)
            wrong = WRONG.search(err)
            if wrong and loc and int(loc.group(1)) == column:
                found = wrong.group(1)
                cases.append({"template": template, "error": err})
                break
        params.append(found)
    entry = {"defined": True, "params": params[:arity]}
    if variadic:
        entry["variadic"] = params[arity]
    entry["cases"] = cases
    return name, entry


def main():
    helm = helm_binary()
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    with ThreadPoolExecutor(4) as pool:
        found = dict(pool.map(lambda n: probe(helm, n), names()))
    with open(OUT, "w") as f:
        json.dump({"helm": version, "values": VALUES, "functions": found}, f, indent=1, sort_keys=True)
        f.write("\n")
    typed = sum(1 for e in found.values() if e.get("cases"))
    print(f"{len(found)} functions probed, {typed} with typed parameters: {os.path.relpath(OUT, ROOT)} ({version})")


if __name__ == "__main__":
    main()
