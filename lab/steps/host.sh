# shellcheck shell=bash
# Step: host changes. What the node changes on the machine (sysctls, bridge, routes, iptables,
# mounts, cgroups, host directories): saved before, undone by `down`.

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

# other_node_owner: print the .lab directory of another checkout whose node
# holds this machine's node parts (it runs, or it has not undone its changes)
other_node_owner() {
  local owner name pid
  [[ -f $NODE_OWNER ]] || return 1
  owner=$(<"$NODE_OWNER")
  [[ -n $owner && $owner != "$LAB" ]] || return 1
  [[ -d $owner/host ]] && { echo "$owner"; return 0; }
  for name in containerd kubelet kube-proxy coredns; do
    pid=$(cat "$owner/run/$name.pid" 2>/dev/null) || continue
    if pid_runs "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$name" ]]; then
      echo "$owner"; return 0
    fi
  done
  return 1
}

# abandoned OWNER: none of that lab's programs runs and no lab.sh works on it (its
# session or machine stopped without `down`), so its own `down` may undo its node
abandoned() {
  local name pid
  for name in "${PROCS[@]}"; do
    pid=$(cat "$1/run/$name.pid" 2>/dev/null) || continue
    pid_runs "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$name"* ]] && return 1
  done
  [[ -f ${1%/.lab}/lab/lab.sh ]] && flock -n "$1/bin/.lab-sh.flock" true
}

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
    local family name
    while read -r line; do
      grep -qxF "$line" "$HOST_SAVED/nft-tables" && continue
      read -r _ family name <<<"$line" # table FAMILY NAME
      nft list table "$family" "$name" 2>/dev/null |
        grep -vqE '^[[:space:]]*(table .*\{|chain .*\{|type .* policy accept;|\}|)$' ||
        nft delete table "$family" "$name" 2>/dev/null || true
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

# unmount_under DIR...: every mount at or below DIR, deepest first (a few rounds: unmounting
# one can reveal another mounted beneath it)
unmount_under() {
  local d m n mounts
  for d in "$@"; do
    [[ -d $d ]] || continue
    for ((n = 0; n < 5; n++)); do
      mapfile -t mounts < <(mounts_under "$d")
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
  mapfile -t pids < <(our_shims)
  ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
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
    mapfile -t pids < <(find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    ((${#pids[@]})) || break
    kill -KILL "${pids[@]}" 2>/dev/null || true
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
    local sel
    for sel in s:$CLUSTER_CIDR d:$CLUSTER_CIDR d:$SERVICE_CIDR; do
      conntrack -D "-${sel%%:*}" "${sel#*:}" >/dev/null 2>&1 || true
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
