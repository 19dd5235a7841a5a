{# Named templates for the kube-state-metrics subchart. #}

{% define "kube-state-metrics.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-kube-state-metrics" (just the release name when it already
   contains "kube-state-metrics"). #}
{% define "kube-state-metrics.fullname" -%}
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

{# The prometheus subchart's kube-state-metrics job keeps targets by these labels. #}
{% define "kube-state-metrics.selectorLabels" -%}
app.kubernetes.io/name: {{ include("kube-state-metrics.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: metrics
{%- enddefine %}

{% define "kube-state-metrics.labels" -%}
{{ include("kube-state-metrics.selectorLabels") }}
app.kubernetes.io/version: {{ Values.image.tag | quote }}
app.kubernetes.io/part-of: monitoring
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{# "registry/repository:tag"; global.imageRegistry replaces the registry. #}
{% define "kube-state-metrics.image" -%}
{% set registry = Values.global.imageRegistry | default(Values.image.registry) %}
{% if registry %}
{{ registry }}/{{ Values.image.repository }}:{{ Values.image.tag }}
{%- else %}
{{ Values.image.repository }}:{{ Values.image.tag }}
{%- endif %}
{% enddefine %}

{% define "kube-state-metrics.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, Values.global.imagePullSecrets) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# global.nodeSelector, overridden key by key by nodeSelector. #}
{% define "kube-state-metrics.nodeSelector" -%}
{% set selector = merge(dict(), Values.nodeSelector, Values.global.nodeSelector) %}
{% if selector %}
{{ toYaml(selector) }}
{%- endif %}
{% enddefine %}

{% define "kube-state-metrics.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("kube-state-metrics.fullname")) }}
{%- else %}
{{ Values.serviceAccount.name | default("default") }}
{%- endif %}
{% enddefine %}
