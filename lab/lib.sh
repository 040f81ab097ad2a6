# shellcheck shell=bash
# What every script of the lab and the toolchain needs, in one place. Source it after setting
# SAY_AS (the prefix of messages, e.g. "lab"); it sets REPO, the checkout's root.
#   say MESSAGE...                 progress, on stderr (stdout is the scripts' data)
#   die MESSAGE...                 an error, then exit 1
#   mounts_under DIR               mount points at or below DIR, deepest first
#   remove_tree DIR                rm -rf DIR, refused (status 1) while anything is mounted in it
#   apt_ensure LOGNAME CMD:PKG...  the Debian package of each missing command, with apt-get
#   go_build OUT DIR LABEL KEY NAME=PKG... [-- FLAGS...]
#                                  the pinned Go binaries, built once per stamp key
#   first_run_seconds STEP         how long STEP took on a fresh machine (lab/first-run.tsv), or nothing

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '%s: %s\n' "${SAY_AS:-lab}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${SAY_AS:-lab}" "$*" >&2; exit 1; }

mounts_under() {
  local dir
  dir=$(realpath "$1")
  # mountinfo's 5th field is the mount point, with spaces as \040
  awk -v d="$dir" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' \
    /proc/self/mountinfo | sort -r
}

remove_tree() {
  local dir=$1 mounted
  [[ -e $dir ]] || return 0
  mounted=$(mounts_under "$dir")
  if [[ -n $mounted ]]; then
    say "not removing $dir: ${mounted//$'\n'/, } still mounted there (see /proc/self/mountinfo)"
    return 1
  fi
  rm -rf --one-file-system "$dir"
}

first_run_seconds() { awk -F'\t' -v step="$1" '$1 == step { print $3 }' "$REPO/lab/first-run.tsv"; }

# Logs of apt and of Go builds: .lab/build, which `lab down` keeps.
BUILD_LOGS=$REPO/.lab/build

# apt_ensure LOGNAME CMD:PKG...: installs the package of each command not found (a CMD with a
# slash is a file that must exist), with one `apt-get update` retry. Their services are not
# started (no systemd here).
apt_ensure() {
  local log=$BUILD_LOGS/$1-apt.log entry cmd pkg missing=(); shift
  for entry in "$@"; do
    cmd=${entry%%:*}; pkg=${entry#*:}
    if [[ $cmd == */* ]]; then [[ -x $cmd ]] && continue; else command -v "$cmd" >/dev/null && continue; fi
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  ((EUID == 0)) || die "installing ${missing[*]} needs root: apt-get install ${missing[*]}"
  mkdir -p "$BUILD_LOGS"
  say "installing Debian's ${missing[*]} (apt-get; log: ${log#"$REPO"/})..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$log" 2>&1; then
    apt-get update -q >>"$log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "apt-get install ${missing[*]} failed; log: $log"; }
  fi
}

# Bump when the way go_build builds changes: every binary is built again.
GO_BUILD_RECIPE=2

# go_build OUT MODULE_DIR LABEL KEY NAME=PACKAGE... [-- GO_BUILD_FLAGS...]: builds each
# binary NAME from PACKAGE of the wrapper module MODULE_DIR into OUT, unless OUT/NAME.stamp
# holds the current stamp key: the module's build list (every version and replacement, so a
# comment in go.mod rebuilds nothing), the Go version, the flags and KEY (anything else it
# depends on). Those out of date are built by one `go build` (they share packages), in the
# background with progress each minute, so a caller with a limit on silence sees it is alive.
# GO_BUILD_FORCE=true rebuilds regardless. No toolchain download, no go.mod rewrite.
go_build() {
  local out=$1 dir=$2 label=$3 key=$4 entry names=() pkgs=() stale=() stale_pkgs=(); shift 4
  while (($#)) && [[ $1 != -- ]]; do names+=("${1%%=*}"); pkgs+=("${1#*=}"); shift; done
  (($#)) && shift
  command -v go >/dev/null || die "go is not installed (Go 1.26 builds $label)"
  local GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
  export GOTOOLCHAIN GOFLAGS CGO_ENABLED # for this function and what it runs only
  key=$(
    {
      printf '%s\n' "$GO_BUILD_RECIPE" "$(go env GOVERSION)" "CGO_ENABLED=0 trimpath" "$*" "$key"
      (cd "$dir" && go list -m -f '{{.Path}} {{.Version}} {{with .Replace}}=> {{.Path}} {{.Version}}{{end}}' all)
    } | sha256sum | cut -d' ' -f1
  ) || die "go list failed in $dir"
  local i
  for i in "${!names[@]}"; do
    entry=${names[i]}
    if [[ ${GO_BUILD_FORCE:-false} != true && -x $out/$entry && $(cat "$out/$entry.stamp" 2>/dev/null) == "$key" ]]; then
      continue
    fi
    stale+=("$entry"); stale_pkgs+=("${pkgs[i]}")
  done
  if ((${#stale[@]} == 0)); then
    say "${names[*]}: up to date in ${out#"$REPO"/} ($label)"
    return 0
  fi

  local log=$BUILD_LOGS/${stale[0]}.log tmp=$out/.tmp-${stale[0]} start pid rc target
  say "building ${stale[*]} ($label) from Go modules (takes minutes; log: ${log#"$REPO"/})..."
  rm -rf "$tmp"; mkdir -p "$tmp" "$BUILD_LOGS"
  # one package: named NAME; several: each named after its package, as `go build -o DIR/` does
  target=$tmp/; ((${#stale[@]} > 1)) || target=$tmp/${stale[0]}
  start=$SECONDS
  (cd "$dir" && exec nice -n 10 go build -trimpath "$@" -o "$target" "${stale_pkgs[@]}") >"$log" 2>&1 9>&- &
  pid=$!
  local next=$((start + 60)) first
  first=$(first_run_seconds "${stale[0]}")
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if ((SECONDS >= next)); then
      say "  still building ${stale[*]}... $(((SECONDS - start) / 60)) min${first:+ (on a fresh machine: $(((first + 30) / 60)) min)}"
      next=$((next + 60))
    fi
  done
  rc=0; wait "$pid" || rc=$?
  if ((rc != 0)); then
    tail -n 30 "$log" >&2; rm -rf "$tmp"
    die "building ${stale[*]} failed (exit $rc); full log: $log"
  fi
  local built
  for i in "${!stale[@]}"; do
    entry=${stale[i]} built=$tmp/${stale_pkgs[i]##*/}
    ((${#stale[@]} > 1)) || built=$tmp/$entry
    mv -f "$built" "$out/$entry"
    printf '%s\n' "$key" >"$out/$entry.stamp"
  done
  rm -rf "$tmp"
  say "built ${stale[*]} in $((SECONDS - start)) s"
}
