#!/usr/bin/env bash
# The real Pulumi CLI against a stack of this project, with a local file backend (no login):
#   npm run preview -- --stack <name> | --all      pulumi preview
#   npm run up      -- --stack <name>              pulumi up --yes
#   npm run destroy -- --stack <name>              pulumi destroy --yes
#   ... --set <key>=<value> (repeatable)            the stack's config with these settings changed,
#                                                   e.g. --set cluster=lab; the value is read as YAML
#   bash tools/pulumi.sh env                        `export ...` lines of this environment, for eval
#                                                   (the tests and the bench run the CLI with it)
# State lives in .lab/state (git-ignored). The stack files pin no secrets provider: this backend's
# stacks use the passphrase "lab" (PULUMI_CONFIG_PASSPHRASE to change it; no setting is secret),
# and a new stack's salt goes into its copy in .lab/config, never into the committed stack file.
# With the toolchain's own CLI (.lab/bin), the program runs in tools/run.js through the Automation
# API (the CLI's --client): the only Node.js language host the Go proxy serves, v3.68.0, cannot run
# stack transforms or resource hooks. A Pulumi CLI you installed runs it through its own host.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

command=${1:?usage: tools/pulumi.sh preview|up|destroy --stack <name> | --all, or tools/pulumi.sh env}
shift

# The CLI's environment: the toolchain's, a local file backend, the passphrase, and the lab
# cluster's kubeconfig when it runs and the user has chosen none.
cli_env() {
  bash toolchain/toolchain.sh --env --no-actionlint
  printf 'export PULUMI_BACKEND_URL=%q\n' "file://$ROOT/.lab/state"
  printf 'export PULUMI_CONFIG_PASSPHRASE=%q\n' "${PULUMI_CONFIG_PASSPHRASE-lab}"
  # A stack file without the salt (the committed ones): the secrets provider the state holds.
  echo 'export PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER=true'
  echo 'export PULUMI_SKIP_UPDATE_CHECK=true'
  if [[ -z ${KUBECONFIG:-} && -f .lab/kubeconfig ]]; then printf 'export KUBECONFIG=%q\n' "$ROOT/.lab/kubeconfig"; fi
}
if [[ $command == env ]]; then
  mkdir -p .lab/state
  cli_env
  exit
fi

stacks=()
extra=()
sets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stacks+=("${2:?--stack needs a name}"); shift 2 ;;
    --set) sets+=("${2:?--set needs <key>=<value>}"); shift 2 ;;
    --all) for f in Pulumi.*.yaml; do s=${f#Pulumi.}; stacks+=("${s%.yaml}"); done; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[[ ${#stacks[@]} -gt 0 ]] || { echo "usage: npm run $command -- --stack <name> | --all" >&2; exit 2; }
# Each a stack name (not a path) with a stack file whose top-level keys Pulumi reads (it would ignore others).
node --import tsx tools/stack-file-cli.ts check "${stacks[@]}" || exit 2

mkdir -p .lab/state
eval "$(cli_env)"

route=cli
if [[ $(command -v pulumi-language-nodejs) == "$ROOT/.lab/bin/"* ]]; then
  route=automation
  [[ ${#extra[@]} -eq 0 ]] || { echo "pulumi.sh: with the toolchain's own CLI, other pulumi flags (${extra[*]}) are not passed on" >&2; exit 2; }
fi

# The CLI runs on copies of the stack files (with the settings of --set changed), so that what it
# writes there (a new stack's encryptionsalt) never lands in the committed files. The stack is
# created beside a copy of the project file for the same reason.
mkdir -p .lab/config
cp Pulumi.yaml .lab/config/Pulumi.yaml
for s in "${stacks[@]}"; do
  config=(--config-file ".lab/config/Pulumi.$s.yaml")
  node --import tsx tools/stack-file-cli.ts set "$s" "${config[1]}" "${sets[@]}" || exit 2
  [[ -e .lab/state/.pulumi/stacks/poststart-lab/$s.json ]] || pulumi --cwd .lab/config stack select --create --non-interactive "$s" >/dev/null
  if [[ $route == automation ]]; then
    node tools/run.js "$command" --stack "$s" "${config[@]}"
    continue
  fi
  case $command in
    preview) pulumi preview --non-interactive --stack "$s" "${config[@]}" "${extra[@]}" ;;
    up) pulumi up --yes --non-interactive --skip-preview --stack "$s" "${config[@]}" "${extra[@]}" ;;
    destroy) pulumi destroy --yes --non-interactive --skip-preview --stack "$s" "${config[@]}" "${extra[@]}" ;;
    *) echo "unknown command $command: use preview, up or destroy" >&2; exit 2 ;;
  esac
done
