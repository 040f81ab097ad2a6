#!/usr/bin/env bash
# `npm test`: format and lint (biome ci), type check (tsc --build), the unit suite (vitest run, given
# this script's arguments). The lint runs beside the other two: half a second off the wait. The exit
# status is non-zero if any of the three failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit
biome ci --diagnostic-level=error . &
lint=$!
node_modules/typescript-native/bin/tsc --build && vitest run "$@"
status=$?
if ! wait "$lint" && ((status == 0)); then status=1; fi
exit "$status"
