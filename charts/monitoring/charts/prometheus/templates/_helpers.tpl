{# Named templates for the prometheus subchart. #}

{% define "prometheus.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-prometheus" (just the release name when it already
   contains "prometheus"). The grafana subchart's default datasource URL assumes this name. #}
{% define "prometheus.fullname" -%}
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

{% define "prometheus.selectorLabels" -%}
app.kubernetes.io/name: {{ include("prometheus.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: server
{%- enddefine %}

{% define "prometheus.labels" -%}
{{ include("prometheus.selectorLabels") }}
app.kubernetes.io/version: {{ Values.image.tag | quote }}
app.kubernetes.io/part-of: monitoring
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{% define "prometheus.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("prometheus.fullname")) }}
{%- else %}
{{ Values.serviceAccount.name | default("default") }}
{%- endif %}
{% enddefine %}

{# "registry/repository:tag"; global.imageRegistry replaces the registry. #}
{% define "prometheus.image" -%}
{% set registry = Values.global.imageRegistry | default(Values.image.registry) %}
{% if registry %}
{{ registry }}/{{ Values.image.repository }}:{{ Values.image.tag }}
{%- else %}
{{ Values.image.repository }}:{{ Values.image.tag }}
{%- endif %}
{% enddefine %}

{# imagePullSecrets plus global.imagePullSecrets, as a YAML list, or nothing. #}
{% define "prometheus.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, Values.global.imagePullSecrets) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# The pod's nodeSelector: global.nodeSelector, overridden key by key by nodeSelector. #}
{% define "prometheus.nodeSelector" -%}
{% set selector = merge(dict(), Values.nodeSelector, Values.global.nodeSelector) %}
{% if selector %}
{{ toYaml(selector) }}
{%- endif %}
{% enddefine %}

{# Relabelling shared by the jobs that find their targets through EndpointSlices. #}
{% define "prometheus.endpointLabels" -%}
- source_labels: [__meta_kubernetes_namespace]
  target_label: namespace
- source_labels: [__meta_kubernetes_service_name]
  target_label: service
- source_labels: [__meta_kubernetes_pod_name]
  target_label: pod
- source_labels: [__meta_kubernetes_pod_node_name]
  target_label: node
{%- enddefine %}

{# Keep the targets of one subchart of this release: its Service's name and instance labels
   and the named port. #}
{% define "prometheus.keepComponent" -%}
- source_labels: [__meta_kubernetes_service_label_app_kubernetes_io_name, __meta_kubernetes_service_label_app_kubernetes_io_instance, __meta_kubernetes_endpointslice_port_name]
  regex: {{ printf("%s;%s;%s", component, root.Release.Name, port) | quote }}
  action: keep
{%- enddefine %}

{# prometheus.yml #}
{% define "prometheus.config" -%}
{% set sa = "/var/run/secrets/kubernetes.io/serviceaccount" %}
global:
  scrape_interval: {{ Values.config.scrapeInterval }}
  scrape_timeout: {{ Values.config.scrapeTimeout }}
  evaluation_interval: {{ Values.config.evaluationInterval }}
  {% if Values.config.externalLabels %}
  external_labels:
    {{- toYaml(Values.config.externalLabels) | nindent(4) }}
  {% endif %}
{% if Values.config.ruleGroups %}
rule_files:
  - /etc/prometheus/rules.yml
{% endif %}
scrape_configs:
{% if Values.config.jobs.prometheus %}
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
{% endif %}
{% if Values.config.jobs.apiserver %}
  # The API servers behind the kubernetes Service.
  - job_name: kubernetes-apiservers
    scheme: https
    authorization:
      credentials_file: {{ sa }}/token
    tls_config:
      ca_file: {{ sa }}/ca.crt
    kubernetes_sd_configs:
      - role: endpointslice
        namespaces:
          names: [default]
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_name, __meta_kubernetes_endpointslice_port_name]
        regex: kubernetes;https
        action: keep
{% endif %}
{% for job in ["kubelet", "cadvisor"] %}
{% if Values.config.jobs[job] %}
{% set path = "/metrics" if job == "kubelet" else "/metrics/cadvisor" %}
  # {{ "Each kubelet's own metrics." if job == "kubelet" else "Container metrics from the cAdvisor inside each kubelet." }}
  - job_name: kubernetes-{{ job }}
    scheme: https
    authorization:
      credentials_file: {{ sa }}/token
    {% if Values.config.kubeletThroughApiServer %}
    tls_config:
      ca_file: {{ sa }}/ca.crt
    {% else %}
    tls_config:
      # Kubelets usually serve self-signed certificates.
      insecure_skip_verify: true
    {% endif %}
    kubernetes_sd_configs:
      - role: node
    relabel_configs:
      - action: labelmap
        regex: __meta_kubernetes_node_label_(.+)
      - source_labels: [__meta_kubernetes_node_name]
        target_label: node
      {% if Values.config.kubeletThroughApiServer %}
      - target_label: __address__
        replacement: kubernetes.default.svc:443
      - source_labels: [__meta_kubernetes_node_name]
        regex: (.+)
        target_label: __metrics_path__
        replacement: {{ printf("/api/v1/nodes/$1/proxy%s", path) }}
      {% else %}
      - target_label: __metrics_path__
        replacement: {{ path }}
      {% endif %}
{% endif %}
{% endfor %}
{% if Values.config.jobs.nodeExporter %}
  # The node-exporter subchart's pods, one per node.
  - job_name: node-exporter
    kubernetes_sd_configs:
      - role: endpointslice
    relabel_configs:
      {{- include("prometheus.keepComponent", dict("component", "node-exporter", "port", "metrics")) | nindent(6) }}
      {{- include("prometheus.endpointLabels") | nindent(6) }}
{% endif %}
{% if Values.config.jobs.kubeStateMetrics %}
  # The kube-state-metrics subchart: the state of every Kubernetes object.
  - job_name: kube-state-metrics
    honor_labels: true
    kubernetes_sd_configs:
      - role: endpointslice
    relabel_configs:
      {{- include("prometheus.keepComponent", dict("component", "kube-state-metrics", "port", "http-metrics")) | nindent(6) }}
      {{- include("prometheus.endpointLabels") | nindent(6) }}
{% endif %}
{% if Values.config.jobs.annotatedServices %}
  # Services annotated prometheus.io/scrape: "true" (port and path from prometheus.io/port
  # and prometheus.io/path, default the endpoint's port and /metrics).
  - job_name: annotated-services
    kubernetes_sd_configs:
      - role: endpointslice
    relabel_configs:
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scrape]
        regex: "true"
        action: keep
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_scheme]
        regex: (https?)
        target_label: __scheme__
      - source_labels: [__meta_kubernetes_service_annotation_prometheus_io_path]
        regex: (.+)
        target_label: __metrics_path__
      - source_labels: [__address__, __meta_kubernetes_service_annotation_prometheus_io_port]
        regex: '(.+?)(?::\d+)?;(\d+)'
        replacement: $1:$2
        target_label: __address__
      {{- include("prometheus.endpointLabels") | nindent(6) }}
{% endif %}
{% if Values.config.extraScrapeConfigs %}
  # extraScrapeConfigs
{{ toYaml(Values.config.extraScrapeConfigs) | indent(2) }}
{% endif %}
{%- enddefine %}
