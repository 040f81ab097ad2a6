#!/usr/bin/env bash
# `bash tools/first-run-plan.sh lab|cluster [LAB_DIR]`: what `npm start` will still do on this machine
# before it deploys, said before it starts: with `lab`, what the lab changes on the machine; then
# each build not done yet in LAB_DIR (default .lab) or on PATH, with how long it took on a fresh
# machine of this kind (lab/first-run.tsv), and the wait: the longer of the two tracks that build
# side by side (the lab's, the tools').
set -euo pipefail
where=${1:?usage: tools/first-run-plan.sh lab|cluster [LAB_DIR]}
lab=${2:-.lab}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIGURES=$REPO/lab/first-run.tsv

# built BINARY PINNED-VERSION VERSION-ARGS...: the binary is there and says the version its go.mod pins
# (a lab of an older checkout has binaries of another version: they are built again).
built() {
  local bin=$1 pinned=$2; shift 2
  [[ -x $bin ]] && [[ $("$bin" "$@" 2>/dev/null) == *"$pinned"* ]]
}
k8s=$(sed -n 's/^require k8s.io\/kubernetes \(v[^ ]*\)$/\1/p' "$REPO/lab/kubernetes/go.mod")
cli=$(sed -n 's/^[[:space:]]*github.com\/pulumi\/pulumi\/pkg\/v3 \(v[^ ]*\).*/\1/p' "$REPO/toolchain/go.mod" | head -n 1)

todo=()
if [[ $where == lab ]]; then
  echo "start: the lab runs as root: it installs the Debian packages it lacks (apt-get), mounts under .lab/, adds the bridge lab0, iptables rules and sysctls, and starts etcd, the control plane, containerd and a kubelet; npm run lab:down undoes all of it but the builds in .lab/"
  built "$lab/bin/kube-apiserver" "$k8s" --version || todo+=(kube-apiserver)
  [[ -x $lab/bin/coredns ]] || todo+=(coredns)
  [[ -s $lab/images/quote-mirror.tar ]] || todo+=(images)
fi
command -v pulumi >/dev/null || built "$lab/bin/pulumi" "$cli" version || todo+=(pulumi)
command -v pulumi-language-nodejs >/dev/null || [[ -x $lab/bin/pulumi-language-nodejs-host ]] || todo+=(pulumi-language-nodejs-host)
command -v pulumi-resource-kubernetes >/dev/null || [[ -x $lab/plugins/pulumi-resource-kubernetes ]] || todo+=(pulumi-resource-kubernetes)

if ((${#todo[@]})); then
  echo "start: first it builds, into .lab/ (the minutes each took on a fresh 2-core machine):"
  # The lab's track and the tools' track run side by side: the longer one is the wait.
  # The figures beside the other track on the lab, alone for a cluster of the user's.
  awk -F'\t' -v steps=" ${todo[*]} " -v column="$([[ $where == lab ]] && echo 3 || echo 4)" '
    !/^#/ && index(steps, " " $1 " ") { printf "start:   %s: about %d min\n", $5, ($column + 30) / 60; track[$2] += $column }
    END { for (t in track) { tracks++; if (track[t] > total) total = track[t] }
          printf "start: about %d min in all before the deploy%s; later runs reuse the builds\n", (total + 30) / 60,
            (tracks > 1 ? " (the lab and the tools build side by side)" : "") }' "$FIGURES"
fi
echo "start: then pulumi up of the dev stack: under a minute"
