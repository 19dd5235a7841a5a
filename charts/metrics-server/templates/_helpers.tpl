{# Named templates for the metrics-server chart. #}

{% define "metrics-server.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-metrics-server" (just the release name when it already
   contains "metrics-server"). #}
{% define "metrics-server.fullname" -%}
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

{# metrics-server reads the front proxy's CA from kube-system and serves an API the
   aggregation layer finds there; it lives in kube-system whatever the release namespace. #}
{% define "metrics-server.namespace" -%}
kube-system
{%- enddefine %}

{# The Kubernetes version rendered for, as vMAJOR.MINOR.PATCH. #}
{% define "metrics-server.kubeVersion" -%}
{% set v = (Values.kubernetesVersion | default(Capabilities.KubeVersion.Version)) | toString %}
{% if not hasPrefix("v", v) %}
{% set v = "v" ~ v %}
{% endif %}
{% if regexMatch("^v[0-9]+\\.[0-9]+$", v) %}
{% set v = v ~ ".0" %}
{% endif %}
{{ v }}
{%- enddefine %}

{# The image tag: image.tag, else the newest metrics-server release supported on the
   Kubernetes version (upstream's compatibility matrix). #}
{% define "metrics-server.tag" -%}
{% set kv = include("metrics-server.kubeVersion") %}
{% if Values.image.tag %}
{{ Values.image.tag }}
{%- elif semverCompare(">=1.31.0-0", kv) %}
v0.8.1
{%- elif semverCompare(">=1.27.0-0", kv) %}
v0.7.2
{%- else %}
v0.6.4
{%- endif %}
{%- enddefine %}

{% define "metrics-server.image" -%}
{% set registry = Values.global.imageRegistry | default(Values.image.registry) %}
{% if registry %}
{{ registry | trimSuffix("/") }}/{{ Values.image.repository }}:{{ include("metrics-server.tag") }}
{%- else %}
{{ Values.image.repository }}:{{ include("metrics-server.tag") }}
{%- endif %}
{% enddefine %}

{% define "metrics-server.selectorLabels" -%}
app.kubernetes.io/name: {{ include("metrics-server.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- enddefine %}

{% define "metrics-server.labels" -%}
{{ include("metrics-server.selectorLabels") }}
app.kubernetes.io/version: {{ include("metrics-server.tag") | quote }}
app.kubernetes.io/component: metrics
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{% define "metrics-server.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("metrics-server.fullname")) }}
{%- else %}
{{ required("serviceAccount.name is required when serviceAccount.create is false", Values.serviceAccount.name) }}
{%- endif %}
{% enddefine %}

{# imagePullSecrets plus global.imagePullSecrets, as a YAML list, or nothing. #}
{% define "metrics-server.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, Values.global.imagePullSecrets | default([])) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# The container's arguments. Output: a YAML list. #}
{% define "metrics-server.args" -%}
{% set args = [
    "--cert-dir=/tmp",
    "--secure-port=" ~ Values.securePort,
    "--kubelet-preferred-address-types=" ~ (Values.kubelet.preferredAddressTypes | join(",")),
    "--metric-resolution=" ~ Values.metricResolution] %}
{% if Values.kubelet.useNodeStatusPort %}
{% set args = args + ["--kubelet-use-node-status-port"] %}
{% endif %}
{% if Values.kubelet.insecureTLS %}
{% set args = args + ["--kubelet-insecure-tls"] %}
{% endif %}
{{ toYaml(args + Values.extraArgs) }}
{%- enddefine %}
