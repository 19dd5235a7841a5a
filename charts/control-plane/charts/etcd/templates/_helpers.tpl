{# Named templates of the etcd subchart. Shared helpers are control-plane.* (parent chart). #}

{#- The etcd image tag kubeadm pairs with each Kubernetes minor version. Context: dict(kv). #}
{% define "etcd.defaultTag" -%}
{% set minor = semver(kv).Minor %}
{% if minor <= 10 %}3.1.12
{%- elif minor == 11 %}3.2.18
{%- elif minor <= 13 %}3.2.24
{%- elif minor <= 15 %}3.3.10
{%- elif minor == 16 %}3.3.17-0
{%- elif minor <= 18 %}3.4.3-0
{%- elif minor <= 21 %}3.4.13-0
{%- elif minor <= 26 %}3.5.6-0
{%- elif minor <= 30 %}3.5.15-0
{%- elif minor <= 33 %}3.5.24-0
{%- else %}3.6.8-0
{%- endif %}
{%- enddefine %}

{#- The etcd version (MAJOR.MINOR.PATCH) of the image that runs, read from the tag; a tag
    that is not a version (a custom build) counts as the default tag. Context: dict(tag, default). #}
{% define "etcd.version" -%}
{% set v = regexFind("^v?[0-9]+\\.[0-9]+\\.[0-9]+", tag) %}
{% if not v %}
{% set v = regexFind("^v?[0-9]+\\.[0-9]+\\.[0-9]+", default) %}
{% endif %}
{{ v | trimPrefix("v") }}
{%- enddefine %}

{#- scheme://host:port (IPv6 hosts in brackets). Context: dict(tls, host, port). #}
{% define "etcd.url" -%}
{{ ternary("https", "http", tls) }}://{{ printf("[%s]", host) if ":" in host else host }}:{{ port }}
{%- enddefine %}

{#- Error: this member is missing from initialCluster. Context: dict(peer). #}
{% define "etcd.errorNotAMember" -%}
etcd: initialCluster has no member {{ root.Values.name | quote }} with peer URL {{ peer }} (this member's name and first initial advertise peer URL); add it to initialCluster, or fix etcd.name or global.nodeAddress
{%- enddefine %}
