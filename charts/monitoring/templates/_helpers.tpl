{# Named templates for the monitoring umbrella chart. #}

{# The object name a subchart gives itself by default: "<release>-<name>", or the release
   name when it already contains <name>. include("monitoring.componentName", dict("name", "grafana")) #}
{% define "monitoring.componentName" -%}
{% if name in root.Release.Name %}
{{ root.Release.Name | trunc(63) | trimSuffix("-") }}
{%- else %}
{{ printf("%s-%s", root.Release.Name, name) | trunc(63) | trimSuffix("-") }}
{%- endif %}
{% enddefine %}
