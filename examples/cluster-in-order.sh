#!/usr/bin/env bash
# A whole cluster from the bundled charts, in the order README.md's "A new cluster, in order"
# gives, every step a `kpack install`:
#
#   control plane (static pods) -> node-bootstrap -> kube-proxy -> flannel or calico
#   -> kube-dns -> metrics-server -> monitoring -> web
#
# then `kpack list -A` of the cluster and of the static-pod directory, checking that every
# release is deployed.
#
# Usage: examples/cluster-in-order.sh KUBECONFIG STATIC_POD_DIR [KPACK]
#
#   KUBECONFIG      kubeconfig of an administrator of the cluster being built
#   STATIC_POD_DIR  the control-plane node's kubelet manifest directory (e.g.
#                   /etc/kubernetes/manifests); the control plane is written there
#   KPACK           the kpack binary (default: kpack on PATH)
#
# Settings, from the environment (all optional):
#   CP_VALUES       values files for charts/control-plane, separated by spaces (e.g. the node's
#                   file, see charts/control-plane-ha/examples/control-plane-node1.yaml)
#   HA_VALUES       values files for charts/control-plane-ha; when set its static pods are
#                   written before the control plane
#   KUBE_VERSION    --kube-version of the static pods (default: kpack's); the cluster steps
#                   render for the version the API server reports
#   API_SERVER      the API server address nodes and kube-proxy use (default: the kubeconfig's
#                   first server; use the virtual IP with HA)
#   CA_FILE         the cluster CA certificate (default: the kubeconfig's first
#                   certificate-authority(-data))
#   BOOTSTRAP_TOKEN id.secret of the join token (default: a new random one, written to
#                   WORK_DIR/bootstrap-token, mode 0600; never printed)
#   TOKEN_TTL_HOURS hours until the join token expires (default 24)
#   CNI             flannel (default) or calico
#   POD_CIDR        the pod network (default 10.244.0.0/16; the controller-manager's
#                   --cluster-cidr)
#   DNS_IP          the cluster DNS Service IP (default 10.96.0.10; the kubelets' clusterDNS)
#   DRY_RUN         client or server: every step runs with --dry-run=MODE, nothing is installed
#                   (client: nothing is contacted and the static pods are not written; server:
#                   the API server must already run, and validates every object)
#   WAIT_SECONDS    how long to wait for the API server after writing the static pods
#                   (default 300)
#   WORK_DIR        where the generated values files go (default: a new temporary directory)
#   CHARTS          the charts directory (default: charts/ next to this script's directory)
#   KPACK_FLAGS     extra flags for every install, e.g. "--wait --timeout 10m"
#
# A step whose release is already deployed is skipped, so the script can be run again after
# fixing whatever stopped it.

set -euo pipefail

