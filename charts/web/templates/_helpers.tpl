{# Named templates for web. #}

{#- The chart name, or nameOverride. #}
{% define "web.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{#- The name of every object: fullnameOverride, else RELEASE-NAME (or RELEASE when the
    release name already contains the chart name), at most 63 characters. #}
{% define "web.fullname" -%}
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

{#- Labels that select the pods (they never change over the release's life). #}
{% define "web.selectorLabels" -%}
app.kubernetes.io/name: {{ include("web.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- enddefine %}

{#- Labels of every object. #}
{% define "web.labels" -%}
{{ include("web.selectorLabels") }}
app.kubernetes.io/version: {{ (Values.image.tag | default(Chart.AppVersion)) | toString | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{#- image:tag. #}
{% define "web.image" -%}
{{ Values.image.repository }}:{{ (Values.image.tag | default(Chart.AppVersion)) | toString }}
{%- enddefine %}

{#- Error: an Ingress asked for on a version without networking.k8s.io/v1. #}
{% define "web.errorIngressVersion" -%}
web: ingress.enabled=true renders a networking.k8s.io/v1 Ingress, which Kubernetes {{ Capabilities.KubeVersion.Version }} does not serve (it arrived in 1.19); disable the ingress or target 1.19 or later
{%- enddefine %}
