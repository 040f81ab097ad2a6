#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, for tests and `pulumi up`.
#   bash lab/lab.sh up|down|status|build
#   bash lab/lab.sh restart kube-apiserver|kubelet [--down SECONDS] [--if-stopped]   (the fault tests)
# What each does, what it runs and how it differs from a usual cluster: lab/README.md.
# The bring-up steps are lab/steps/*.sh; lab/lib.sh has what every script shares.
set -euo pipefail

SAY_AS=lab
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION=v1.37.2
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1 # first address of SERVICE_CIDR: the `kubernetes` Service
APISERVER_PORT=${LAB_APISERVER_PORT:-6443}
ETCD_PORT=${LAB_ETCD_PORT:-23790}
ETCD_PEER_PORT=${LAB_ETCD_PEER_PORT:-23800}
KCM_PORT=${LAB_KCM_PORT:-20257}
SCHEDULER_PORT=${LAB_SCHEDULER_PORT:-20259}
KUBELET_PORT=${LAB_KUBELET_PORT:-10250}
KUBELET_HEALTHZ_PORT=${LAB_KUBELET_HEALTHZ_PORT:-10248}
PROXY_HEALTHZ_PORT=${LAB_PROXY_HEALTHZ_PORT:-10256}
PROXY_METRICS_PORT=${LAB_PROXY_METRICS_PORT:-10249}
DNS_READY_PORT=${LAB_DNS_READY_PORT:-8181}
UP_TIMEOUT=${LAB_UP_TIMEOUT:-120}

# the node
NODE_NAME=lab-node
CLUSTER_CIDR=10.244.0.0/16 # every pod address (kube-proxy's clusterCIDR)
POD_CIDR=10.244.0.0/24     # this node's pods (CNI host-local range)
NODE_IP=10.244.0.1         # lab0's address: the node's InternalIP, the pods' gateway
BRIDGE=lab0
QUOTE_MIRROR_URL=http://10.96.100.101/book-quotes.txt

LAB_SRC=$REPO/lab # the lab's scripts and data
LAB=$REPO/.lab    # what it builds and runs (git-ignored)
BIN=$LAB/bin
RUN=$LAB/run
PKI=$LAB/pki
LOG=$LAB/log
ETCD_DATA=$LAB/etcd
ETCD_VERSION_FILE=$LAB/etcd.version # the etcd version that last ran on ETCD_DATA
KUBECONFIG_FILE=$LAB/kubeconfig
NODE_DIR=$LAB/node           # the node's config and state: containerd, kubelet, CNI
CONTAINERD_DIR=$NODE_DIR/containerd
KUBELET_DIR=$NODE_DIR/kubelet
CONTAINERD_SOCK=$RUN/containerd.sock
HOST_SAVED=$LAB/host         # what `up` found on the host, for `down` to restore
# The bridge, iptables chains, kubepods cgroups, sysctls and ports of a node
# are the machine's: one checkout's lab has them at a time, named here.
NODE_OWNER=/run/lab-node.owner
SANDBOX_IDS=()
SERVER=https://127.0.0.1:$APISERVER_PORT

# processes started by `up`, in start order
CONTROL_PLANE=(etcd kube-apiserver kube-controller-manager kube-scheduler)
NODE_PROCS=(containerd kubelet kube-proxy)
PROCS=("${CONTROL_PLANE[@]}" coredns "${NODE_PROCS[@]}")

export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

# shellcheck source=lab/steps/processes.sh
source "$LAB_SRC/steps/processes.sh"
# shellcheck source=lab/steps/build.sh
source "$LAB_SRC/steps/build.sh"
# shellcheck source=lab/steps/certificates.sh
source "$LAB_SRC/steps/certificates.sh"
# shellcheck source=lab/steps/control-plane.sh
source "$LAB_SRC/steps/control-plane.sh"
# shellcheck source=lab/steps/host.sh
source "$LAB_SRC/steps/host.sh"
# shellcheck source=lab/steps/dns.sh
source "$LAB_SRC/steps/dns.sh"
# shellcheck source=lab/steps/images.sh
source "$LAB_SRC/steps/images.sh"
# shellcheck source=lab/steps/node.sh
source "$LAB_SRC/steps/node.sh"

# stop_all: every program of the lab, and all the node left on the host; it
# goes on after a failure, to undo as much as it can
stop_all() {
  set +e
  stop_node
  stop coredns
  stop_control_plane
  remove_node_leftovers
  set -e
}

# up_failed: a failed `up` stops whatever it started; the logs stay for a look
up_failed() {
  local rc=$?
  set +e
  ((rc != 0)) || return 0
  [[ -z $RUNTIME_JOB ]] || wait "$RUNTIME_JOB"
  say "up failed: stopping what it started (logs kept in .lab/log)"
  stop_all
  rm -f "$KUBECONFIG_FILE"
}

