{# Named templates for the control-plane-ha chart. #}

{# The Kubernetes version rendered for, as vMAJOR.MINOR.PATCH. #}
{% define "control-plane-ha.kubeVersion" -%}
{% set v = (Values.kubernetesVersion | default(Capabilities.KubeVersion.Version)) | toString %}
{% if not hasPrefix("v", v) %}
{% set v = "v" ~ v %}
{% endif %}
{% if regexMatch("^v[0-9]+\\.[0-9]+$", v) %}
{% set v = v ~ ".0" %}
{% endif %}
{{ v }}
{%- enddefine %}

{# Labels of one static pod. Context: dict(component, version). #}
{% define "control-plane-ha.labels" -%}
component: {{ component }}
tier: control-plane
app.kubernetes.io/name: {{ component }}
app.kubernetes.io/instance: {{ root.Release.Name }}
app.kubernetes.io/version: {{ version | quote }}
app.kubernetes.io/component: {{ component }}
app.kubernetes.io/part-of: kubernetes-control-plane
app.kubernetes.io/managed-by: {{ root.Release.Service }}
helm.sh/chart: {{ printf("%s-%s", root.Chart.Name, root.Chart.Version) }}
{%- enddefine %}

{# registry/repository:tag of an image value; global.imageRegistry replaces the registry. #}
{% define "control-plane-ha.image" -%}
{% set registry = root.Values.global.imageRegistry | default(ctx.registry) %}
{% if registry %}
{{ registry | trimSuffix("/") }}/{{ ctx.repository }}:{{ ctx.tag }}
{%- else %}
{{ ctx.repository }}:{{ ctx.tag }}
{%- endif %}
{% enddefine %}

{# The host that reaches this node's load balancer: bindAddress, or 127.0.0.1 when it
   listens everywhere. #}
{% define "control-plane-ha.localHost" -%}
{{ Values.loadBalancer.bindAddress if Values.loadBalancer.bindAddress and Values.loadBalancer.bindAddress != "0.0.0.0" else "127.0.0.1" }}
{%- enddefine %}

{# The backends with defaults: {name, address, port}. Output: JSON list. #}
{% define "control-plane-ha.backends" -%}
{% set ns = namespace(out=[]) %}
{% for b in Values.loadBalancer.backends %}
{% set ns.out = ns.out + [dict("name", b.name | default("apiserver-" ~ loop.index), "address", b.address, "port", b.port | default(6443))] %}
{% endfor %}
{{ toJson(ns.out) }}
{%- enddefine %}

{# Refuse values that cannot work; every error names the value to change. #}
{% define "control-plane-ha.checks" -%}
{% if not Values.loadBalancer.backends %}
{{ fail("control-plane-ha: loadBalancer.backends is empty; list every kube-apiserver, e.g. --set 'loadBalancer.backends[0].address=192.168.31.71' (port 6443 unless given).") }}
{% endif %}
{% if Values.keepalived.enabled and not Values.virtualIP %}
{{ fail("control-plane-ha: virtualIP is empty; set the free address keepalived should hold (e.g. 192.168.31.88), or keepalived.enabled=false if something else holds it.") }}
{% endif %}
{% if Values.keepalived.enabled and not Values.keepalived.interface %}
{{ fail("control-plane-ha: keepalived.interface is empty; set the network interface the virtual IP goes on (e.g. ens33; see `ip -br addr`).") }}
{% endif %}
{% set ns = namespace(seen=[]) %}
{% for b in fromJsonArray(include("control-plane-ha.backends")) %}
{% if Values.virtualIP and b.address == Values.virtualIP %}
{{ fail("control-plane-ha: loadBalancer.backends[" ~ loop.index0 ~ "] is the virtual IP " ~ Values.virtualIP ~ " itself; list the API servers' own addresses.") }}
{% endif %}
{% if b.name in ns.seen %}
{{ fail("control-plane-ha: two loadBalancer.backends are named " ~ b.name ~ "; give each its own name.") }}
{% endif %}
{% set ns.seen = ns.seen + [b.name] %}
{% endfor %}
{%- enddefine %}

{# haproxy.cfg: a TCP proxy in front of the API servers, each checked with GET /readyz
   (/healthz before 1.16) over TLS without verifying (the check only needs the status). #}
{% define "control-plane-ha.haproxyConfig" -%}
{% set kv = include("control-plane-ha.kubeVersion") %}
{% set LB = Values.loadBalancer %}
global
    log stdout format raw local0

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    retries 1
    timeout connect {{ LB.connectTimeoutSeconds }}s
    timeout client {{ LB.idleTimeoutSeconds }}s
    timeout server {{ LB.idleTimeoutSeconds }}s
    timeout check 5s

frontend apiserver
    bind {{ LB.bindAddress | default("*") }}:{{ LB.port }}
    default_backend apiservers

backend apiservers
    option httpchk
    http-check send meth GET uri {{ "/readyz" if semverCompare(">=1.16.0-0", kv) else "/healthz" }}
    http-check expect status 200
    balance roundrobin
    default-server inter 3s fall 3 rise 2
{% for b in fromJsonArray(include("control-plane-ha.backends")) %}
    server {{ b.name }} {{ b.address }}:{{ b.port }} check check-ssl verify none
{% endfor %}
{%- enddefine %}

{# nginx.conf: the notes' layer-4 `stream` proxy (passive checks: a server that refuses
   connections is skipped for fail_timeout). #}
{% define "control-plane-ha.nginxConfig" -%}
{% set LB = Values.loadBalancer %}
worker_processes auto;
pid /tmp/nginx.pid;
error_log /dev/stderr notice;

events {
    worker_connections 1024;
}

stream {
    log_format main '$remote_addr $upstream_addr - [$time_local] $status $upstream_bytes_sent';
    access_log /dev/stdout main;

    upstream k8s-apiserver {
{% for b in fromJsonArray(include("control-plane-ha.backends")) %}
        server {{ b.address }}:{{ b.port }} max_fails=3 fail_timeout=10s;  # {{ b.name }}
{% endfor %}
    }

    server {
        listen {{ (LB.bindAddress ~ ":") if LB.bindAddress else "" }}{{ LB.port }};
        proxy_pass k8s-apiserver;
        proxy_connect_timeout {{ LB.connectTimeoutSeconds }}s;
        proxy_timeout {{ LB.idleTimeoutSeconds }}s;
    }
}
{%- enddefine %}

{# keepalived.conf: one VRRP instance holding the virtual IP while this node's load
   balancer answers (the kubeadm HA guide's check, made with the image's curl). #}
{% define "control-plane-ha.keepalivedConfig" -%}
{% set K = Values.keepalived %}
global_defs {
{% if K.routerId %}
    router_id {{ K.routerId }}
{% endif %}
    script_user root
    enable_script_security
}

vrrp_script check_apiserver {
    script "/usr/bin/curl --silent --max-time 2 --insecure --output /dev/null https://{{ include("control-plane-ha.localHost") }}:{{ Values.loadBalancer.port }}/healthz"
    interval {{ K.check.interval }}
    fall {{ K.check.fall }}
    rise {{ K.check.rise }}
{% if K.check.weight %}
    weight {{ K.check.weight }}
{% endif %}
}

vrrp_instance VI_1 {
    state {{ K.state }}
    interface {{ K.interface }}
    virtual_router_id {{ K.virtualRouterId }}
    priority {{ K.priority }}
    advert_int {{ K.advertInterval }}
{% if K.authPass %}
    authentication {
        auth_type PASS
        auth_pass {{ K.authPass }}
    }
{% endif %}
{% if K.unicastPeers %}
{% if K.unicastSourceIP %}
    unicast_src_ip {{ K.unicastSourceIP }}
{% endif %}
    unicast_peer {
{% for p in K.unicastPeers %}
        {{ p }}
{% endfor %}
    }
{% endif %}
    virtual_ipaddress {
        {{ Values.virtualIP }}/{{ Values.virtualIPPrefix }}
    }
    track_script {
        check_apiserver
    }
}
{%- enddefine %}
