{# Named templates for the kube-dns chart. #}

{% define "kube-dns.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-kube-dns" (just the release name when it already
   contains "kube-dns"). #}
{% define "kube-dns.fullname" -%}
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

{# Cluster DNS lives in kube-system, whatever namespace the release is recorded in. #}
{% define "kube-dns.namespace" -%}
kube-system
{%- enddefine %}

{% define "kube-dns.selectorLabels" -%}
app.kubernetes.io/name: {{ include("kube-dns.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
app.kubernetes.io/component: dns
{%- enddefine %}

{% define "kube-dns.labels" -%}
{{ include("kube-dns.selectorLabels") }}
app.kubernetes.io/version: {{ (Values.coredns.image.tag if Values.implementation == "coredns" else Values.kubeDns.images.kubedns.tag) | quote }}
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{% define "kube-dns.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("kube-dns.fullname")) }}
{%- else %}
{{ required("serviceAccount.name is required when serviceAccount.create is false", Values.serviceAccount.name) }}
{%- endif %}
{% enddefine %}

{# "registry/repository:tag" of an image value; global.imageRegistry replaces the registry. #}
{% define "kube-dns.image" -%}
{% set registry = (root.Values.global.imageRegistry if root.Values.global and root.Values.global.imageRegistry else ctx.registry) %}
{% if registry %}
{{ registry }}/{{ ctx.repository }}:{{ ctx.tag }}
{%- else %}
{{ ctx.repository }}:{{ ctx.tag }}
{%- endif %}
{% enddefine %}

{# imagePullSecrets plus global.imagePullSecrets, as a YAML list, or nothing. #}
{% define "kube-dns.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, (Values.global.imagePullSecrets if Values.global else [])) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# The cluster domain without a trailing dot (the notes' D4 writes "cluster.local."). #}
{% define "kube-dns.domain" -%}
{{ Values.clusterDomain | trimSuffix(".") }}
{%- enddefine %}

{# CoreDNS's Corefile: the cluster zone from the Kubernetes API, everything else forwarded. #}
{% define "kube-dns.corefile" -%}
.:53 {
    errors
{% if Values.coredns.logQueries %}
    log
{% endif %}
    health {
        lameduck 5s
    }
    ready
    kubernetes {{ include("kube-dns.domain") }} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . {{ (Values.upstreamServers | join(" ")) if Values.upstreamServers else "/etc/resolv.conf" }} {
        max_concurrent 1000
    }
    cache {{ Values.cacheTTL }}
    loop
    reload
    loadbalance
}
{% for domain, servers in Values.stubDomains | items %}
{{ domain }}:53 {
    errors
    cache {{ Values.cacheTTL }}
    forward . {{ servers | join(" ") }}
}
{% endfor %}
{% if Values.coredns.extraServerBlocks %}
{{ Values.coredns.extraServerBlocks | trim }}
{% endif %}
{%- enddefine %}
