{# Named templates for the node-bootstrap chart. #}

{% define "node-bootstrap.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-node-bootstrap" (just the release name when it already
   contains "node-bootstrap"). #}
{% define "node-bootstrap.fullname" -%}
{% if Values.fullnameOverride %}
{{ Values.fullnameOverride | trunc(63) | trimSuffix("-") }}
{%- else %}
{% set name = Values.nameOverride | default(Chart.Name) %}
{% if name in Release.Name %}
{{ Release.Name | trunc(63) | trimSuffix("-") }}
{%- else %}
{{ printf("%s-%s", Release.Name, name) | trunc(63) | trimSuffix("-") }}
{%- endif %}
{% endif %}
{% enddefine %}

{% define "node-bootstrap.labels" -%}
app.kubernetes.io/name: {{ include("node-bootstrap.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: node-bootstrap
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{# The group kubeadm gives its tokens, and every token here by default. #}
{% define "node-bootstrap.defaultGroup" -%}
system:bootstrappers:kubeadm:default-node-token
{%- enddefine %}

{# The tokens with defaults filled in: {id, secret, description, expiration, usages, groups}.
   Output: JSON list. #}
{% define "node-bootstrap.tokens" -%}
{% set ns = namespace(out=[]) %}
{% for t in Values.tokens %}
{% set parts = t.token | splitList(".") %}
{% set ns.out = ns.out + [dict(
    "id", parts | first,
    "secret", parts | last,
    "description", t.description | default(""),
    "expiration", t.expiration | default(""),
    "usages", t.usages | default(["authentication", "signing"]),
    "groups", t.groups | default([include("node-bootstrap.defaultGroup")]))] %}
{% endfor %}
{{ toJson(ns.out) }}
{%- enddefine %}

{# The subjects that may bootstrap: the groups of tokens usable for authentication, then
   extraBootstrappers. Output: a YAML list of RBAC subjects, or nothing. #}
{% define "node-bootstrap.bootstrappers" -%}
{% set ns = namespace(groups=[]) %}
{% for t in fromJsonArray(include("node-bootstrap.tokens")) %}
{% if "authentication" in t.usages %}
{% set ns.groups = ns.groups + t.groups %}
{% endif %}
{% endfor %}
{% set ns.groups = (ns.groups + Values.extraBootstrappers.groups) | uniq %}
{% for g in ns.groups %}
- apiGroup: rbac.authorization.k8s.io
  kind: Group
  name: {{ g | quote }}
{% endfor %}
{% for u in Values.extraBootstrappers.users | uniq %}
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: {{ u | quote }}
{% endfor %}
{%- enddefine %}

{# Refuse values that cannot work; every error names the value to change. #}
{% define "node-bootstrap.checks" -%}
{% set tokens = fromJsonArray(include("node-bootstrap.tokens")) %}
{% if not include("node-bootstrap.bootstrappers") | trim and (Values.nodeBootstrapper.enabled or Values.csrApproval.nodeClient) %}
{{ fail("node-bootstrap: nobody can bootstrap a node. Give at least one token usable for authentication in tokens (e.g. --set 'tokens[0].token=abcdef.0123456789abcdef'; make one with `kubeadm token generate`), or name the users/groups of your static token file in extraBootstrappers.") }}
{% endif %}
{% set ns = namespace(seen=[]) %}
{% for t in tokens %}
{% if t.id in ns.seen %}
{{ fail("node-bootstrap: two entries of tokens have the id " ~ t.id ~ " (the part before the dot names the Secret bootstrap-token-" ~ t.id ~ "); give each token its own id.") }}
{% endif %}
{% set ns.seen = ns.seen + [t.id] %}
{% endfor %}
{% if Values.clusterInfo.enabled and not Values.clusterInfo.server %}
{{ fail("node-bootstrap: clusterInfo.server is empty; set it to the address nodes join through (e.g. https://192.168.31.88:8443), or set clusterInfo.enabled=false.") }}
{% endif %}
{% if Values.clusterInfo.enabled and not Values.clusterInfo.caCert %}
{{ fail("node-bootstrap: clusterInfo.caCert is empty; pass the cluster CA with --set-file clusterInfo.caCert=/etc/kubernetes/pki/ca.crt, or set clusterInfo.enabled=false.") }}
{% endif %}
{%- enddefine %}
