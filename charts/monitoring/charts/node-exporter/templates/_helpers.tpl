{# Named templates for the node-exporter subchart. #}

{% define "node-exporter.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-node-exporter" (just the release name when it already
   contains "node-exporter"). #}
{% define "node-exporter.fullname" -%}
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

{# The prometheus subchart's node-exporter job keeps targets by these labels. #}
{% define "node-exporter.selectorLabels" -%}
app.kubernetes.io/name: {{ include("node-exporter.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: metrics
{%- enddefine %}

{% define "node-exporter.labels" -%}
{{ include("node-exporter.selectorLabels") }}
app.kubernetes.io/version: {{ Values.image.tag | quote }}
app.kubernetes.io/part-of: monitoring
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{# "registry/repository:tag"; global.imageRegistry replaces the registry. #}
{% define "node-exporter.image" -%}
{% set registry = Values.global.imageRegistry | default(Values.image.registry) %}
{% if registry %}
{{ registry }}/{{ Values.image.repository }}:{{ Values.image.tag }}
{%- else %}
{{ Values.image.repository }}:{{ Values.image.tag }}
{%- endif %}
{% enddefine %}

{% define "node-exporter.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, Values.global.imagePullSecrets) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# Only the chart's own nodeSelector: node-exporter belongs on every node, so
   global.nodeSelector (meant for the Deployments) does not apply. #}
{% define "node-exporter.nodeSelector" -%}
{% if Values.nodeSelector %}
{{ toYaml(Values.nodeSelector) }}
{%- endif %}
{% enddefine %}
