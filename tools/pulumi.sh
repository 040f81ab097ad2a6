#!/usr/bin/env bash
# The real Pulumi CLI against a stack of this project, with a local file backend (no login):
#   npm run preview -- --stack <name> | --all      pulumi preview
#   npm run up      -- --stack <name>              pulumi up --yes
#   npm run destroy -- --stack <name>              pulumi destroy --yes
#   ... --set <key>=<value> (repeatable)            the stack's config with these settings changed,
#                                                   e.g. --set cluster=lab; the value is read as YAML
#   ... --refresh                                   read the stack's objects from the cluster first
#                                                   (objects deleted outside an update are created again)
#   bash tools/pulumi.sh env                        `export ...` lines of this environment, for eval
#                                                   (the tests and the bench run the CLI with it)
#   bash tools/pulumi.sh cancel --stack <name>      pulumi cancel: deletes the stack's lock, left by a
#                                                   CLI that was killed outright (SIGKILL)
# SIGINT or SIGTERM (Ctrl-C, a CI job's timeout) cancels the update cleanly: the CLI gets one SIGINT,
# finishes the steps under way, releases the stack's lock and exits; this script ends with it.
# State lives in .lab/state (git-ignored). The stack files pin no secrets provider: this backend's
# stacks use the passphrase "lab" (PULUMI_CONFIG_PASSPHRASE to change it; no setting is secret),
# and a new stack's salt goes into its copy in .lab/config, never into the committed stack file.
# With the toolchain's own CLI (.lab/bin), the program runs in tools/run.js through the Automation
# API (the CLI's --client): the only Node.js language host the Go proxy serves, v3.68.0, cannot run
# stack transforms or resource hooks. A Pulumi CLI you installed runs it through its own host.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

command=${1:?usage: tools/pulumi.sh preview|up|destroy|cancel --stack <name> | --all, or tools/pulumi.sh env}
shift

# The CLI's environment: the toolchain's, a local file backend, the passphrase, and the lab
# cluster's kubeconfig when it runs and the user has chosen none.
cli_env() {
  bash toolchain/toolchain.sh --env --deploy
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
bash toolchain/node.sh --exec node tools/stack-file.ts check "${stacks[@]}" || exit 2

mkdir -p .lab/state
eval "$(cli_env)"

# Runs "$@" in a process group of its own and waits for it; the first SIGINT or SIGTERM this script
# gets becomes one SIGINT to it (a terminal's Ctrl-C reaches this script twice: from the terminal and
# from npm; the Pulumi CLI takes a second SIGINT as "stop at once", leaving the stack locked).
cancellable() {
  local child status
  set -m
  "$@" &
  child=$!
  set +m
  trap 'trap "" INT TERM; kill -INT "$child" 2>/dev/null || true' INT TERM
  while :; do
    wait "$child" && status=0 || status=$?
    kill -0 "$child" 2>/dev/null || break # wait returned for a signal, not for the child's end
  done
  trap - INT TERM
  return "$status"
}

# A lock whose CLI no longer runs on this machine was left by a CLI killed outright (a cancel releases
# its lock): the CLI would only say "locked"; say which command clears it.
stale_lock() {
  local file pid host
  for file in .lab/state/.pulumi/locks/*/"$PROJECT"/"$1"/*.json; do
    [[ -f $file ]] || continue
    pid=$(grep -o '"pid": *[0-9]*' "$file" | grep -o '[0-9]*$' || true)
    host=$(grep -o '"hostname": *"[^"]*"' "$file" | sed 's/.*"\([^"]*\)"$/\1/' || true)
    # A killed CLI may linger as a zombie (its parent killed too, not reaped yet): it runs no more.
    if [[ $host == "$(hostname)" && -n $pid ]] && [[ $(ps -o stat= -p "$pid" 2>/dev/null || echo gone) == @(gone|Z*) ]]; then
      echo "pulumi.sh: the stack $1 is locked by a pulumi CLI that no longer runs (pid $pid, lock file $file):" \
        "it was killed outright (SIGKILL), before it could release its lock; a Ctrl-C or SIGTERM cancel releases it." \
        "Clear the lock: bash tools/pulumi.sh cancel --stack $1 (pulumi cancel, which deletes the file backend's lock file);" \
        "then npm run $command converges" >&2
      return 0
    fi
  done
  return 1
}
PROJECT=poststart-lab

if [[ $command == cancel ]]; then
  for s in "${stacks[@]}"; do pulumi cancel --yes --stack "$s"; done
  exit
fi

route=cli
if [[ $(command -v pulumi-language-nodejs) == "$ROOT/.lab/bin/"* ]]; then
  route=automation
  # run.js takes --refresh (read the cluster first); no other pulumi flag.
  for flag in "${extra[@]}"; do
    [[ $flag == --refresh ]] || { echo "pulumi.sh: with the toolchain's own CLI, other pulumi flags than --refresh (${extra[*]}) are not passed on" >&2; exit 2; }
  done
fi

# The CLI runs on copies of the stack files (with the settings of --set changed), so that what it
# writes there (a new stack's encryptionsalt) never lands in the committed files. The stack is
# created, and run.js runs the CLI, beside a copy of the project file for the same reason.
mkdir -p .lab/config
sed 's|^main: |main: ../../|' Pulumi.yaml >.lab/config/Pulumi.yaml # its program where it is
for s in "${stacks[@]}"; do
  if stale_lock "$s"; then exit 1; fi
  config=(--config-file ".lab/config/Pulumi.$s.yaml")
  node tools/stack-file.ts set "$s" "${config[1]}" "${sets[@]}" || exit 2
  [[ -e .lab/state/.pulumi/stacks/poststart-lab/$s.json ]] || pulumi --cwd .lab/config stack select --create --non-interactive "$s" >/dev/null
  if [[ $route == automation ]]; then
    cancellable node tools/run.js "$command" --stack "$s" "${config[@]}" "${extra[@]}"
    continue
  fi
  case $command in
    preview) cancellable pulumi preview --non-interactive --stack "$s" "${config[@]}" "${extra[@]}" ;;
    up) cancellable pulumi up --yes --non-interactive --skip-preview --stack "$s" "${config[@]}" "${extra[@]}" ;;
    destroy) cancellable pulumi destroy --yes --non-interactive --skip-preview --stack "$s" "${config[@]}" "${extra[@]}" ;;
    *) echo "unknown command $command: use preview, up or destroy" >&2; exit 2 ;;
  esac
done
