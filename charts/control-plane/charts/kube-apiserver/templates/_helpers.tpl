{# Named templates of the kube-apiserver subchart. Shared helpers are control-plane.* (parent chart). #}

{#- The etcd URLs the apiserver uses: etcd.servers, or the local member on
    global.etcdClientPort. #}
{% define "kube-apiserver.etcdServers" -%}
{% if Values.etcd.servers %}
{{ Values.etcd.servers | join(",") }}
{%- else %}
{{ ternary("https", "http", Values.etcd.tls.enabled) }}://127.0.0.1:{{ Values.global.etcdClientPort }}
{%- endif %}
{%- enddefine %}

{#- The host the probes call: probeHost, else bindAddress unless it listens everywhere. #}
{% define "kube-apiserver.probeHost" -%}
{% if Values.probeHost %}
{{ Values.probeHost }}
{%- elif Values.bindAddress and Values.bindAddress not in ["0.0.0.0", "::"] %}
{{ Values.bindAddress }}
{%- else %}
127.0.0.1
{%- endif %}
{%- enddefine %}

{#- One httpGet probe on the secure port. Context: dict(path, extra) where extra holds the
    timing fields. #}
{% define "kube-apiserver.probe" -%}
httpGet:
  host: {{ include("kube-apiserver.probeHost", root) }}
  path: {{ path }}
  port: {{ root.Values.securePort }}
  scheme: HTTPS
{{ toYaml(extra) }}
{%- enddefine %}

{#- Error: the insecure port asked for on 1.20 or later. Context: dict(kv). #}
{% define "kube-apiserver.errorInsecurePort" -%}
kube-apiserver: insecure.enabled=true asks for the unauthenticated HTTP port (--insecure-port={{ root.Values.insecure.port }}), but Kubernetes {{ kv }} cannot serve it: insecure serving was removed in 1.20 (the flag only accepts 0 there) and the flag itself in 1.24. Set kube-apiserver.insecure.enabled=false and reach the apiserver over HTTPS on port {{ root.Values.securePort }} with a kubeconfig.
{%- enddefine %}

{#- Error: --kubelet-https=false asked for on 1.19 or later. Context: dict(kv). #}
{% define "kube-apiserver.errorKubeletHttps" -%}
kube-apiserver: kubeletClient.https=false (--kubelet-https=false) is not available on Kubernetes {{ kv }}: since 1.19 the apiserver always talks HTTPS to kubelets, and the flag is gone in 1.22. Remove the setting.
{%- enddefine %}

{#- Error: etcd URLs whose scheme contradicts etcd.tls.enabled. Context: dict(servers). #}
{% define "kube-apiserver.errorEtcdScheme" -%}
{% if root.Values.etcd.tls.enabled %}
kube-apiserver: etcd server list {{ servers | quote }} uses plain http:// but etcd.tls.enabled is true; use https:// URLs, or set kube-apiserver.etcd.tls.enabled=false to talk to etcd without TLS (insecure)
{%- else %}
kube-apiserver: etcd server list {{ servers | quote }} uses https:// but etcd.tls.enabled is false; set kube-apiserver.etcd.tls.enabled=true (with its certificate files), or use http:// URLs
{%- endif %}
{%- enddefine %}
