{# Named templates for the flannel chart. #}

{# The chart name, or nameOverride. #}
{% define "flannel.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# The name of every object: fullnameOverride, or "<release>-flannel" (just the release
   name when it already contains "flannel"). #}
{% define "flannel.fullname" -%}
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

{# A CNI add-on belongs in kube-system, whatever namespace the release is recorded in. #}
{% define "flannel.namespace" -%}
kube-system
{%- enddefine %}

{% define "flannel.selectorLabels" -%}
app.kubernetes.io/name: {{ include("flannel.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- enddefine %}

{% define "flannel.labels" -%}
{{ include("flannel.selectorLabels") }}
app.kubernetes.io/version: {{ Chart.AppVersion | quote }}
app.kubernetes.io/component: network
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{% define "flannel.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("flannel.fullname")) }}
{%- else %}
{{ required("serviceAccount.name is required when serviceAccount.create is false", Values.serviceAccount.name) }}
{%- endif %}
{% enddefine %}

{# "registry/repository:tag" of an image value ({registry, repository, tag});
   global.imageRegistry replaces the registry. #}
{% define "flannel.image" -%}
{% set registry = (root.Values.global.imageRegistry if root.Values.global and root.Values.global.imageRegistry else ctx.registry) %}
{% if registry %}
{{ registry }}/{{ ctx.repository }}:{{ ctx.tag }}
{%- else %}
{{ ctx.repository }}:{{ ctx.tag }}
{%- endif %}
{% enddefine %}

{# The pod's imagePullSecrets list as YAML (imagePullSecrets plus global.imagePullSecrets),
   or nothing. #}
{% define "flannel.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, (Values.global.imagePullSecrets if Values.global else [])) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# net-conf.json: the cluster network flanneld hands subnets out of. #}
{% define "flannel.netConf" -%}
{% set backend = dict("Type", Values.backend.type) %}
{% if Values.backend.type == "vxlan" %}
{% set backend = set(backend, "VNI", Values.backend.vxlan.vni) %}
{% set backend = set(backend, "Port", Values.backend.vxlan.port) %}
{% set backend = set(backend, "DirectRouting", Values.backend.vxlan.directRouting) %}
{% endif %}
{% set conf = dict("Network", Values.network, "SubnetLen", Values.subnetLen, "EnableNFTables", Values.enableNFTables) %}
{% if Values.ipv6Network %}
{% set conf = set(conf, "EnableIPv6", true) %}
{% set conf = set(conf, "IPv6Network", Values.ipv6Network) %}
{% endif %}
{% set conf = set(conf, "Backend", backend) %}
{{ toPrettyJson(conf) }}
{%- enddefine %}

{# The CNI conflist copied to cni.confDir on every node. #}
{% define "flannel.cniConf" -%}
{% set plugins = list(dict("type", "flannel", "delegate", dict("hairpinMode", Values.cni.hairpinMode, "isDefaultGateway", true))) %}
{% if Values.cni.portMap %}
{% set plugins = append(plugins, dict("type", "portmap", "capabilities", dict("portMappings", true))) %}
{% endif %}
{{ toPrettyJson(dict("name", Values.cni.networkName, "cniVersion", Values.cni.cniVersion, "plugins", plugins)) }}
{%- enddefine %}
