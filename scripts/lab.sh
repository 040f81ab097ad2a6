#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, for tests and `pulumi preview`.
#
#   bash scripts/lab.sh up      build (once) and start etcd, kube-apiserver and
#                               kube-controller-manager; write .lab/kubeconfig
#   bash scripts/lab.sh down    stop them and remove all state but .lab/bin
#   bash scripts/lab.sh status  say whether the lab is running (exit 0), or not (3)
#   bash scripts/lab.sh build   only build the binaries into .lab/bin
#
# Everything comes from the Go module proxy and Debian's packages:
#   kube-apiserver, kube-controller-manager, kubectl: k8s.io/kubernetes v1.34.4,
#     built from the wrapper module lab/ (go.mod pins every staging module);
#   etcd: Debian's etcd-server package (3.4.x), installed with apt-get if missing;
#     kube-apiserver 1.34 works with it (it finds etcd < 3.4.31 lacks reliable
#     RequestWatchProgress and reads consistent lists from etcd instead).
# All listeners are on 127.0.0.1; etcd's client port takes only certificates
# of the lab CA. `up` after a crash keeps .lab/etcd and .lab/pki; `down` wipes them.
# There is no kubelet, scheduler or kube-proxy: pods are admitted and stored,
# never run. The controller manager makes the `default` ServiceAccount of every
# namespace, as a real cluster does.
#
# Settings (environment): LAB_APISERVER_PORT (6443), LAB_ETCD_PORT (23790),
# LAB_ETCD_PEER_PORT (23800), LAB_KCM_PORT (20257), LAB_UP_TIMEOUT (120 s).
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
UP_TIMEOUT=${LAB_UP_TIMEOUT:-120}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$ROOT/.lab
BIN=$LAB/bin
RUN=$LAB/run
PKI=$LAB/pki
LOG=$LAB/log
ETCD_DATA=$LAB/etcd
KUBECONFIG_FILE=$LAB/kubeconfig
BUILD_LOG_DIR=$BIN # build and apt logs live with the binaries; `down` keeps them
MODULE=$ROOT/lab
SERVER=https://127.0.0.1:$APISERVER_PORT

# name:go package of each binary built from the wrapper module
COMPONENTS=(
  kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver
  kube-controller-manager:k8s.io/kubernetes/cmd/kube-controller-manager
  kubectl:k8s.io/kubernetes/cmd/kubectl
)
# processes started by `up`, in start order (stopped in reverse)
PROCS=(etcd kube-apiserver kube-controller-manager)

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

# ------------------------------------------------------------------- etcd

ensure_etcd() {
  if ! command -v etcd >/dev/null; then
    say "installing Debian's etcd-server (apt-get)..."
    ((EUID == 0)) || die "etcd is missing and installing it needs root: apt-get install etcd-server"
    # the package's own service is not started: policy-rc.d / no systemd here
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >"$BUILD_LOG_DIR/etcd-apt.log" 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$BUILD_LOG_DIR/etcd-apt.log" 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >>"$BUILD_LOG_DIR/etcd-apt.log" 2>&1 ||
        { tail -n 20 "$BUILD_LOG_DIR/etcd-apt.log" >&2; die "apt-get install etcd-server failed"; }
    fi
  fi
  ETCD_BIN=$(command -v etcd)
}

# -------------------------------------------------------------------- PKI

# ca NAME CN: a self-signed EC P-256 certificate authority
ca() {
  openssl ecparam -name prime256v1 -genkey -noout -out "$PKI/$1.key" 2>/dev/null
  openssl req -x509 -new -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$1.crt" 2>/dev/null
}

# cert NAME SUBJECT [SAN] : an EC P-256 key and a certificate signed by CA_NAME (ca)
cert() {
  local name=$1 subj=$2 san=${3:-} ext signer=${CA_NAME:-ca}
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
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$signer.crt" -CAkey "$PKI/$signer.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$ext" "$PKI/$name.csr"
}

