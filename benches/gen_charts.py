#!/usr/bin/env python3
"""Generate the render benchmark's charts: N templates, each making a Deployment, a Service
and a ConfigMap with include, toYaml, nindent, quote and default. Writes the same chart as a
kpack chart (Jinja) a Helm chart (Go templates) and a Sherpack 0.4 pack (Jinja with Sherpack's
conventions: Pack.yaml, `values`, `release`, `pack`, macros imported from `_helpers.j2`).
All three render the same objects.

usage: gen_charts.py OUT_DIR TEMPLATES
"""
import os
import sys

VALUES = """replicas: 2
mode: ""
image:
  repository: registry.example.com/app
  tag: ""
resources:
  requests:
    cpu: 100m
    memory: 128Mi
  limits:
    memory: 256Mi
config:
  LOG_LEVEL: info
  FEATURE_X: "true"
  TIMEOUT: "30"
port: 8080
"""

KPACK_HELPERS = """{% define "bench.fullname" -%}
{{ printf("%s-%s", root.Release.Name, suffix) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{% define "bench.labels" -%}
app.kubernetes.io/name: {{ Chart.Name }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
{%- enddefine %}
"""

KPACK_TEMPLATE = """{% set fullname = include("bench.fullname", dict("root", root, "suffix", "app-@N@")) %}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ fullname }}
  labels:
    {{- include("bench.labels") | nindent(4) }}
spec:
  replicas: {{ Values.replicas | default(1) }}
  selector:
    matchLabels:
      app: {{ fullname | quote }}
  template:
    metadata:
      labels:
        app: {{ fullname | quote }}
    spec:
      containers:
        - name: app
          image: {{ printf("%s:%s", Values.image.repository, Values.image.tag | default(Chart.AppVersion)) | quote }}
          ports:
            - containerPort: {{ Values.port }}
          resources:
            {{- toYaml(Values.resources) | nindent(12) }}
          env:
            - name: MODE
              value: {{ Values.mode | default("prod") | quote }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ fullname }}
  labels:
    {{- include("bench.labels") | nindent(4) }}
spec:
  selector:
    app: {{ fullname | quote }}
  ports:
    - port: 80
      targetPort: {{ Values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ fullname }}
  labels:
    {{- include("bench.labels") | nindent(4) }}
data:
  {{- toYaml(Values.config) | nindent(2) }}
"""

HELM_HELPERS = """{{- define "bench.fullname" -}}
{{ printf "%s-%s" .root.Release.Name .suffix | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
"""

HELM_TEMPLATE = """{{- $fullname := include "bench.fullname" (dict "root" . "suffix" "app-@N@") }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas | default 1 }}
  selector:
    matchLabels:
      app: {{ $fullname | quote }}
  template:
    metadata:
      labels:
        app: {{ $fullname | quote }}
    spec:
      containers:
        - name: app
          image: {{ printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) | quote }}
          ports:
            - containerPort: {{ .Values.port }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          env:
            - name: MODE
              value: {{ .Values.mode | default "prod" | quote }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
spec:
  selector:
    app: {{ $fullname | quote }}
  ports:
    - port: 80
      targetPort: {{ .Values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "bench.labels" . | nindent 4 }}
data:
  {{- toYaml .Values.config | nindent 2 }}
"""

SHERPACK_HELPERS = """{%- macro fullname(suffix) %}
{{ (release.name ~ "-" ~ suffix) | trunc(63) | trimsuffix("-") }}
{%- endmacro %}

{%- macro labels() %}
app.kubernetes.io/name: {{ pack.name }}
app.kubernetes.io/instance: {{ release.name }}
app.kubernetes.io/version: {{ pack.appVersion | quote }}
app.kubernetes.io/managed-by: {{ "Sherpack" }}
{%- endmacro %}
"""

SHERPACK_TEMPLATE = """{%- from "_helpers.j2" import fullname, labels -%}
{%- set fullname = fullname("app-@N@") | trim %}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ fullname }}
  labels:
    {{- labels() | nindent(4) }}
spec:
  replicas: {{ (values.replicas or 1) }}
  selector:
    matchLabels:
      app: {{ fullname | quote }}
  template:
    metadata:
      labels:
        app: {{ fullname | quote }}
    spec:
      containers:
        - name: app
          image: {{ (values.image.repository ~ ":" ~ (values.image.tag or pack.appVersion)) | quote }}
          ports:
            - containerPort: {{ values.port }}
          resources:
            {{- values.resources | toyaml | nindent(12) }}
          env:
            - name: MODE
              value: {{ (values.mode or "prod") | quote }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ fullname }}
  labels:
    {{- labels() | nindent(4) }}
spec:
  selector:
    app: {{ fullname | quote }}
  ports:
    - port: 80
      targetPort: {{ values.port }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ fullname }}
  labels:
    {{- labels() | nindent(4) }}
data:
  {{- values.config | toyaml | nindent(2) }}
"""

SHERPACK_PACK = """apiVersion: sherpack/v1
kind: application

metadata:
  name: bench
  version: 1.0.0
  appVersion: "1.2.3"
  description: Render benchmark ({n} templates, {objects} objects)
"""

# kpack's flavour says kpack/v1 (a Jinja chart); Helm's says v2 (Go templates).
KPACK_CHART = """apiVersion: kpack/v1
name: bench
version: 1.0.0
appVersion: "1.2.3"
description: Render benchmark ({n} templates, {objects} objects)
"""

CHART = """apiVersion: v2
name: bench
version: 1.0.0
appVersion: "1.2.3"
description: Render benchmark ({n} templates, {objects} objects)
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    for flavour, helpers, template, meta, helpers_name in (
        ("kpack", KPACK_HELPERS, KPACK_TEMPLATE, ("Chart.yaml", KPACK_CHART), "_helpers.tpl"),
        ("helm", HELM_HELPERS, HELM_TEMPLATE, ("Chart.yaml", CHART), "_helpers.tpl"),
        ("sherpack", SHERPACK_HELPERS, SHERPACK_TEMPLATE, ("Pack.yaml", SHERPACK_PACK), "_helpers.j2"),
    ):
        root = os.path.join(out, flavour)
        write(os.path.join(root, meta[0]), meta[1].format(n=n, objects=3 * n))
        write(os.path.join(root, "values.yaml"), VALUES)
        write(os.path.join(root, "templates", helpers_name), helpers)
        for i in range(n):
            write(os.path.join(root, "templates", f"app-{i:05d}.yaml"), template.replace("@N@", str(i)))


if __name__ == "__main__":
    main()
