#!/usr/bin/env bash
# `npm run pictures [-- <dir>]`: the README's pictures (docs/pictures/<scenario>.svg), from a real run
# of every scenario the lab stack deploys: a clean start (destroy), the observer with --svg watching
# before `up` creates the pods, then destroy. The lab cluster must be up (npm run lab:up). The run's
# JSON lines stay in .lab/pictures/observe.jsonl. Exits non-zero when a scenario did not behave as
# the book says (its picture is written all the same).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
dir=${1:-docs/pictures}
# The observer reads the current kubeconfig; tools/pulumi.sh points the lab stack at the lab's.
if [[ -z ${KUBECONFIG:-} && -f .lab/kubeconfig ]]; then export KUBECONFIG=$ROOT/.lab/kubeconfig; fi
mkdir -p .lab/pictures

npm run -s destroy -- --stack lab
npm run -s observe -- --stack lab --json --svg "$dir" --timeout 420 >.lab/pictures/observe.jsonl &
observer=$!
sleep 3 # the observer's watches are open before the first pod
up=0
npm run -s up -- --stack lab || up=$?
observed=0
wait "$observer" || observed=$?
npm run -s destroy -- --stack lab
if ((up != 0)); then echo "pictures: npm run up failed (exit $up)" >&2; exit "$up"; fi
exit "$observed"