make_pki() {
  [[ -f $PKI/.complete ]] && return 0
  say "generating CA and certificates in .lab/pki"
  rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
  ca ca lab-kubernetes-ca
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:::1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert etcd-server "/CN=lab-etcd" "IP:127.0.0.1,DNS:localhost"
  cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client"
  cert admin "/O=system:masters/CN=lab-admin"
  cert kube-controller-manager "/CN=system:kube-controller-manager"
  # aggregation layer (front proxy), as kubeadm sets it up: its own CA
  ca front-proxy-ca lab-front-proxy-ca
  CA_NAME=front-proxy-ca cert front-proxy-client "/CN=front-proxy-client"
  # service-account token signing key pair
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
  touch "$PKI/.complete"
}

# kubeconfig FILE USER CERTNAME CONTEXT
write_kubeconfig() {
  local file=$1 user=$2 certname=$3 context=$4
  umask 077
  cat >"$file" <<EOF
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
EOF
  umask 022
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
  for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT"; do
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

stop_all() {
  local i name pid n
  for ((i = ${#PROCS[@]} - 1; i >= 0; i--)); do
    name=${PROCS[i]}
    pid=$(pid_of "$name")
    if [[ -n $pid ]] && alive "$name"; then
      say "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for ((n = 0; n < 150; n++)); do pid_runs "$pid" || break; sleep 0.1; done
      if pid_runs "$pid"; then
        say "  $name did not stop in 15 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true; sleep 0.3
      fi
      # it is an orphan: give init a moment to reap it, so none is left listed
      for ((n = 0; n < 50; n++)); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
    fi
    rm -f "$RUN/$name.pid"
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

# ------------------------------------------------------------- subcommands

cmd_up() {
  if all_running; then
    say "already running ($SERVER, pids: $(cat "$RUN"/*.pid | tr '\n' ' '))"
    echo "export KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  if any_running; then
    say "partly running: stopping what is left, then starting again"
    stop_all
  fi
  command -v openssl >/dev/null || die "openssl is not installed"
  mkdir -p "$BUILD_LOG_DIR"
  check_ports
  build
  ensure_etcd
  local t0=$SECONDS
  # a failed `up` stops whatever it started; the logs stay for a look
  trap 'rc=$?; if ((rc != 0)); then say "up failed: stopping what it started (logs kept in .lab/log)"; stop_all; fi' EXIT
  mkdir -p "$RUN" "$LOG" "$ETCD_DATA"
  chmod 700 "$ETCD_DATA"
  make_pki
  write_kubeconfig "$PKI/kube-controller-manager.kubeconfig" system:kube-controller-manager kube-controller-manager lab

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
    --leader-elect=false \
    --profiling=false

  write_kubeconfig "$KUBECONFIG_FILE" lab-admin admin lab
  # the controller manager works once it has made the `default` ServiceAccount
  wait_for "the default ServiceAccount (kube-controller-manager)" kube-controller-manager \
    curl_api /api/v1/namespaces/default/serviceaccounts/default
  trap - EXIT
  say "up in $((SECONDS - t0)) s: etcd, kube-apiserver, kube-controller-manager; logs in .lab/log"
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
}

cmd_down() {
  stop_all
  rm -rf "$RUN" "$ETCD_DATA" "$PKI" "$KUBECONFIG_FILE" "$LOG"
  say "down (binaries kept in .lab/bin)"
}

cmd_status() {
  local name pid state rc=0
  for name in "${PROCS[@]}"; do
    pid=$(pid_of "$name")
    if alive "$name"; then state="running (pid $pid)"; else state="not running"; rc=3; fi
    printf '  %-24s %s\n' "$name" "$state"
  done
  if apiserver_ready; then
    printf '  %-24s %s\n' "$SERVER/readyz" ok
  else
    printf '  %-24s %s\n' "$SERVER/readyz" "not ready"; rc=3
  fi
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
