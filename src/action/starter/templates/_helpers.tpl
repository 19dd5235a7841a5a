{# Named templates for <CHARTNAME>. Call them with include("<CHARTNAME>.fullname"). #}
{% define "<CHARTNAME>.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{% define "<CHARTNAME>.fullname" -%}
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

{% define "<CHARTNAME>.selectorLabels" -%}
app.kubernetes.io/name: {{ include("<CHARTNAME>.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- enddefine %}

{% define "<CHARTNAME>.labels" -%}
{{ include("<CHARTNAME>.selectorLabels") }}
app.kubernetes.io/version: {{ (Values.image.tag | default(Chart.AppVersion)) | toString | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{% define "<CHARTNAME>.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("<CHARTNAME>.fullname")) }}
{%- else %}
{{ Values.serviceAccount.name | default("default") }}
{%- endif %}
{% enddefine %}