usage() {
    sed -n '/^# Usage:/,/^# A step/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 2 && $# -le 3 ]] || usage
KUBECONFIG_FILE=$1
STATIC_POD_DIR=$2
KPACK=${3:-kpack}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHARTS=${CHARTS:-$HERE/../charts}
CNI=${CNI:-flannel}
POD_CIDR=${POD_CIDR:-10.244.0.0/16}
DNS_IP=${DNS_IP:-10.96.0.10}
DRY_RUN=${DRY_RUN:-}
WAIT_SECONDS=${WAIT_SECONDS:-300}
TOKEN_TTL_HOURS=${TOKEN_TTL_HOURS:-24}
read -r -a EXTRA_FLAGS <<<"${KPACK_FLAGS:-}"

die() {
    echo "cluster-in-order: $*" >&2
    exit 1
}

[[ -r $KUBECONFIG_FILE ]] || die "kubeconfig $KUBECONFIG_FILE is not readable"
[[ -d $CHARTS/control-plane ]] || die "no charts in $CHARTS (set CHARTS to the repository's charts/ directory)"
command -v "$KPACK" >/dev/null || die "kpack binary $KPACK not found (give its path as the third argument)"
case $CNI in flannel | calico) ;; *) die "CNI=$CNI: use flannel or calico" ;; esac
case $DRY_RUN in "" | client | server) ;; *) die "DRY_RUN=$DRY_RUN: use client or server" ;; esac
[[ -z ${BOOTSTRAP_TOKEN:-} || $BOOTSTRAP_TOKEN =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] ||
    die "BOOTSTRAP_TOKEN must look like abcdef.0123456789abcdef"

if [[ -z ${WORK_DIR:-} ]]; then
    WORK_DIR=$(mktemp -d)
fi
mkdir -p "$WORK_DIR"
chmod 700 "$WORK_DIR"

CLUSTER=(--kubeconfig "$KUBECONFIG_FILE")
STATIC=(--static-pods "$STATIC_POD_DIR")
DRY=()
[[ -n $DRY_RUN ]] && DRY=("--dry-run=$DRY_RUN")

step=0
say() {
    step=$((step + 1))
    printf '\n== %d. %s\n' "$step" "$*"
}

# deployed RELEASE NAMESPACE TARGET-FLAGS...: whether the release is deployed there (never
# true in a client dry run, which asks the target nothing).
deployed() {
    local name=$1 ns=$2
    shift 2
    [[ $DRY_RUN != client ]] &&
        "$KPACK" status "$name" -n "$ns" "$@" 2>/dev/null | grep -q '^STATUS: deployed$'
}

# install RELEASE NAMESPACE CHART TARGET-FLAGS... -- INSTALL-FLAGS...
# Skips a release that is already deployed.
install() {
    local name=$1 ns=$2 chart=$3
    shift 3
    local target=()
    while [[ $1 != -- ]]; do
        target+=("$1")
        shift
    done
    shift
    if deployed "$name" "$ns" "${target[@]}"; then
        echo "release $name (namespace $ns) is already deployed: skipped"
        return
    fi
    "$KPACK" install "$name" "$CHARTS/$chart" -n "$ns" "${target[@]}" "${DRY[@]}" "${EXTRA_FLAGS[@]}" "$@"
}

# The first value of KEY in the kubeconfig (the first cluster's server or CA).
kubeconfig_value() {
    awk -v key="$1:" '$1 == key { print $2; exit }' "$KUBECONFIG_FILE"
}

# ---------------------------------------------------------------------------------------
say "Control plane: static pods in $STATIC_POD_DIR"
version=()
[[ -n ${KUBE_VERSION:-} ]] && version=(--kube-version "$KUBE_VERSION")
if [[ -n ${HA_VALUES:-} ]]; then
    ha_files=()
    for f in $HA_VALUES; do ha_files+=(-f "$f"); done
    install ha kube-system control-plane-ha "${STATIC[@]}" -- "${version[@]}" "${ha_files[@]}"
fi
cp_files=()
for f in ${CP_VALUES:-}; do cp_files+=(-f "$f"); done
install cp kube-system control-plane "${STATIC[@]}" -- "${version[@]}" "${cp_files[@]}"

if [[ $DRY_RUN != client ]]; then
    echo "waiting up to ${WAIT_SECONDS}s for the API server ..."
    deadline=$((SECONDS + WAIT_SECONDS))
    until "$KPACK" list -A "${CLUSTER[@]}" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "the API server behind $KUBECONFIG_FILE did not answer within ${WAIT_SECONDS}s"
        sleep 2
    done
fi

# ---------------------------------------------------------------------------------------
say "node-bootstrap: join token, CSR approval, cluster-info"
API_SERVER=${API_SERVER:-$(kubeconfig_value server)}
[[ -n $API_SERVER ]] || die "no server in $KUBECONFIG_FILE: set API_SERVER"

# Writes WORK_DIR/node-bootstrap.yaml: the join token (given, or new and kept in
# WORK_DIR/bootstrap-token) and cluster-info. The token goes in a private values file, not on
# the command line, where ps would show it.
node_bootstrap_values() {
    if [[ -z ${CA_FILE:-} ]]; then
        CA_FILE=$WORK_DIR/ca.crt
        local ca_data ca_path
        ca_data=$(kubeconfig_value certificate-authority-data)
        ca_path=$(kubeconfig_value certificate-authority)
        if [[ -n $ca_data ]]; then
            printf '%s' "$ca_data" | base64 -d >"$CA_FILE"
        elif [[ -n $ca_path ]]; then
            [[ $ca_path == /* ]] || ca_path=$(dirname "$KUBECONFIG_FILE")/$ca_path
            cp "$ca_path" "$CA_FILE"
        else
            die "no certificate-authority(-data) in $KUBECONFIG_FILE: set CA_FILE to the cluster CA"
        fi
    fi
    [[ -r $CA_FILE ]] || die "CA_FILE $CA_FILE is not readable"
    if [[ -z ${BOOTSTRAP_TOKEN:-} ]]; then
        BOOTSTRAP_TOKEN=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n').$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
        (umask 077 && printf '%s\n' "$BOOTSTRAP_TOKEN" >"$WORK_DIR/bootstrap-token")
        echo "a new join token (id ${BOOTSTRAP_TOKEN%%.*}) is in $WORK_DIR/bootstrap-token"
    fi
    [[ $BOOTSTRAP_TOKEN =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "BOOTSTRAP_TOKEN must look like abcdef.0123456789abcdef"
    local expiration
    expiration=$(date -u -d "+${TOKEN_TTL_HOURS} hours" +%Y-%m-%dT%H:%M:%SZ)
    (
        umask 077
        {
            echo "tokens:"
            echo "  - token: $BOOTSTRAP_TOKEN"
            echo "    description: cluster-in-order.sh join token"
            echo "    expiration: \"$expiration\""
            echo "clusterInfo:"
            echo "  server: $API_SERVER"
            echo "  caCert: |"
            sed 's/^/    /' "$CA_FILE"
        } >"$WORK_DIR/node-bootstrap.yaml"
    )
}
if deployed node-bootstrap kube-system "${CLUSTER[@]}"; then
    echo "release node-bootstrap (namespace kube-system) is already deployed: skipped"
else
    node_bootstrap_values
    install node-bootstrap kube-system node-bootstrap "${CLUSTER[@]}" -- -f "$WORK_DIR/node-bootstrap.yaml"
fi

# ---------------------------------------------------------------------------------------
say "kube-proxy: Service routing on every node"
install kube-proxy kube-system kube-proxy "${CLUSTER[@]}" -- \
    --set "apiServer=$API_SERVER" --set "clusterCIDR=$POD_CIDR"

# ---------------------------------------------------------------------------------------
say "Pod network: $CNI on $POD_CIDR"
if [[ $CNI == flannel ]]; then
    install flannel kube-system flannel "${CLUSTER[@]}" -- --set "network=$POD_CIDR"
else
    install calico kube-system calico "${CLUSTER[@]}" -- --set "ipv4Pool.cidr=$POD_CIDR"
fi

# ---------------------------------------------------------------------------------------
say "Cluster DNS on $DNS_IP"
install dns kube-system kube-dns "${CLUSTER[@]}" -- --set "clusterIP=$DNS_IP"

# ---------------------------------------------------------------------------------------
say "metrics-server: kubectl top and the HorizontalPodAutoscaler"
install metrics-server kube-system metrics-server "${CLUSTER[@]}" --

# ---------------------------------------------------------------------------------------
say "Monitoring: Prometheus, node-exporter, kube-state-metrics, Grafana"
install monitoring monitoring monitoring "${CLUSTER[@]}" -- --create-namespace

# ---------------------------------------------------------------------------------------
say "web: the example application"
install web default web "${CLUSTER[@]}" --

# ---------------------------------------------------------------------------------------
if [[ $DRY_RUN == client ]]; then
    echo
    echo "client dry run: nothing was installed, so there is nothing to list"
    exit 0
fi
say "Releases"
cluster_list=$("$KPACK" list -A "${CLUSTER[@]}")
static_list=$("$KPACK" list -A "${STATIC[@]}")
echo "$static_list"
echo "$cluster_list"
if [[ $DRY_RUN == server ]]; then
    echo "server dry run: nothing was installed"
    exit 0
fi
missing=()
check() {
    grep -Eq "^$1 +$2 +[0-9]+ .* deployed " <<<"$3" || missing+=("$1 ($2)")
}
[[ -n ${HA_VALUES:-} ]] && check ha kube-system "$static_list"
check cp kube-system "$static_list"
for r in node-bootstrap:kube-system kube-proxy:kube-system "$CNI":kube-system dns:kube-system \
    metrics-server:kube-system monitoring:monitoring web:default; do
    check "${r%%:*}" "${r##*:}" "$cluster_list"
done
((${#missing[@]} == 0)) || die "not deployed: ${missing[*]}"
echo
echo "every release is deployed"
