{# Named templates for the calico chart. Helpers that take a dict read chart data through
   `root`, which is always the calling template's root context. #}

{% define "calico.name" -%}
{{ (root.Values.nameOverride | default(root.Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-calico" (just the release name when it already contains
   "calico"). Objects are named "<fullname>-node", "<fullname>-kube-controllers", ... #}
{% define "calico.fullname" -%}
{% if root.Values.fullnameOverride %}
{{ root.Values.fullnameOverride | trunc(50) | trimSuffix("-") }}
{%- else %}
{% set name = root.Values.nameOverride | default(root.Chart.Name) %}
{% if name in root.Release.Name %}
{{ root.Release.Name | trunc(50) | trimSuffix("-") }}
{%- else %}
{{ printf("%s-%s", root.Release.Name, name) | trunc(50) | trimSuffix("-") }}
{%- endif %}
{% endif %}
{% enddefine %}

{# A CNI add-on belongs in kube-system, whatever namespace the release is recorded in. #}
{% define "calico.namespace" -%}
kube-system
{%- enddefine %}

{# Selector labels of one component: include("calico.selectorLabels", dict("component", "node")). #}
{% define "calico.selectorLabels" -%}
app.kubernetes.io/name: {{ include("calico.name") }}
app.kubernetes.io/instance: {{ root.Release.Name }}
app.kubernetes.io/component: {{ component }}
{%- enddefine %}

{% define "calico.labels" -%}
{{ include("calico.selectorLabels", dict("component", component)) }}
app.kubernetes.io/version: {{ root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ root.Release.Service }}
helm.sh/chart: {{ printf("%s-%s", root.Chart.Name, root.Chart.Version) }}
{%- enddefine %}

{# "registry/repository:tag" of an image value; global.imageRegistry replaces the registry. #}
{% define "calico.image" -%}
{% set registry = (root.Values.global.imageRegistry if root.Values.global and root.Values.global.imageRegistry else ctx.registry) %}
{% if registry %}
{{ registry }}/{{ ctx.repository }}:{{ ctx.tag }}
{%- else %}
{{ ctx.repository }}:{{ ctx.tag }}
{%- endif %}
{% enddefine %}

{# imagePullSecrets plus global.imagePullSecrets, as a YAML list, or nothing. #}
{% define "calico.imagePullSecrets" -%}
{% set secrets = concat(root.Values.imagePullSecrets, (root.Values.global.imagePullSecrets if root.Values.global else [])) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{% define "calico.etcdSecretName" -%}
{{ root.Values.datastore.etcd.tls.existingSecret | default(printf("%s-etcd-secrets", include("calico.fullname"))) }}
{%- enddefine %}

{# The BGP daemon calico-node runs: bird, or vxlan when BGP is off. #}
{% define "calico.backend" -%}
{{ "bird" if root.Values.bgp.enabled else "vxlan" }}
{%- enddefine %}

{# Stop the render on settings that cannot work together. #}
{% define "calico.validate" -%}
{% set etcd = root.Values.datastore.etcd %}
{% if root.Values.datastore.type == "etcd" %}
{% if not etcd.endpoints %}
{{ fail("datastore.type is etcd but datastore.etcd.endpoints is empty: list the etcd client URLs, e.g. --set 'datastore.etcd.endpoints={https://192.168.31.71:2379}'") }}
{% endif %}
{% for endpoint in etcd.endpoints %}
{% if etcd.tls.enabled and endpoint | hasPrefix("http://") %}
{{ fail(printf("datastore.etcd.tls.enabled is true but endpoint %s is plain HTTP: use https:// endpoints, or turn TLS off", endpoint)) }}
{% elif not etcd.tls.enabled and endpoint | hasPrefix("https://") %}
{{ fail(printf("endpoint %s is HTTPS: set datastore.etcd.tls.enabled=true and give the etcd CA, client certificate and key (datastore.etcd.tls.existingSecret, or ca, cert and key)", endpoint)) }}
{% endif %}
{% endfor %}
{% if etcd.tls.enabled and not etcd.tls.existingSecret and not (etcd.tls.ca and etcd.tls.cert and etcd.tls.key) %}
{{ fail("datastore.etcd.tls.enabled is true: set datastore.etcd.tls.existingSecret (a Secret with keys etcd-ca, etcd-cert, etcd-key), or all of datastore.etcd.tls.ca, .cert and .key (e.g. with --set-file)") }}
{% endif %}
{% endif %}
{% if root.Values.ipv4Pool.ipipMode != "Never" and root.Values.ipv4Pool.vxlanMode != "Never" %}
{{ fail(printf("ipv4Pool.ipipMode is %s and ipv4Pool.vxlanMode is %s: a pool uses one encapsulation, set the other to Never", root.Values.ipv4Pool.ipipMode, root.Values.ipv4Pool.vxlanMode)) }}
{% endif %}
{% if not root.Values.bgp.enabled %}
{% if root.Values.ipv4Pool.ipipMode != "Never" %}
{{ fail(printf("ipv4Pool.ipipMode is %s but bgp.enabled is false: IP-in-IP routes come from BGP. Set ipv4Pool.ipipMode=Never and ipv4Pool.vxlanMode=Always (or CrossSubnet)", root.Values.ipv4Pool.ipipMode)) }}
{% endif %}
{% if root.Values.ipv4Pool.vxlanMode == "Never" %}
{{ fail("bgp.enabled is false and ipv4Pool.vxlanMode is Never: without BGP, pods on different nodes can only reach each other over VXLAN. Set ipv4Pool.vxlanMode=Always (or CrossSubnet)") }}
{% endif %}
{% endif %}
{% if (root.Values.ipv4Pool.cidr | splitList("/") | last | int) > root.Values.ipv4Pool.blockSize %}
{{ fail(printf("ipv4Pool.blockSize %d is larger than the pool %s: it must be a /%d or a larger prefix length", root.Values.ipv4Pool.blockSize, root.Values.ipv4Pool.cidr, root.Values.ipv4Pool.blockSize)) }}
{% endif %}
{%- enddefine %}

{# The CNI conflist calico's install-cni container writes to cni.confDir. The __X__
   placeholders are filled in on each node by the installer. #}
{% define "calico.cniConfig" -%}
{
  "name": "k8s-pod-network",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "calico",
      "log_level": {{ root.Values.cni.logLevel | toJson }},
      "log_file_path": "/var/log/calico/cni/cni.log",
{% if root.Values.datastore.type == "etcd" %}
      "etcd_endpoints": "__ETCD_ENDPOINTS__",
      "etcd_key_file": "__ETCD_KEY_FILE__",
      "etcd_cert_file": "__ETCD_CERT_FILE__",
      "etcd_ca_cert_file": "__ETCD_CA_CERT_FILE__",
{% else %}
      "datastore_type": "kubernetes",
      "nodename": "__KUBERNETES_NODE_NAME__",
{% endif %}
      "mtu": __CNI_MTU__,
      "ipam": {
        "type": "calico-ipam"
      },
      "policy": {
        "type": "k8s"
      },
      "kubernetes": {
        "kubeconfig": "__KUBECONFIG_FILEPATH__"
      }
    },
    {
      "type": "portmap",
      "snat": true,
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
{%- enddefine %}

{# etcd connection variables for calico-node, install-cni and kube-controllers. #}
{% define "calico.etcdEnv" -%}
- name: ETCD_ENDPOINTS
  valueFrom:
    configMapKeyRef:
      name: {{ include("calico.fullname") }}-config
      key: etcd_endpoints
{% if root.Values.datastore.etcd.tls.enabled %}
- name: ETCD_CA_CERT_FILE
  value: /calico-secrets/etcd-ca
- name: ETCD_CERT_FILE
  value: /calico-secrets/etcd-cert
- name: ETCD_KEY_FILE
  value: /calico-secrets/etcd-key
{% endif %}
{%- enddefine %}
