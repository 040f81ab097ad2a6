#!/usr/bin/env bash
# `npm start`: deploy the dev stack (quote-poststart) and print the quote, as the book does it.
# `npm start -- <scenario>`: deploy that one scenario instead (the dev stack's settings), watched
# live by the observer (tools/start.ts), then its verdict and the commands to explore it; the pods stay.
# `npm start -- --down`: remove what `npm start` deployed (pulumi destroy of the dev stack).
# Where: your kind cluster (context kind-kind) or minikube when one answers; else a new kind
# cluster when `kind` is installed; else the project's lab cluster, which this starts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

usage="usage: npm start [-- <scenario> | --down]"
[[ $# -le 1 ]] || { echo "$usage" >&2; exit 2; }
mode=quote
case ${1-} in
  "") ;;
  --down) mode=down ;;
  -*) echo "$usage" >&2; exit 2 ;;
  # An unknown name fails here, before any cluster is created or started.
  *) mode=scenario; bash toolchain/node.sh --exec node tools/start.ts check "$1" || exit 2 ;;
esac

kubectl_bin=$(command -v kubectl || true)
answers() { [[ -n $kubectl_bin ]] && "$kubectl_bin" --context "$1" get --raw /readyz >/dev/null 2>&1; }

# What it will do and about how long it takes, before doing it (not for --down).
plan() {
  echo "start: $2"
  [[ $mode == down ]] || bash tools/first-run-plan.sh "$1"
}

sets=()
if answers kind-kind; then
  plan cluster "deploying to your kind cluster (context kind-kind)"
elif answers minikube; then
  plan cluster "deploying to minikube"
  sets=(--set cluster=minikube)
elif command -v kind >/dev/null && [[ -n $kubectl_bin ]]; then
  plan cluster "creating a kind cluster (kind create cluster), then deploying to it"
  kind create cluster
else
  plan lab "no kind or minikube cluster here: starting the project's lab cluster (npm run lab:up)"
  # The deploy's tools build alongside the lab's binaries: the two overlap their downloads, links
  # and waits. A failure is reported by tools/pulumi.sh, which asks for the same tools again.
  bash toolchain/toolchain.sh --deploy >/dev/null &
  toolchain_job=$!
  bash lab/lab.sh up
  wait "$toolchain_job" || true
  export KUBECONFIG=$ROOT/.lab/kubeconfig
  kubectl_bin=$ROOT/.lab/bin/kubectl
  # The lab has no registry and no internet: its local image and quote mirror, as in the lab stack.
  sets=(--set cluster=lab)
  lab_sets=$(bash toolchain/node.sh --exec node tools/stack-file.ts lab-sets)
  mapfile -t -O 2 sets <<<"$lab_sets"
fi

case $mode in
  down) exec bash tools/pulumi.sh destroy --stack dev "${sets[@]}" ;;
  scenario) exec bash toolchain/node.sh --exec node tools/start.ts up "$1" "${sets[@]}" ;;
esac

bash tools/pulumi.sh up --stack dev "${sets[@]}"

# As in the book: a port-forward to local port 1080, then GET /quote.
cluster_context=kind-kind
case " ${sets[*]} " in *cluster=minikube*) cluster_context=minikube ;; *cluster=lab*) cluster_context=lab ;; esac
"$kubectl_bin" --context "$cluster_context" port-forward pod/quote-poststart 1080:80 >/dev/null &
forward=$!
trap 'kill $forward 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  if quote=$(curl -fsS http://localhost:1080/quote 2>/dev/null); then
    printf '\n$ curl localhost:1080/quote\n%s\n' "$quote"
    exit 0
  fi
  sleep 0.2
done
echo "start: the pod is up, but http://localhost:1080/quote did not answer through kubectl port-forward" >&2
exit 1
