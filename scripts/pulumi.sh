#!/usr/bin/env bash
# The real Pulumi CLI against a stack of this project, with a local file backend (no login):
#   npm run preview -- --stack <name> | --all      pulumi preview
#   npm run up      -- --stack <name>              pulumi up --yes
#   npm run destroy -- --stack <name>              pulumi destroy --yes
# State lives in .lab/state (git-ignored). The stacks' secrets passphrase defaults to "lab".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

command=${1:?usage: scripts/pulumi.sh preview|up|destroy --stack <name> | --all}
shift
stacks=()
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stacks+=("${2:?--stack needs a name}"); shift 2 ;;
    --all) for f in Pulumi.*.yaml; do s=${f#Pulumi.}; stacks+=("${s%.yaml}"); done; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[[ ${#stacks[@]} -gt 0 ]] || { echo "usage: npm run $command -- --stack <name> | --all" >&2; exit 2; }
for s in "${stacks[@]}"; do
  [[ -f Pulumi.$s.yaml ]] || { echo "--stack: \"$s\" has no stack file Pulumi.$s.yaml" >&2; exit 2; }
done

eval "$(bash scripts/toolchain.sh --env --no-actionlint)"
mkdir -p .lab/state
export PULUMI_BACKEND_URL=file://$ROOT/.lab/state
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-lab}
export PULUMI_SKIP_UPDATE_CHECK=true
# The lab cluster's kubeconfig, when it runs and the user has chosen none.
if [[ -z ${KUBECONFIG:-} && -f .lab/kubeconfig ]]; then export KUBECONFIG=$ROOT/.lab/kubeconfig; fi

for s in "${stacks[@]}"; do
  pulumi stack select --create --non-interactive "$s" >/dev/null
  case $command in
    preview) pulumi preview --non-interactive --diff --stack "$s" "${extra[@]}" ;;
    up) pulumi up --yes --non-interactive --skip-preview --stack "$s" "${extra[@]}" ;;
    destroy) pulumi destroy --yes --non-interactive --skip-preview --stack "$s" "${extra[@]}" ;;
    *) echo "unknown command $command: use preview, up or destroy" >&2; exit 2 ;;
  esac
done
