# shellcheck shell=bash
# Step: build. The Kubernetes binaries from the wrapper module lab/kubernetes (its go.mod pins
# every staging module), etcd from lab/etcd, and Debian's packages the lab runs.

# name=go package of each binary built from lab/kubernetes
COMPONENTS=(
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler
  kubelet=k8s.io/kubernetes/cmd/kubelet
  kube-proxy=k8s.io/kubernetes/cmd/kube-proxy
  kubectl=k8s.io/kubernetes/cmd/kubectl
)

# Debian packages: command (or file) -> package
NODE_PACKAGES=(containerd:containerd runc:runc ctr:containerd iptables:iptables
  /usr/lib/cni/bridge:containernetworking-plugins conntrack:conntrack nft:nftables)

# the version variables Kubernetes' own build (hack/lib/version.sh) sets; no build date, so
# that the same pins give the same binaries
k8s_ldflags() {
  local flags="-s -w" pkg minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=archive"
  done
  printf '%s' "$flags"
}

build() {
  go_build "$BIN" "$LAB_SRC/kubernetes" "Kubernetes $K8S_VERSION" "$K8S_VERSION" "${COMPONENTS[@]}" \
    -- -ldflags "$(k8s_ldflags)"
  build_etcd
}

# etcd's version is a constant of go.etcd.io/etcd/api/v3/version; its GitSHA is set by
# upstream's build script only, so it says which module version it was built from instead
build_etcd() {
  local v
  v=$(cd "$LAB_SRC/etcd" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3) ||
    die "go list failed in lab/etcd"
  go_build "$BIN" "$LAB_SRC/etcd" "etcd $v" "$(cat "$LAB_SRC/etcd/main.go")" etcd=. \
    -- -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$v"
}

ensure_packages() {
  apt_ensure node "${NODE_PACKAGES[@]}"
  command -v ip >/dev/null || die "ip (iproute2) is not installed"
}
