#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, for tests and `pulumi up`.
#
#   bash scripts/lab.sh up      build (once) and start the control plane (etcd,
#                               kube-apiserver, kube-controller-manager,
#                               kube-scheduler) and the node `lab-node` (a private
#                               containerd, kubelet, kube-proxy); load the lab
#                               images; deploy the quote mirror; write .lab/kubeconfig
#   bash scripts/lab.sh down    stop everything, undo every change to the host
#                               (mounts, bridge, iptables, sysctls, cgroups) and
#                               remove all state but .lab/bin and .lab/images
#   bash scripts/lab.sh status  say whether the lab is running (exit 0), or not (3)
#   bash scripts/lab.sh build   only build the binaries into .lab/bin
#
# Everything comes from the Go module proxy and Debian's packages:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy,
#     kubectl: k8s.io/kubernetes v1.34.4, built from the wrapper module lab/
#     (go.mod pins every staging module);
#   etcd: Debian's etcd-server (3.4.x); kube-apiserver 1.34 works with it (it
#     finds etcd < 3.4.31 lacks reliable RequestWatchProgress and reads
#     consistent lists from etcd instead);
#   containerd 1.6 and runc, CNI plugins (containernetworking-plugins), iptables:
#     Debian's packages. `up` installs what is missing with apt-get.
# Images are never pulled: scripts/images.sh builds lab.local/{pause,nginx-fortune,
# quote-mirror}:1 and `up` imports them into the lab's containerd, whose pulls
# of anything else fail at once (its HTTP(S) proxy is a closed loopback port).
#
# The node: containerd runs privately (config, root, state, socket under
# .lab/node and .lab/run; the system containerd is not touched). Pods get
# addresses of 10.244.0.0/24 on the bridge lab0, whose own address 10.244.0.1
# is the node's InternalIP: the apiserver reaches the kubelet there (port 10250),
# and the kubelet's httpGet hooks and probes reach pod IPs directly. kube-proxy
# (iptables) makes ClusterIPs of 10.96.0.0/16 work from the node and from pods;
# 10.96.0.0/16 is routed to lab0, and pods' packets to anywhere beyond lab0 are
# rejected: lab traffic never leaves the machine. Pods get the host's
# resolv.conf (no cluster DNS). The quote mirror (lab/manifests/quote-mirror.yaml)
# serves http://10.96.100.101/book-quotes.txt.
# Identities: every component has its own certificate of the lab CA (the kubelet
# as system:node:lab-node, kube-proxy as system:kube-proxy, ...); the apiserver
# runs with --authorization-mode=Node,RBAC and NodeRestriction.
#
# Unlike a usual cluster, for this machine: containerd clamps oom_score_adj to
# its own (root here lacks CAP_SYS_RESOURCE, and runc fails on the kubelet's
# -998 for pod sandboxes); no cluster DNS; no image GC and no disk-pressure
# eviction (images cannot be pulled back); Service `kubernetes` has no endpoints
# (the apiserver is on loopback only), so pods cannot reach the API; a node's
# parts of the host belong to one checkout's lab at a time (/run/lab-node.owner).
#
# Control-plane listeners are on 127.0.0.1; the kubelet listens on 10.244.0.1.
# `up` after a crash keeps .lab/etcd and .lab/pki; `down` wipes them.
#
# Settings (environment): LAB_APISERVER_PORT (6443), LAB_ETCD_PORT (23790),
# LAB_ETCD_PEER_PORT (23800), LAB_KCM_PORT (20257), LAB_SCHEDULER_PORT (20259),
# LAB_KUBELET_PORT (10250), LAB_KUBELET_HEALTHZ_PORT (10248),
# LAB_PROXY_HEALTHZ_PORT (10256), LAB_PROXY_METRICS_PORT (10249),
# LAB_UP_TIMEOUT (120 s), LAB_SNAPSHOTTER (overlayfs; native if overlay mounts
# fail here).
# Keep ports below 32768: above it, outgoing connections' ephemeral local ports
# can take a port between the free-port check and the server's bind.
set -euo pipefail

K8S_VERSION=v1.34.4
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
UP_TIMEOUT=${LAB_UP_TIMEOUT:-120}

# the node
NODE_NAME=lab-node
CLUSTER_CIDR=10.244.0.0/16 # every pod address (kube-proxy's clusterCIDR)
POD_CIDR=10.244.0.0/24     # this node's pods (CNI host-local range)
NODE_IP=10.244.0.1         # lab0's address: the node's InternalIP, the pods' gateway
BRIDGE=lab0
QUOTE_MIRROR_URL=http://10.96.100.101/book-quotes.txt

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$ROOT/.lab
BIN=$LAB/bin
RUN=$LAB/run
PKI=$LAB/pki
LOG=$LAB/log
ETCD_DATA=$LAB/etcd
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
BUILD_LOG_DIR=$BIN # build and apt logs live with the binaries; `down` keeps them
MODULE=$ROOT/lab
SERVER=https://127.0.0.1:$APISERVER_PORT

