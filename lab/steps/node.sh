# shellcheck shell=bash
# Step: the node. containerd (with the lab images), kubelet, kube-proxy, the quote mirror.

# render TEMPLATE OUT: lab/node/TEMPLATE with every @NAME@ replaced by $NAME
render() {
  local src=$LAB_SRC/node/$1 out=$2 text var
  text=$(<"$src")
  for var in NODE_DIR CONTAINERD_DIR CONTAINERD_SOCK PKI SNAPSHOTTER BRIDGE POD_CIDR \
    CLUSTER_CIDR NODE_IP NODE_NAME KUBELET_PORT KUBELET_HEALTHZ_PORT PROXY_HEALTHZ_PORT \
    PROXY_METRICS_PORT DNS_READY_PORT; do
    text=${text//"@$var@"/"${!var}"}
  done
  [[ ! $text =~ @[A-Z_]+@ ]] || die "$src: no value for ${BASH_REMATCH[0]}"
  printf '%s\n' "$text" >"$out"
}

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
  load_images
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

# deploy_quote_mirror: the quote mirror, once the node is Ready
deploy_quote_mirror() {
  say "deploying the quote mirror ($QUOTE_MIRROR_URL)"
  kc apply -f "$LAB_SRC/manifests/quote-mirror.yaml" >/dev/null
  wait_for "the quote mirror at $QUOTE_MIRROR_URL" kubelet quote_mirror_serves
}
