{# Named templates for the kube-proxy chart. #}

{% define "kube-proxy.name" -%}
{{ (Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{# fullnameOverride, or "<release>-kube-proxy" (just the release name when it already
   contains "kube-proxy"). #}
{% define "kube-proxy.fullname" -%}
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

{# kube-proxy belongs in kube-system, whatever namespace the release is recorded in. #}
{% define "kube-proxy.namespace" -%}
kube-system
{%- enddefine %}

{# The Kubernetes version rendered for, as vMAJOR.MINOR.PATCH: kubernetesVersion when set,
   else the target version. #}
{% define "kube-proxy.kubeVersion" -%}
{% set v = (Values.kubernetesVersion | default(Capabilities.KubeVersion.Version)) | toString %}
{% if not hasPrefix("v", v) %}
{% set v = "v" ~ v %}
{% endif %}
{% if regexMatch("^v[0-9]+\\.[0-9]+$", v) %}
{% set v = v ~ ".0" %}
{% endif %}
{{ v }}
{%- enddefine %}

{% define "kube-proxy.selectorLabels" -%}
app.kubernetes.io/name: {{ include("kube-proxy.name") }}
app.kubernetes.io/instance: {{ Release.Name }}
{%- enddefine %}

{% define "kube-proxy.labels" -%}
{{ include("kube-proxy.selectorLabels") }}
app.kubernetes.io/version: {{ include("kube-proxy.kubeVersion") | quote }}
app.kubernetes.io/component: proxy
app.kubernetes.io/managed-by: {{ Release.Service }}
helm.sh/chart: {{ printf("%s-%s", Chart.Name, Chart.Version) }}
{%- enddefine %}

{% define "kube-proxy.serviceAccountName" -%}
{% if Values.serviceAccount.create %}
{{ Values.serviceAccount.name | default(include("kube-proxy.fullname")) }}
{%- else %}
{{ required("serviceAccount.name is required when serviceAccount.create is false", Values.serviceAccount.name) }}
{%- endif %}
{% enddefine %}

{# registry/repository:tag of kube-proxy: the repository is kube-proxy-<imageArch> before
   1.12, the tag the Kubernetes version; global.imageRegistry replaces the registry. #}
{% define "kube-proxy.image" -%}
{% set kv = include("kube-proxy.kubeVersion") %}
{% set registry = Values.global.imageRegistry | default(Values.image.registry) %}
{% set repository = Values.image.repository | default("kube-proxy" if semverCompare(">=1.12.0-0", kv) else "kube-proxy-" ~ Values.imageArch) %}
{% set tag = Values.image.tag | default(kv) %}
{% if registry %}
{{ registry | trimSuffix("/") }}/{{ repository }}:{{ tag }}
{%- else %}
{{ repository }}:{{ tag }}
{%- endif %}
{% enddefine %}

{# imagePullSecrets plus global.imagePullSecrets, as a YAML list, or nothing. #}
{% define "kube-proxy.imagePullSecrets" -%}
{% set secrets = concat(Values.imagePullSecrets, Values.global.imagePullSecrets | default([])) %}
{% if secrets %}
{{ toYaml(secrets) }}
{%- endif %}
{% enddefine %}

{# The node OS label: kubernetes.io/os from 1.14, beta.kubernetes.io/os before. #}
{% define "kube-proxy.nodeSelector" -%}
{% set kv = include("kube-proxy.kubeVersion") %}
{% set os = dict("kubernetes.io/os" if semverCompare(">=1.14.0-0", kv) else "beta.kubernetes.io/os", "linux") %}
{{ toYaml(mergeOverwrite(os, Values.nodeSelector)) }}
{%- enddefine %}

{# Refuse what the target version cannot do; every error names the value to change. #}
{% define "kube-proxy.checks" -%}
{% set kv = include("kube-proxy.kubeVersion") %}
{% if Values.mode == "nftables" and not semverCompare(">=1.29.0-0", kv) %}
{{ fail("kube-proxy: mode=nftables needs Kubernetes 1.29 or later (alpha in 1.29 and 1.30, beta in 1.31, GA in 1.33), but this renders for " ~ kv ~ ". Set mode=iptables (or ipvs), or render for a newer version.") }}
{% endif %}
{% if Values.mode == "ipvs" and Values.ipvs.strictARP and not semverCompare(">=1.14.0-0", kv) %}
{{ fail("kube-proxy: ipvs.strictARP=true needs Kubernetes 1.14 or later (this renders for " ~ kv ~ "). Unset ipvs.strictARP.") }}
{% endif %}
{% if not Values.staticPod.enabled and not Values.apiServer %}
{{ fail("kube-proxy: set apiServer to the API server's real address (the load-balanced VIP or a control-plane node, e.g. https://192.168.31.88:8443): the DaemonSet's kubeconfig needs it, and the `kubernetes` Service IP only works once kube-proxy runs.") }}
{% endif %}
{% if Values.staticPod.enabled and not Values.staticPod.configFile and Values.extraConfig %}
{{ fail("kube-proxy: extraConfig needs a configuration file, but the static pod is configured with flags. Set staticPod.configFile to a host file holding the KubeProxyConfiguration (NOTES.txt prints it), or use staticPod.extraArgs.") }}
{% endif %}
{%- enddefine %}

{# Feature gates in effect: featureGates, plus NFTablesProxyMode on 1.29 and 1.30 in
   nftables mode (the gate is on by default from 1.31). Output: JSON map. #}
{% define "kube-proxy.featureGates" -%}
{% set kv = include("kube-proxy.kubeVersion") %}
{% set gates = deepCopy(Values.featureGates) %}
{% if Values.mode == "nftables" and semverCompare("<1.31.0-0", kv) and not hasKey(gates, "NFTablesProxyMode") %}
{% set _ = set(gates, "NFTablesProxyMode", true) %}
{% endif %}
{{ toJson(gates) }}
{%- enddefine %}

{# The KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1, every version from 1.10),
   with only the fields this chart computes plus extraConfig. Context: dict(kubeconfig). #}
{% define "kube-proxy.config" -%}
{% set V = root.Values %}
{% set conf = dict("apiVersion", "kubeproxy.config.k8s.io/v1alpha1", "kind", "KubeProxyConfiguration") %}
{% set _ = set(conf, "bindAddress", V.bindAddress) %}
{% set _ = set(conf, "clientConnection", dict("kubeconfig", kubeconfig)) %}
{% set _ = set(conf, "clusterCIDR", V.clusterCIDR) %}
{% set gates = fromJson(include("kube-proxy.featureGates", root)) %}
{% if gates %}
{% set _ = set(conf, "featureGates", gates) %}
{% endif %}
{% set _ = set(conf, "healthzBindAddress", V.healthzBindAddress) %}
{% if V.mode == "ipvs" %}
{% set ipvs = dict("scheduler", V.ipvs.scheduler) %}
{% if V.ipvs.strictARP %}
{% set _ = set(ipvs, "strictARP", true) %}
{% endif %}
{% set _ = set(conf, "ipvs", ipvs) %}
{% endif %}
{% set _ = set(conf, "metricsBindAddress", V.metricsBindAddress) %}
{% set _ = set(conf, "mode", V.mode) %}
{{ toYaml(mergeOverwrite(conf, deepCopy(V.extraConfig))) }}
{%- enddefine %}

{# The kubeconfig of the DaemonSet's pods: the ServiceAccount's token and CA, the API
   server's real address (kubeadm's kubeconfig.conf). #}
{% define "kube-proxy.kubeconfig" -%}
apiVersion: v1
kind: Config
clusters:
  - cluster:
      certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
      server: {{ Values.apiServer }}
    name: default
contexts:
  - context:
      cluster: default
      namespace: default
      user: default
    name: default
current-context: default
users:
  - name: default
    user:
      tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
{%- enddefine %}

{# The static pod's command: --config=FILE, or flags computed from the values; then
   staticPod.extraArgs, which override flags of the same name. Output: a YAML list. #}
{% define "kube-proxy.staticCommand" -%}
{% set kv = include("kube-proxy.kubeVersion") %}
{% set S = Values.staticPod %}
{% set args = dict() %}
{% if S.configFile %}
{% set _ = set(args, "config", S.configFile) %}
{% else %}
{% set _ = set(args, "kubeconfig", S.kubeconfig) %}
{% set _ = set(args, "proxy-mode", Values.mode) %}
{% set _ = set(args, "cluster-cidr", Values.clusterCIDR) %}
{% set _ = set(args, "bind-address", Values.bindAddress) %}
{% set _ = set(args, "healthz-bind-address", Values.healthzBindAddress) %}
{% set _ = set(args, "metrics-bind-address", Values.metricsBindAddress) %}
{% if Values.mode == "ipvs" %}
{% set _ = set(args, "ipvs-scheduler", Values.ipvs.scheduler) %}
{% if Values.ipvs.strictARP %}
{% set _ = set(args, "ipvs-strict-arp", true) %}
{% endif %}
{% endif %}
{% set ns = namespace(gates=[]) %}
{% for k, v in fromJson(include("kube-proxy.featureGates")) | items %}
{% set ns.gates = ns.gates + [printf("%s=%v", k, v)] %}
{% endfor %}
{% set _ = set(args, "feature-gates", ns.gates | join(",")) %}
{% endif %}
{% set _ = set(args, "hostname-override", S.hostnameOverride) %}
{% for k, v in S.extraArgs | items %}
{% set _ = set(args, k, v) %}
{% endfor %}
{% set ns = namespace(cmd=["/usr/local/bin/kube-proxy"]) %}
{% for k, v in args | items %}
{% if v is not none and toString(v) != "" %}
{% set ns.cmd = ns.cmd + [printf("--%s=%v", k, v)] %}
{% endif %}
{% endfor %}
{{ toYaml(ns.cmd) }}
{%- enddefine %}
