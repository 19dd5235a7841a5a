#!/usr/bin/env python3
"""Generate the render benchmark's charts: N templates, each making a Deployment, a Service
and a ConfigMap with include, toYaml, nindent, quote and default. Writes the same chart as a
kpack chart (Jinja) and a Helm chart (Go templates); Sherpack's copy is made from the Helm
chart with `sherpack convert` by bench-render.sh.

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
    for flavour, helpers, template in (
        ("kpack", KPACK_HELPERS, KPACK_TEMPLATE),
        ("helm", HELM_HELPERS, HELM_TEMPLATE),
    ):
        root = os.path.join(out, flavour)
        write(os.path.join(root, "Chart.yaml"), CHART.format(n=n, objects=3 * n))
        write(os.path.join(root, "values.yaml"), VALUES)
        write(os.path.join(root, "templates", "_helpers.tpl"), helpers)
        for i in range(n):
            write(os.path.join(root, "templates", f"app-{i:05d}.yaml"), template.replace("@N@", str(i)))


if __name__ == "__main__":
    main()
