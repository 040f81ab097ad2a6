# shellcheck shell=bash
# Step: cluster DNS. CoreDNS, built from lab/coredns, as a host process on the node's address
# (port 53), which the kubelet writes into pods' resolv.conf (clusterDNS). Pods cannot reach
# the API server (loopback only), so CoreDNS runs beside it, not in a pod, and reads Services
# as the user lab-coredns (manifests/coredns.yaml: list and watch, nothing more). It answers
# for cluster.local and reverse lookups only; nothing is forwarded (node/Corefile).

build_dns() {
  local version
  version=$(cd "$LAB_SRC/coredns" && GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' github.com/coredns/coredns)
  go_build "$BIN" "$LAB_SRC/coredns" "CoreDNS $version" "$(cat "$LAB_SRC/coredns/main.go")" coredns=. -- -ldflags "-s -w"
}

dns_ready() { curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$DNS_READY_PORT/ready"; }

start_dns() {
  render Corefile "$NODE_DIR/Corefile"
  kc apply -f "$LAB_SRC/manifests/coredns.yaml" >/dev/null
  say "starting CoreDNS on $NODE_IP:53 (cluster.local; ready on 127.0.0.1:$DNS_READY_PORT)"
  start coredns "$BIN/coredns" -conf "$NODE_DIR/Corefile"
  wait_for "CoreDNS /ready" coredns dns_ready
}
