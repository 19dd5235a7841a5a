{#
  Helpers shared by the control-plane subcharts. Named templates are global in a chart
  tree, so etcd, kube-apiserver, kube-controller-manager and kube-scheduler include these;
  each runs with the calling subchart's context (its Values, Chart, Capabilities).
#}

{#- The Kubernetes version rendered for, as vMAJOR.MINOR.PATCH: global.kubernetesVersion
    when set, else the target version (--kube-version). #}
{% define "control-plane.kubeVersion" -%}
{% set v = (Values.global.kubernetesVersion | default(Capabilities.KubeVersion.Version)) | toString %}
{% if not hasPrefix("v", v) %}
{% set v = "v" ~ v %}
{% endif %}
{% if regexMatch("^v[0-9]+\\.[0-9]+$", v) %}
{% set v = v ~ ".0" %}
{% endif %}
{{ v }}
{%- enddefine %}

{#- A certificate, key or token file: absolute paths stay, relative ones are resolved
    against global.pkiDir. Context: the path. #}
{% define "control-plane.path" -%}
{% if hasPrefix("/", ctx) %}
{{ ctx }}
{%- else %}
{{ root.Values.global.pkiDir | trimSuffix("/") }}/{{ ctx }}
{%- endif %}
{%- enddefine %}

{#- registry/name:tag of a component image. Context: dict(image, name, tag) where image is
    the component's `image` value, name the default image name and tag the default tag. #}
{% define "control-plane.image" -%}
{% set registry = image.registry | default(root.Values.global.imageRegistry) %}
{% set repository = image.repository | default(name) %}
{{ registry | trimSuffix("/") }}/{{ repository }}:{{ image.tag | default(tag) }}
{%- enddefine %}

{#- Labels of a control-plane static pod: kubeadm's component/tier (which kubectl users and
    tools select on) and the recommended app.kubernetes.io labels.
    Context: dict(component, version). #}
{% define "control-plane.labels" -%}
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

{#- The container command: the binary, then `--flag=value` for each entry of args (a map;
    lists are comma-joined, empty strings and nulls dropped), then extraArgs, which override
    flags of the same name. Context: dict(binary, args, extra). Output: a YAML list. #}
{% define "control-plane.command" -%}
{% for k, v in (extra | default(dict())) | items %}
{% set _ = set(args, k, v) %}
{% endfor %}
{% set ns = namespace(cmd=[binary]) %}
{% for k, v in args | items %}
{% if kindIs("slice", v) %}
{% set v = v | join(",") %}
{% endif %}
{% if v is not none and toString(v) != "" %}
{% set ns.cmd = ns.cmd + [printf("--%s=%v", k, v)] %}
{% endif %}
{% endfor %}
{{ toYaml(ns.cmd) }}
{%- enddefine %}

{#- hostPath mounts that match the flags by construction. Context: dict(
      dirs    = files whose directories are mounted read-only (certificates, keys, tokens),
      files   = files mounted one by one, read-only (kubeconfigs, policies),
      rwDirs  = directories mounted read-write (data, logs, generated certificates),
      extra   = the component's extraHostPaths).
    A directory inside another mounted directory is not mounted again.
    Output: JSON list of {name, path, type, readOnly}. #}
{% define "control-plane.mounts" -%}
{% set ns = namespace(dirs=[], out=[], names=[]) %}
{% for f in dirs %}
{% set d = regexReplaceAll("/[^/]*$", f, "") | default("/") %}
{% if d not in ns.dirs %}
{% set ns.dirs = ns.dirs + [d] %}
{% endif %}
{% endfor %}
{% for d in rwDirs %}
{% set ns.out = ns.out + [dict("path", d, "type", "DirectoryOrCreate", "readOnly", false)] %}
{% endfor %}
{% for d in ns.dirs %}
{% set covered = namespace(yes=false) %}
{% for o in ns.dirs + rwDirs %}
{% if o != d and hasPrefix(o | trimSuffix("/") ~ "/", d) %}
{% set covered.yes = true %}
{% endif %}
{% endfor %}
{% if not covered.yes and d not in rwDirs %}
{% set ns.out = ns.out + [dict("path", d, "type", "DirectoryOrCreate", "readOnly", true)] %}
{% endif %}
{% endfor %}
{% for f in files %}
{% set ns.out = ns.out + [dict("path", f, "type", "FileOrCreate", "readOnly", true)] %}
{% endfor %}
{% set ns2 = namespace(final=[]) %}
{% for m in ns.out %}
{% set name = regexReplaceAll("[^a-z0-9]+", lower(m.path), "-") | trimAll("-") | default("root") | trunc(63) | trimSuffix("-") %}
{% set ns2.final = ns2.final + [dict("name", name, "path", m.path, "mountPath", m.path, "type", m.type, "readOnly", m.readOnly)] %}
{% endfor %}
{% for e in extra | default([]) %}
{% set ns2.final = ns2.final + [dict("name", e.name, "path", e.hostPath, "mountPath", e.mountPath | default(e.hostPath), "type", e.type | default("DirectoryOrCreate"), "readOnly", e.readOnly | default(true))] %}
{% endfor %}
{{ toJson(ns2.final) }}
{%- enddefine %}

{#- volumeMounts and volumes for a list from control-plane.mounts.
    Context: dict(mounts, part) with part "volumeMounts" or "volumes". #}
{% define "control-plane.volumes" -%}
{% if part == "volumeMounts" %}
{% for m in mounts %}
- name: {{ m.name }}
  mountPath: {{ m.mountPath | quote }}
  readOnly: {{ m.readOnly }}
{% endfor %}
{% else %}
{% for m in mounts %}
- name: {{ m.name }}
  hostPath:
    path: {{ m.path | quote }}
    type: {{ m.type }}
{% endfor %}
{% endif %}
{%- enddefine %}

{#- Pod-level settings every control-plane static pod shares: host network, the
    system-node-critical priority, the pod security context (seccompProfile becomes the
    seccomp annotation's job before 1.19, where the field does not exist), scheduling
    constraints the kubelet checks on admission. Context: dict(kv). #}
{% define "control-plane.podSettings" -%}
hostNetwork: true
{% if root.Values.priorityClassName %}
priorityClassName: {{ root.Values.priorityClassName }}
{% endif %}
{% set psc = root.Values.podSecurityContext | default(dict()) %}
{% if not semverCompare(">=1.19.0-0", kv) %}
{% set psc = omit(psc, "seccompProfile") %}
{% endif %}
{% if psc %}
securityContext:
  {{- toYaml(psc) | nindent(2) }}
{% endif %}
{% if root.Values.nodeSelector %}
nodeSelector:
  {{- toYaml(root.Values.nodeSelector) | nindent(2) }}
{% endif %}
{% if root.Values.affinity %}
affinity:
  {{- toYaml(root.Values.affinity) | nindent(2) }}
{% endif %}
{% if root.Values.tolerations %}
tolerations:
  {{- toYaml(root.Values.tolerations) | nindent(2) }}
{% endif %}
{%- enddefine %}

{#- Pod annotations: podAnnotations, plus the seccomp annotation before 1.19 when
    podSecurityContext asks for the runtime's default profile. Context: dict(kv). #}
{% define "control-plane.podAnnotations" -%}
{% set a = deepCopy(root.Values.podAnnotations | default(dict())) %}
{% set psc = root.Values.podSecurityContext | default(dict()) %}
{% if not semverCompare(">=1.19.0-0", kv) and psc.seccompProfile and psc.seccompProfile.type == "RuntimeDefault" %}
{% set _ = set(a, "seccomp.security.alpha.kubernetes.io/pod", "runtime/default") %}
{% endif %}
{% if a %}
{{ toYaml(a) }}
{% endif %}
{%- enddefine %}

{#- How kube-controller-manager and kube-scheduler reach the apiserver and serve their
    health endpoint, by version: kubeconfig credentials (plus delegated authentication and
    authorization from 1.13), or --master for the notes' lab; secure serving on bindAddress
    from 1.13; the deprecated insecure health port bound to bindAddress (--address) before
    1.17, switched off with --port=0 from 1.17 until it is gone (1.22). Adds the flags to
    args. Context: dict(args, kv, component). #}
{% define "control-plane.clientArgs" -%}
{% set V = root.Values %}
{% if not V.kubeconfig and not V.master %}
{{ fail(component ~ ": set kubeconfig (a kubeconfig file with this component's credentials) or master (an apiserver URL)") }}
{% endif %}
{% if hasPrefix("http://", V.master | default("")) and semverCompare(">=1.20.0-0", kv) %}
{{ fail(include("control-plane.errorHttpMaster", dict("component", component, "kv", kv))) }}
{% endif %}
{% if V.kubeconfig %}
{% if semverCompare(">=1.13.0-0", kv) %}
{% set _ = set(args, "authentication-kubeconfig", V.kubeconfig) %}
{% set _ = set(args, "authorization-kubeconfig", V.kubeconfig) %}
{% endif %}
{% set _ = set(args, "kubeconfig", V.kubeconfig) %}
{% endif %}
{% set _ = set(args, "master", V.master) %}
{% if semverCompare(">=1.13.0-0", kv) %}
{% set _ = set(args, "bind-address", V.bindAddress) %}
{% set _ = set(args, "secure-port", V.securePort) %}
{% endif %}
{# The insecure port: kube-controller-manager's was removed in 1.22, kube-scheduler's in
   1.23; before that it must be closed with --port=0. #}
{% if semverCompare("<1.17.0-0", kv) %}
{% set _ = set(args, "address", V.bindAddress) %}
{% elif semverCompare(ternary("<1.23.0-0", "<1.22.0-0", component == "kube-scheduler"), kv) %}
{% set _ = set(args, "port", 0) %}
{% endif %}
{% set _ = set(args, "leader-elect", V.leaderElect) %}
{%- enddefine %}

{#- Liveness and startup probes of kube-controller-manager and kube-scheduler: HTTPS
    /healthz on the secure port from 1.17, HTTP /healthz on the insecure health port
    before. Context: dict(kv, insecurePort). #}
{% define "control-plane.healthProbes" -%}
{% set V = root.Values %}
{% set host = V.bindAddress if V.bindAddress and V.bindAddress not in ["0.0.0.0", "::"] else "127.0.0.1" %}
{% set secure = semverCompare(">=1.17.0-0", kv) %}
{% set get = dict("host", host, "path", "/healthz", "port", V.securePort if secure else insecurePort, "scheme", "HTTPS" if secure else "HTTP") %}
livenessProbe:
  httpGet:
    {{- toYaml(get) | nindent(4) }}
  initialDelaySeconds: {{ 10 if secure else 15 }}
  periodSeconds: 10
  timeoutSeconds: 15
  failureThreshold: 8
{% if semverCompare(">=1.18.0-0", kv) %}
startupProbe:
  httpGet:
    {{- toYaml(get) | nindent(4) }}
  initialDelaySeconds: 10
  periodSeconds: 10
  timeoutSeconds: 15
  failureThreshold: 24
{% endif %}
{%- enddefine %}

{#- "Gate=true,Other=false" from a {Gate: bool} map (--feature-gates). Context: the map. #}
{% define "control-plane.featureGates" -%}
{% set ns = namespace(list=[]) %}
{% for k, v in ctx | items %}
{% set ns.list = ns.list + [printf("%s=%v", k, v)] %}
{% endfor %}
{{ ns.list | join(",") }}
{%- enddefine %}

{#- Error: --master on the apiserver's removed HTTP port. Context: dict(component, kv). #}
{% define "control-plane.errorHttpMaster" -%}
{{ component }}: master={{ root.Values.master }} is the apiserver's unauthenticated HTTP port, which Kubernetes {{ kv }} no longer serves (removed in 1.20). Unset {{ component }}.master and use kubeconfig (HTTPS with this component's client certificate).
{%- enddefine %}