cmd_up() {
  local running
  if all_running && running=$(running_version) && [[ $running != "$K8S_VERSION" ]]; then
    say "a lab of Kubernetes $running runs (from before this checkout moved to $K8S_VERSION): stopping it, then starting $K8S_VERSION"
    stop_all
  fi
  if all_running; then
    say "already running ($SERVER, node $NODE_NAME, pids: $(cat "$RUN"/*.pid | tr '\n' ' '))"
    echo "export KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  local owner
  if owner=$(other_node_owner) && abandoned "$owner"; then
    say "the lab of ${owner%/.lab} left its node on this machine and none of its programs runs: taking it down with its own lab.sh"
    bash "${owner%/.lab}/lab/lab.sh" down || die "\`bash ${owner%/.lab}/lab/lab.sh down\` failed: see its output above"
  fi
  if owner=$(other_node_owner); then
    die "the lab of ${owner%/.lab} runs a node on this machine (bridge $BRIDGE, port $KUBELET_PORT, iptables): run \`bash ${owner%/.lab}/lab/lab.sh down\` first"
  fi
  if any_running || [[ -d $HOST_SAVED || -d $NODE_DIR ]]; then
    say "partly running: stopping what is left, then starting again"
    stop_all
  fi
  command -v openssl >/dev/null || die "openssl is not installed"
  ((EUID == 0)) || die "the lab node needs root (containerd, mounts, bridge, iptables)"
  check_ports
  build
  build_dns
  ensure_packages
  build_images
  local t0=$SECONDS
  RUNTIME_JOB=
  trap up_failed EXIT
  rm -f "$KUBECONFIG_FILE"
  keep_etcd_data
  mkdir -p "$RUN" "$LOG" "$ETCD_DATA" "$NODE_DIR"
  chmod 700 "$ETCD_DATA"
  make_pki
  write_kubeconfigs

  # the node's network, containerd and images, while the control plane starts
  save_host
  setup_network
  choose_snapshotter
  (trap - EXIT; start_containerd) &
  RUNTIME_JOB=$!
  start_etcd
  start_apiserver
  start_controllers
  start_dns

  wait "$RUNTIME_JOB" || { RUNTIME_JOB=; die "containerd did not start or the images did not load"; }
  RUNTIME_JOB=
  start_kubelet
  start_kube_proxy
  wait_controllers
  deploy_quote_mirror

  write_kubeconfig "$KUBECONFIG_FILE" lab-admin admin lab
  trap - EXIT
  say "up in $((SECONDS - t0)) s: control plane, cluster DNS, node $NODE_NAME Ready, quote mirror serving; logs in .lab/log"
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
}

cmd_down() {
  stop_all
  remove_tree "$NODE_DIR" || die "not removing the rest of .lab either"
  rm -rf "$RUN" "$ETCD_DATA" "$ETCD_DATA".old-* "$ETCD_VERSION_FILE" "$PKI" "$KUBECONFIG_FILE" "$LOG"
  say "down (binaries kept in .lab/bin, images in .lab/images)"
}

cmd_status() {
  local name pid state rc=0
  for name in "${PROCS[@]}"; do
    pid=$(pid_of "$name")
    if alive "$name"; then state="running (pid $pid)"; else state="not running"; rc=3; fi
    printf '  %-40s %s\n' "$name" "$state"
  done
  if apiserver_ready; then state=ok; else state="not ready"; rc=3; fi
  printf '  %-40s %s\n' "$SERVER/readyz" "$state"
  if node_ready; then state=Ready; else state="not Ready"; rc=3; fi
  printf '  %-40s %s\n' "node $NODE_NAME" "$state"
  if dns_ready; then state=ready; else state="not ready"; rc=3; fi
  printf '  %-40s %s\n' "cluster DNS $NODE_IP:53" "$state"
  if quote_mirror_serves; then state=serving; else state="not serving"; rc=3; fi
  printf '  %-40s %s\n' "$QUOTE_MIRROR_URL" "$state"
  if ((rc == 0)); then
    say "running; export KUBECONFIG=$KUBECONFIG_FILE"
  elif any_running; then
    say "partly running (\`lab.sh up\` restarts it, \`lab.sh down\` stops it)"
  else
    say "not running"
  fi
  return $rc
}

# cmd_restart NAME [--down SECONDS] [--if-stopped]: one part of a running lab (kube-apiserver or the
# kubelet) stopped, left down SECONDS, and started again, the rest left running: the fault tests' faults.
# --if-stopped: only start it, and only if it is not running.
cmd_restart() {
  local name=${1:-} down=0 if_stopped=false
  shift || true
  while (($#)); do
    case $1 in
      --down) down=${2:?--down needs seconds}; shift 2 ;;
      --if-stopped) if_stopped=true; shift ;;
      *) die "restart: unknown argument $1" ;;
    esac
  done
  [[ $name == kube-apiserver || $name == kubelet ]] || die "restart: kube-apiserver or kubelet, not '$name'"
  [[ -f $KUBECONFIG_FILE ]] || die "restart: the lab is not up"
  if $if_stopped; then alive "$name" && return 0; else stop "$name"; fi
  sleep "$down"
  # the kubelet's config is rendered again, from the same values `up` used
  if [[ $name == kube-apiserver ]]; then start_apiserver; else choose_snapshotter; start_kubelet; fi
}

# One lab.sh at a time: a second `up` waits, then finds the lab running. The
# lock's descriptor is closed for every process started here (`9>&-`), else the
# servers would hold the lock for as long as they run.
mkdir -p "$BIN"
exec 9>"$BIN/.lab-sh.flock"
if ! flock -n 9; then
  say "waiting for another lab.sh in this checkout..."
  flock -w 1800 9 || die "another lab.sh held the lock for 30 min"
fi

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  build) build; build_dns ;;
  restart) shift; cmd_restart "$@" ;;
  *) echo "usage: $0 up|down|status|build|restart <kube-apiserver|kubelet> [--down SECONDS] [--if-stopped]" >&2; exit 2 ;;
esac
