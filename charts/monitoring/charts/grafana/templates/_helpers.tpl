{# Named templates for the grafana subchart. #}

{% define "grafana.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-grafana" (just the release name when it already
   contains "grafana"). #}
{% define "grafana.fullname" -%}
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

{% define "grafana.selectorLabels" -%}
app.kubernetes.io/name: {{ include("grafana.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: dashboards
{%- enddefine %}

{% define "grafana.labels" -%}
{{ include("grafana.selectorLabels") }}
app.kubernetes.io/version: {{ Values.image.tag | quote }}
app.kubernetes.io/part-of: monitoring
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{# "registry/repository:tag"; global.imageRegistry replaces the registry. #}
{% define "grafana.image" -%}
{% set registry = Values.global.imageRegistry | default(Values.image.registry) %}
{% if registry %}
{{ registry }}/{{ Values.image.repository }}:{{ Values.image.tag }}
{%- else %}
{{ Values.image.repository }}:{{ Values.image.tag }}
{%- endif %}
{% enddefine %}

{% define "grafana.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, Values.global.imagePullSecrets) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# global.nodeSelector, overridden key by key by nodeSelector. #}
{% define "grafana.nodeSelector" -%}
{% set selector = merge(dict(), Values.nodeSelector, Values.global.nodeSelector) %}
{% if selector %}
{{ toYaml(selector) }}
{%- endif %}
{% enddefine %}

{% define "grafana.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("grafana.fullname")) }}
{%- else %}
{{ Values.serviceAccount.name | default("default") }}
{%- endif %}
{% enddefine %}

{% define "grafana.secretName" -%}
{{ Values.admin.existingSecret | default(include("grafana.fullname")) }}
{%- enddefine %}

{# The prometheus subchart's Service in this release (its default fullname). #}
{% define "grafana.datasourceUrl" -%}
{% if Values.datasource.url %}
{{ Values.datasource.url }}
{%- else %}
{% set prometheus = Release.Name if "prometheus" in Release.Name else printf("%s-prometheus", Release.Name) | trunc(63) | trimSuffix("-") %}
{{ printf("http://%s.%s.svc:9090", prometheus, Release.Namespace) }}
{%- endif %}
{% enddefine %}

{% define "grafana.datasources" -%}
apiVersion: 1
datasources:
  - name: {{ Values.datasource.name | quote }}
    type: prometheus
    uid: prometheus
    access: proxy
    url: {{ include("grafana.datasourceUrl") | quote }}
    isDefault: {{ Values.datasource.isDefault }}
    editable: false
{%- enddefine %}

{# grafana.ini from the config map. #}
{% define "grafana.ini" -%}
{% for key, value in Values.config | items %}
{% if value is not mapping %}
{{ key }} = {{ value }}
{% endif %}
{% endfor %}
{% for section, settings in Values.config | items %}
{% if settings is mapping %}
[{{ section }}]
{% for key, value in settings | items %}
{{ key }} = {{ value }}
{% endfor %}
{% endif %}
{% endfor %}
{%- enddefine %}