# name:go package of each binary built from the wrapper module
COMPONENTS=(
  kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver
  kube-controller-manager:k8s.io/kubernetes/cmd/kube-controller-manager
  kube-scheduler:k8s.io/kubernetes/cmd/kube-scheduler
  kubelet:k8s.io/kubernetes/cmd/kubelet
  kube-proxy:k8s.io/kubernetes/cmd/kube-proxy
  kubectl:k8s.io/kubernetes/cmd/kubectl
)
# processes started by `up`, in start order
CONTROL_PLANE=(etcd kube-apiserver kube-controller-manager kube-scheduler)
NODE_PROCS=(containerd kubelet kube-proxy)
PROCS=("${CONTROL_PLANE[@]}" "${NODE_PROCS[@]}")

# Debian packages the node needs: command -> package
NODE_PACKAGES=(containerd:containerd runc:runc ctr:containerd iptables:iptables
  /usr/lib/cni/bridge:containernetworking-plugins conntrack:conntrack nft:nftables)

# Host sysctls the node changes: the bridge plugin turns on forwarding, the
# kubelet sets the vm./kernel. ones (as it always does, protectKernelDefaults
# false), bridged pod-to-pod Service traffic needs bridge-nf-call-iptables.
# `up` saves them and `down` puts them back.
HOST_SYSCTLS=(net.ipv4.ip_forward net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Host directories the node's programs create where they cannot be told
# otherwise: containerd 1.6's shim sockets, libcni's result cache, the kubelet's
# container log links and device-plugin socket (fixed paths in the kubelet).
# `down` removes them unless they were there before.
HOST_DIRS=(/run/containerd /var/lib/cni /var/log/containers /var/lib/kubelet)

export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

say() { printf 'lab: %s\n' "$*"; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- building

# What a binary in .lab/bin must have been built from: the pinned module graph,
# the Go toolchain and the flags. A stamp file next to each binary records it.
build_key() {
  {
    printf '%s\n' "$K8S_VERSION" "$(go env GOVERSION)" "trimpath s w CGO_ENABLED=0"
    cat "$MODULE/go.mod" "$MODULE/go.sum"
  } | sha256sum | cut -d' ' -f1
}

ldflags() {
  local flags="-s -w" pkg minor date
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  # the same variables Kubernetes' own build (hack/lib/version.sh) sets
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=archive -X $pkg.buildDate=$date"
  done
  printf '%s' "$flags"
}

build() {
  command -v go >/dev/null || die "go is not installed"
  mkdir -p "$BIN" "$BUILD_LOG_DIR"
  local key entry name pkg names=() pkgs=()
  key=$(GOTOOLCHAIN=local build_key)
  for entry in "${COMPONENTS[@]}"; do
    name=${entry%%:*}; pkg=${entry#*:}
    if [[ -x $BIN/$name && -f $BIN/$name.stamp && $(cat "$BIN/$name.stamp") == "$key" ]]; then
      continue
    fi
    names+=("$name"); pkgs+=("$pkg")
  done
  if ((${#names[@]} == 0)); then
    say "binaries up to date in .lab/bin ($K8S_VERSION)"
    return 0
  fi

  local log=$BUILD_LOG_DIR/k8s-build.log tmp=$BIN/.lab-k8s-tmp start pid rc
  say "building ${names[*]} $K8S_VERSION from Go modules (takes minutes; log: .lab/bin/k8s-build.log)..."
  rm -rf "$tmp"; mkdir -p "$tmp"
  start=$SECONDS
  # One `go build` for all of them: they share most packages. Background it and
  # report progress, so a caller with a time limit on output sees it is alive.
  (
    cd "$MODULE"
    exec env GOTOOLCHAIN=local CGO_ENABLED=0 nice -n 10 \
      go build -mod=readonly -buildvcs=false -trimpath -ldflags "$(ldflags)" -o "$tmp/" "${pkgs[@]}"
  ) >"$log" 2>&1 9>&- &
  pid=$!
  local next=$((start + 60))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if ((SECONDS >= next)); then
      say "  still building... $(((SECONDS - start) / 60)) min"
      next=$((next + 60))
    fi
  done
  rc=0; wait "$pid" || rc=$?
  if ((rc != 0)); then
    tail -n 30 "$log" >&2
    die "build failed (exit $rc); full log: $log"
  fi
  for name in "${names[@]}"; do
    mv -f "$tmp/$name" "$BIN/$name"
    printf '%s\n' "$key" >"$BIN/$name.stamp"
  done
  rm -rf "$tmp"
  say "built ${names[*]} in $((SECONDS - start)) s"
}

# ---------------------------------------------------------------- packages

# apt_install LOGNAME PACKAGE...: Debian packages, with one `apt-get update`
# retry; their services are not started (no systemd here, policy-rc.d)
apt_install() {
  local log=$BUILD_LOG_DIR/$1-apt.log; shift
  ((EUID == 0)) || die "installing $* needs root: apt-get install $*"
  say "installing Debian's $* (apt-get; log: .lab/bin/${log##*/})..."
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "$@" >"$log" 2>&1; then
    apt-get update -q >>"$log" 2>&1 || true
    apt-get install -y -q "$@" >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "apt-get install $* failed"; }
  fi
}

ensure_etcd() {
  command -v etcd >/dev/null || apt_install etcd etcd-server
  ETCD_BIN=$(command -v etcd)
}

ensure_node_packages() {
  local entry cmd pkg missing=()
  for entry in "${NODE_PACKAGES[@]}"; do
    cmd=${entry%%:*}; pkg=${entry#*:}
    if [[ $cmd == /* ]]; then [[ -x $cmd ]] && continue; else command -v "$cmd" >/dev/null && continue; fi
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) || apt_install node "${missing[@]}"
  command -v ip >/dev/null || die "ip (iproute2) is not installed"
}

# The lab images (scripts/images.sh skips those built from the same inputs).
build_images() {
  bash "$ROOT/scripts/images.sh" build 9>&- ||
    die "building the lab images failed (bash scripts/images.sh build)"
}

# -------------------------------------------------------------------- PKI

# ca NAME CN: a self-signed EC P-256 certificate authority
ca() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$1.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$1.crt" 2>/dev/null
}

# cert NAME SUBJECT [SAN] : an EC P-256 key and a certificate signed by CA_NAME
# (ca); nothing if both exist already
cert() {
  local name=$1 subj=$2 san=${3:-} ext signer=${CA_NAME:-ca}
  [[ -s $PKI/$name.crt && -s $PKI/$name.key ]] && return 0
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    if [[ -n $san ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$name.key" 2>/dev/null
  chmod 600 "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$signer.crt" -CAkey "$PKI/$signer.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt.tmp" 2>/dev/null
  mv "$PKI/$name.crt.tmp" "$PKI/$name.crt"
  rm -f "$ext" "$PKI/$name.csr"
}

# Certificates are made once per CA (.complete); one added to this script later
# is made on the next `up` with the same CA.
make_pki() {
  if [[ ! -f $PKI/.complete ]]; then
    say "generating CA and certificates in .lab/pki"
    rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
    ca ca lab-kubernetes-ca
    # aggregation layer (front proxy), as kubeadm sets it up: its own CA
    ca front-proxy-ca lab-front-proxy-ca
    # service-account token signing key pair
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
    chmod 600 "$PKI"/*.key
    touch "$PKI/.complete"
  fi
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:::1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert etcd-server "/CN=lab-etcd" "IP:127.0.0.1,DNS:localhost"
  cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client"
  # the apiserver's client certificate for kubelets (logs, exec, port-forward):
  # allowed by lab/manifests/kubelet-api.yaml, not by system:masters
  cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
  cert admin "/O=system:masters/CN=lab-admin"
  cert kube-controller-manager "/CN=system:kube-controller-manager"
  cert kube-scheduler "/CN=system:kube-scheduler"
  # the node: the kubelet's client identity (Node authorizer, NodeRestriction),
  # its serving certificate (the apiserver verifies it with the lab CA), kube-proxy
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  cert kubelet-serving "/CN=system:node:$NODE_NAME" "IP:$NODE_IP,IP:127.0.0.1,DNS:$NODE_NAME,DNS:localhost"
  cert kube-proxy "/CN=system:kube-proxy"
  CA_NAME=front-proxy-ca cert front-proxy-client "/CN=front-proxy-client"
}

# kubeconfig FILE USER CERTNAME CONTEXT
write_kubeconfig() {
  local file=$1 user=$2 certname=$3 context=$4
  umask 077
  cat >"$file.tmp" <<EOKC
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: $SERVER
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$certname.crt")
    client-key-data: $(base64 -w0 <"$PKI/$certname.key")
contexts:
- name: $context
  context:
    cluster: lab
    user: $user
current-context: $context
EOKC
  mv "$file.tmp" "$file"
  umask 022
}

# render TEMPLATE OUT: lab/node/TEMPLATE with every @NAME@ replaced by $NAME
render() {
  local src=$MODULE/node/$1 out=$2 text var
  text=$(<"$src")
  for var in NODE_DIR CONTAINERD_DIR CONTAINERD_SOCK PKI SNAPSHOTTER BRIDGE POD_CIDR \
    CLUSTER_CIDR NODE_IP NODE_NAME KUBELET_PORT KUBELET_HEALTHZ_PORT PROXY_HEALTHZ_PORT \
    PROXY_METRICS_PORT; do
    text=${text//"@$var@"/"${!var}"}
  done
  [[ ! $text =~ @[A-Z_]+@ ]] || die "$src: no value for ${BASH_REMATCH[0]}"
  printf '%s\n' "$text" >"$out"
}

# -------------------------------------------------------------- processes

# pid_runs PID: the process exists and is not a zombie waiting to be reaped
pid_runs() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

pid_of() { [[ -f $RUN/$1.pid ]] && cat "$RUN/$1.pid" || true; }

# alive NAME: the recorded pid runs and is still the program we started
alive() {
  local pid exe
  pid=$(pid_of "$1")
  [[ -n $pid ]] && pid_runs "$pid" || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  exe=${exe% (deleted)}
  [[ ${exe##*/} == "$1" ]]
}

curl_api() {
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$SERVER$1"
}

apiserver_ready() { [[ -f $PKI/admin.crt ]] && [[ $(curl_api /readyz 2>/dev/null) == ok ]]; }

# kc ARGS...: kubectl as the lab admin
kc() { "$BIN/kubectl" --kubeconfig "$PKI/admin.kubeconfig" --cache-dir "$RUN/kubectl-cache" "$@"; }

node_ready() {
  [[ -f $PKI/admin.kubeconfig ]] &&
    [[ $(kc get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# (only through lab0: without the lab's route, the address would go to the
# default gateway, off this machine)
quote_mirror_serves() {
  [[ $(ip -o route get "${SERVICE_IP}" 2>/dev/null) == *" dev $BRIDGE "* ]] &&
    curl -fsS --max-time 3 -o /dev/null "$QUOTE_MIRROR_URL"
}

ctr_() { timeout 20 ctr --address "$CONTAINERD_SOCK" "$@"; }

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# start NAME COMMAND...: detached from this shell, output to .lab/log/NAME.log
start() {
  local name=$1; shift
  setsid "$@" >"$LOG/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
}

# check_ports: every port the lab listens on is free (nothing of ours runs now)
check_ports() {
  local p busy=0
  for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHEDULER_PORT" \
    "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT" "$PROXY_HEALTHZ_PORT" "$PROXY_METRICS_PORT"; do
    if port_in_use "$p"; then
      printf 'lab: port %s is in use:\n' "$p" >&2; ss -Hltnp "sport = :$p" >&2; busy=1
    fi
  done
  ((busy == 0)) || die "ports taken by another program (set LAB_*_PORT to move the lab)"
}

# wait_for DESCRIPTION PROCNAME COMMAND...: poll until COMMAND succeeds
wait_for() {
  local what=$1 proc=$2 deadline=$((SECONDS + UP_TIMEOUT)); shift 2
  until "$@" >/dev/null 2>&1; do
    if ! alive "$proc"; then
      tail -n 25 "$LOG/$proc.log" >&2 || true
      die "$proc exited while waiting for $what; log: .lab/log/$proc.log"
    fi
    ((SECONDS < deadline)) || { tail -n 25 "$LOG/$proc.log" >&2; die "timed out waiting for $what"; }
    sleep 0.5
  done
}

# stop NAME...: SIGTERM to each, then SIGKILL to any still running after 15 s
stop() {
  local name pid n pids=()
  for name in "$@"; do
    pid=$(pid_of "$name")
    if [[ -n $pid ]] && alive "$name"; then
      say "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$RUN/$name.pid"
  done
  for pid in "${pids[@]}"; do
    for ((n = 0; n < 150; n++)); do pid_runs "$pid" || break; sleep 0.1; done
    if pid_runs "$pid"; then
      say "  pid $pid did not stop in 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true; sleep 0.3
    fi
  done
  # they are orphans: give init a moment to reap them, so none is left listed
  for pid in "${pids[@]}"; do
    for ((n = 0; n < 50; n++)); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
  done
}

all_running() {
  local name
  for name in "${PROCS[@]}"; do alive "$name" || return 1; done
  apiserver_ready
}

any_running() {
  local name
  for name in "${PROCS[@]}"; do alive "$name" && return 0; done
  return 1
}

# ------------------------------------------------------------ host changes

# other_node_owner: print the .lab directory of another checkout whose node
# holds this machine's node parts (it runs, or it has not undone its changes)
other_node_owner() {
  local owner name pid
  [[ -f $NODE_OWNER ]] || return 1
  owner=$(<"$NODE_OWNER")
  [[ -n $owner && $owner != "$LAB" ]] || return 1
  [[ -d $owner/host ]] && { echo "$owner"; return 0; }
  for name in containerd kubelet kube-proxy; do
    pid=$(cat "$owner/run/$name.pid" 2>/dev/null) || continue
    if pid_runs "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$name" ]]; then
      echo "$owner"; return 0
    fi
  done
  return 1
}

owns_node() { ! other_node_owner >/dev/null; }

# save_host: the host settings the node changes, before it changes them
save_host() {
  printf '%s\n' "$LAB" >"$NODE_OWNER"
  [[ -f $HOST_SAVED/sysctl ]] && return 0
  mkdir -p "$HOST_SAVED"
  local k v d
  for k in "${HOST_SYSCTLS[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v"
  done >"$HOST_SAVED/sysctl.tmp"
  for d in "${HOST_DIRS[@]}"; do [[ -e $d ]] && echo "$d"; done >"$HOST_SAVED/dirs"
  # iptables-nft makes nftables tables as it first touches them
  nft list tables >"$HOST_SAVED/nft-tables" 2>/dev/null || true
  mv "$HOST_SAVED/sysctl.tmp" "$HOST_SAVED/sysctl"
}

# restore_host: put back what save_host saw
restore_host() {
  local line k v d
  # the kubelet's links to our pod logs; libcni's cached results for our network
  if [[ -d /var/log/containers ]]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$NODE_DIR/*" -delete 2>/dev/null || true
  fi
  # (named NETWORK-SANDBOXID-IFNAME; remove_node_leftovers lists our sandboxes)
  local id
  rm -f /var/lib/cni/results/lab-* 2>/dev/null || true
  for id in "${SANDBOX_IDS[@]}"; do rm -f /var/lib/cni/results/*-"$id"-* 2>/dev/null || true; done
  [[ -f $HOST_SAVED/sysctl ]] || { rm -rf "$HOST_SAVED"; return 0; }
  while IFS= read -r line; do
    k=${line%%=*}; v=${line#*=}
    [[ $(sysctl -n "$k" 2>/dev/null) == "$v" ]] && continue
    sysctl -q -w "$k=$v" >/dev/null 2>&1 || say "warning: could not restore sysctl $k=$v"
  done <"$HOST_SAVED/sysctl"
  # nftables tables that iptables-nft made for the lab, now empty again
  if [[ -f $HOST_SAVED/nft-tables ]] && command -v nft >/dev/null; then
    while read -r line; do
      grep -qxF "$line" "$HOST_SAVED/nft-tables" && continue
      set -- $line # table FAMILY NAME
      nft list table "$2" "$3" 2>/dev/null |
        grep -vqE '^[[:space:]]*(table .*\{|chain .*\{|type .* policy accept;|\}|)$' ||
        nft delete table "$2" "$3" 2>/dev/null || true
    done < <(nft list tables 2>/dev/null)
  fi
  for d in "${HOST_DIRS[@]}"; do
    grep -qxF "$d" "$HOST_SAVED/dirs" 2>/dev/null && continue # it was there before
    [[ -e $d ]] || continue
    case $d in
      # a system containerd started since would have its socket there
      /run/containerd) [[ -S $d/containerd.sock ]] || rm -rf --one-file-system "$d" ;;
      /var/lib/cni) find "$d" -depth -type d -empty -delete 2>/dev/null || true ;;
      /var/lib/kubelet)
        rm -f "$d/device-plugins/kubelet.sock"
        find "$d" -depth -type d -empty -delete 2>/dev/null || true
        ;;
      *) rmdir "$d" 2>/dev/null || true ;;
    esac
  done
  rm -rf "$HOST_SAVED"
  [[ $(cat "$NODE_OWNER" 2>/dev/null) != "$LAB" ]] || rm -f "$NODE_OWNER"
}

# setup_network: the bridge with the node's address, the Service range routed
# to it, and pods' packets kept on the node
setup_network() {
  sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
  # replies of a pod reached through a ClusterIP by a pod on the same bridge are
  # bridged: iptables (conntrack) must see them to undo the DNAT
  [[ -e /proc/sys/net/bridge ]] || modprobe br_netfilter 2>/dev/null || true
  if [[ -e /proc/sys/net/bridge ]]; then
    sysctl -q -w net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 >/dev/null
  else
    say "warning: no br_netfilter here: a pod may not reach a Service whose endpoint is another pod"
  fi
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # the host reaches ClusterIPs through lab0 (src 10.244.0.1), never through
  # its default route: a ClusterIP without endpoints stays on the machine
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
  iptables -w -N LAB-POD-EGRESS 2>/dev/null || iptables -w -F LAB-POD-EGRESS
  iptables -w -A LAB-POD-EGRESS -m comment --comment "lab: pod traffic stays on this machine" \
    -j REJECT --reject-with icmp-net-prohibited
  iptables -w -C FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j LAB-POD-EGRESS 2>/dev/null ||
    iptables -w -I FORWARD 1 -i "$BRIDGE" ! -o "$BRIDGE" -j LAB-POD-EGRESS
}

# sweep_iptables: every KUBE-*, CNI-* and LAB-* chain of iptables and ip6tables
# (kube-proxy's, the kubelet's, the CNI plugins', ours) and the rules of the
# built-in chains that jump to them
sweep_iptables() {
  local family table rules script
  for family in iptables ip6tables; do
    command -v "$family-save" >/dev/null || continue
    for table in raw mangle nat filter security; do
      rules=$("$family-save" -t "$table" 2>/dev/null) || continue
      script=$(awk '
        /^:(KUBE|CNI|LAB)-/ { name = substr($1, 2); chains[++n] = name; next }
        /^-A / && $2 !~ /^(KUBE|CNI|LAB)-/ && / -[jg] (KUBE|CNI|LAB)-/ { sub(/^-A /, "-D "); print }
        END {
          for (i = 1; i <= n; i++) print ":" chains[i] " - [0:0]"
          for (i = 1; i <= n; i++) print "-X " chains[i]
        }' <<<"$rules")
      [[ -n $script ]] || continue
      printf '*%s\n%s\nCOMMIT\n' "$table" "$script" | "$family-restore" -w --noflush ||
        say "warning: could not remove all lab chains from $family table $table"
    done
  done
}

# unmount_under DIR...: every mount at or below DIR, deepest first
unmount_under() {
  local d m n
  for d in "$@"; do
    [[ -d $d ]] || continue
    d=$(realpath "$d")
    for ((n = 0; n < 5; n++)); do
      mapfile -t mounts < <(awk -v d="$d" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' \
        /proc/self/mountinfo | sort -r)
      ((${#mounts[@]})) || break
      for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    done
  done
}

# kubepods cgroups of every hierarchy (the kubelet's, cgroupfs driver)
kubepods_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/kubepods; do [[ -d $h ]] && echo "$h"; done
  return 0
}

# our_shims: pids of the containerd shims serving the lab's containerd
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/exe" 2>/dev/null) == */containerd-shim* ]] || continue
    tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF "$CONTAINERD_SOCK" && echo "${p#/proc/}"
  done
  return 0
}

# remove_node_leftovers: whatever of the node outlived its programs: shims,
# container processes, mounts, the bridge and its veths, iptables chains,
# conntrack entries, cgroups, then the node's state and the host's settings.
# The machine's parts only if no other checkout's node holds them.
remove_node_leftovers() {
  local pids n dirs veth owner
  SANDBOX_IDS=()
  if [[ -d $CONTAINERD_DIR/root/io.containerd.grpc.v1.cri/sandboxes ]]; then
    mapfile -t SANDBOX_IDS < <(ls "$CONTAINERD_DIR/root/io.containerd.grpc.v1.cri/sandboxes")
  fi
  pids=$(our_shims)
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  if owner=$(other_node_owner); then
    say "the node parts of this machine belong to ${owner%/.lab}'s lab: leaving them"
    unmount_under "$NODE_DIR" "$RUN"
    remove_tree "$NODE_DIR" || true
    return 0
  fi
  # nothing of this lab's node was ever on the host: leave the host alone
  # (another kubelet's cgroups or kube-proxy's chains are not ours to remove)
  [[ -d $HOST_SAVED || -d $NODE_DIR || $(cat "$NODE_OWNER" 2>/dev/null) == "$LAB" ]] || return 0
  mapfile -t dirs < <(kubepods_cgroups)
  for ((n = 0; n < 50 && ${#dirs[@]}; n++)); do
    pids=$(find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    [[ -n $pids ]] || break
    kill -KILL $pids 2>/dev/null || true
    sleep 0.1
  done
  unmount_under "$NODE_DIR" "$RUN"
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    for veth in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
      ip link del "$veth" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
  fi
  if [[ -x $BIN/kube-proxy ]] && iptables-save 2>/dev/null | grep -q '^:KUBE-'; then
    "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  fi
  sweep_iptables
  if command -v conntrack >/dev/null; then
    for n in "-s $CLUSTER_CIDR" "-d $CLUSTER_CIDR" "-d $SERVICE_CIDR"; do
      conntrack -D $n >/dev/null 2>&1 || true
    done
  fi
  # cgroups go once their last process has gone: deepest first, a few tries
  for ((n = 0; n < 30; n++)); do
    mapfile -t dirs < <(kubepods_cgroups)
    ((${#dirs[@]})) || break
    find "${dirs[@]}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    sleep 0.2
  done
  mapfile -t dirs < <(kubepods_cgroups)
  ((${#dirs[@]} == 0)) || say "warning: cgroups left: ${dirs[*]}"
  remove_tree "$NODE_DIR" || true
  restore_host
}

# remove_tree DIR: rm -rf, refusing while anything is mounted below it
remove_tree() {
  local dir=$1
  [[ -e $dir ]] || return 0
  if awk -v d="$(realpath "$dir")/" 'index($5 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    say "warning: something is still mounted under $dir (see /proc/self/mountinfo); not removing it"
    return 1
  fi
  rm -rf --one-file-system "$dir"
}

# ------------------------------------------------------------------- node

# overlay_works: an overlay mount on the node's file system succeeds here
overlay_works() {
  local t ok=1
  t=$(mktemp -d "$NODE_DIR/.overlay-test.XXXXXX")
  mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/merged"
  if mount -t overlay lab-overlay-test -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
    umount "$t/merged"; ok=0
  fi
  rm -rf "$t"
  return $ok
}

choose_snapshotter() {
  SNAPSHOTTER=${LAB_SNAPSHOTTER:-}
  if [[ -z $SNAPSHOTTER ]]; then
    if overlay_works; then SNAPSHOTTER=overlayfs; else
      SNAPSHOTTER=native; say "overlay mounts fail here: containerd uses the native snapshotter"
    fi
  fi
}

start_containerd() {
  mkdir -p "$CONTAINERD_DIR" "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/networks"
  render containerd.toml "$CONTAINERD_DIR/config.toml"
  render cni.conflist "$NODE_DIR/cni/net.d/10-lab.conflist"
  say "starting containerd $(containerd --version | awk '{ print $3 }') (socket .lab/run/containerd.sock, snapshotter $SNAPSHOTTER)"
  # No image is ever pulled: a pull (of an image that was not loaded, with a
  # pull policy other than Never) fails at once on a closed loopback port,
  # instead of looking up and calling a registry off this machine.
  start containerd env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 \
    NO_PROXY= http_proxy= https_proxy= no_proxy= \
    containerd --config "$CONTAINERD_DIR/config.toml"
  wait_for "containerd" containerd ctr_ version
  local t=$SECONDS
  CONTAINERD_SNAPSHOTTER=$SNAPSHOTTER bash "$ROOT/scripts/images.sh" load --address "$CONTAINERD_SOCK" \
    >"$LOG/images-load.log" 2>&1 9>&- ||
    { tail -n 20 "$LOG/images-load.log" >&2; die "loading the images failed; log: .lab/log/images-load.log"; }
  say "containerd has the lab images (loaded in $((SECONDS - t)) s)"
}

start_kubelet() {
  mkdir -p "$KUBELET_DIR" "$NODE_DIR/pod-logs" "$NODE_DIR/volume-plugins"
  render kubelet.yaml "$NODE_DIR/kubelet.yaml"
  say "starting kubelet $K8S_VERSION: node $NODE_NAME, $NODE_IP:$KUBELET_PORT"
  start kubelet "$BIN/kubelet" \
    --config="$NODE_DIR/kubelet.yaml" \
    --kubeconfig="$PKI/kubelet.kubeconfig" \
    --root-dir="$KUBELET_DIR" \
    --hostname-override="$NODE_NAME" \
    --node-ip="$NODE_IP"
  wait_for "node $NODE_NAME Ready" kubelet node_ready
}

start_kube_proxy() {
  render kube-proxy.yaml "$NODE_DIR/kube-proxy.yaml"
  say "starting kube-proxy $K8S_VERSION (iptables)"
  start kube-proxy "$BIN/kube-proxy" --config="$NODE_DIR/kube-proxy.yaml"
  wait_for "kube-proxy /healthz" kube-proxy curl -fsS --max-time 3 "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
}

# stop_node: the node's programs (then remove_node_leftovers, once the
# controller manager, which makes the flex-volume directory, has stopped too)
stop_node() {
  local ids id
  stop kube-proxy kubelet
  if alive containerd; then
    # every container, so that its shim exits with it
    ids=$(ctr_ -n k8s.io tasks ls -q 2>/dev/null) || true
    for id in $ids; do ctr_ -n k8s.io tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    for id in $ids; do ctr_ -n k8s.io tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  stop containerd
}

# stop_all: every program of the lab, and all the node left on the host; it
# goes on after a failure, to undo as much as it can
stop_all() {
  set +e
  stop_node
  stop kube-scheduler kube-controller-manager kube-apiserver
  stop etcd
  remove_node_leftovers
  set -e
}

# ------------------------------------------------------------- subcommands

cmd_up() {
  if all_running; then
    say "already running ($SERVER, node $NODE_NAME, pids: $(cat "$RUN"/*.pid | tr '\n' ' '))"
    echo "export KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  local owner
  if owner=$(other_node_owner); then
    die "the lab of ${owner%/.lab} runs a node on this machine (bridge $BRIDGE, port $KUBELET_PORT, iptables): run \`bash ${owner%/.lab}/scripts/lab.sh down\` first"
  fi
  if any_running || [[ -d $HOST_SAVED || -d $NODE_DIR ]]; then
    say "partly running: stopping what is left, then starting again"
    stop_all
  fi
  command -v openssl >/dev/null || die "openssl is not installed"
  ((EUID == 0)) || die "the lab node needs root (containerd, mounts, bridge, iptables)"
  mkdir -p "$BUILD_LOG_DIR"
  check_ports
  build
  ensure_etcd
  ensure_node_packages
  build_images
  local t0=$SECONDS
  # a failed `up` stops whatever it started; the logs stay for a look
  RUNTIME_JOB=
  trap 'rc=$?; set +e; if ((rc != 0)); then [[ -z $RUNTIME_JOB ]] || wait "$RUNTIME_JOB"; say "up failed: stopping what it started (logs kept in .lab/log)"; stop_all; rm -f "$KUBECONFIG_FILE"; fi' EXIT
  rm -f "$KUBECONFIG_FILE"
  mkdir -p "$RUN" "$LOG" "$ETCD_DATA" "$NODE_DIR"
  chmod 700 "$ETCD_DATA"
  make_pki
  write_kubeconfig "$PKI/admin.kubeconfig" lab-admin admin lab
  write_kubeconfig "$PKI/kube-controller-manager.kubeconfig" system:kube-controller-manager kube-controller-manager lab
  write_kubeconfig "$PKI/kube-scheduler.kubeconfig" system:kube-scheduler kube-scheduler lab
  write_kubeconfig "$PKI/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet lab
  write_kubeconfig "$PKI/kube-proxy.kubeconfig" system:kube-proxy kube-proxy lab

  # the node's network, containerd and images, while the control plane starts
  save_host
  setup_network
  choose_snapshotter
  (trap - EXIT; start_containerd) &
  RUNTIME_JOB=$!

  say "starting etcd $("$ETCD_BIN" --version | sed -n 's/^etcd Version: //p') on 127.0.0.1:$ETCD_PORT (data: .lab/etcd)"
  start etcd "$ETCD_BIN" \
    --name=lab \
    --data-dir="$ETCD_DATA" \
    --listen-client-urls="https://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="lab=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state=new \
    --cert-file="$PKI/etcd-server.crt" --key-file="$PKI/etcd-server.key" \
    --client-cert-auth=true --trusted-ca-file="$PKI/ca.crt" \
    --snapshot-count=10000 --logger=zap --log-outputs=stderr
  wait_for "etcd health" etcd curl -fsS --max-time 3 --cacert "$PKI/ca.crt" \
    --cert "$PKI/apiserver-etcd-client.crt" --key "$PKI/apiserver-etcd-client.key" \
    "https://127.0.0.1:$ETCD_PORT/health"

  # --endpoint-reconciler-type=none: the apiserver would publish its advertise
  # address as the endpoint of Service `kubernetes`, and validation rejects a
  # loopback address (an error every 10 s). The Service itself is still made.
  # --kubelet-preferred-address-types=InternalIP: the node's name resolves nowhere.
  say "starting kube-apiserver $K8S_VERSION on $SERVER"
  start kube-apiserver "$BIN/kube-apiserver" \
    --advertise-address=127.0.0.1 \
    --bind-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --allow-privileged=true \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --client-ca-file="$PKI/ca.crt" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --etcd-servers="https://127.0.0.1:$ETCD_PORT" \
    --etcd-cafile="$PKI/ca.crt" \
    --etcd-certfile="$PKI/apiserver-etcd-client.crt" \
    --etcd-keyfile="$PKI/apiserver-etcd-client.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --endpoint-reconciler-type=none \
    --enable-bootstrap-token-auth=true \
    --profiling=false
  wait_for "kube-apiserver /readyz" kube-apiserver apiserver_ready

  say "starting kube-controller-manager $K8S_VERSION (secure port 127.0.0.1:$KCM_PORT)"
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --cert-dir="$PKI/kube-controller-manager-serving" \
    --client-ca-file="$PKI/ca.crt" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --root-ca-file="$PKI/ca.crt" \
    --service-account-private-key-file="$PKI/sa.key" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file="$PKI/ca.crt" \
    --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --cluster-name=lab \
    --controllers='*,bootstrapsigner,tokencleaner' \
    --flex-volume-plugin-dir="$NODE_DIR/volume-plugins" \
    --leader-elect=false \
    --profiling=false

  say "starting kube-scheduler $K8S_VERSION (secure port 127.0.0.1:$SCHEDULER_PORT)"
  start kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$SCHEDULER_PORT" \
    --cert-dir="$PKI/kube-scheduler-serving" \
    --leader-elect=false \
    --profiling=false

  # the apiserver may use the kubelet API (logs, exec, port-forward)
  kc apply -f "$MODULE/manifests/kubelet-api.yaml" >/dev/null

  # the node
  wait "$RUNTIME_JOB" || { RUNTIME_JOB=; die "containerd did not start or the images did not load"; }
  RUNTIME_JOB=
  start_kubelet
  start_kube_proxy
  # the controller manager works once it has made the `default` ServiceAccount
  wait_for "the default ServiceAccount (kube-controller-manager)" kube-controller-manager \
    curl_api /api/v1/namespaces/default/serviceaccounts/default
  wait_for "kube-scheduler /healthz" kube-scheduler \
    curl -fsSk --max-time 3 "https://127.0.0.1:$SCHEDULER_PORT/healthz"

  say "deploying the quote mirror ($QUOTE_MIRROR_URL)"
  kc apply -f "$MODULE/manifests/quote-mirror.yaml" >/dev/null
  wait_for "the quote mirror at $QUOTE_MIRROR_URL" kubelet quote_mirror_serves

  write_kubeconfig "$KUBECONFIG_FILE" lab-admin admin lab
  trap - EXIT
  say "up in $((SECONDS - t0)) s: control plane, node $NODE_NAME Ready, quote mirror serving; logs in .lab/log"
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
}

cmd_down() {
  stop_all
  remove_tree "$NODE_DIR" || die "not removing the rest of .lab either"
  rm -rf "$RUN" "$ETCD_DATA" "$PKI" "$KUBECONFIG_FILE" "$LOG"
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
  build) build ;;
  *) echo "usage: $0 up|down|status|build" >&2; exit 2 ;;
esac
