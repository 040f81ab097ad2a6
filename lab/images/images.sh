#!/usr/bin/env bash
# Container images for the local lab cluster, built here and loaded into
# containerd: no registry is reachable, so nothing is ever pulled.
#
#   lab.local/pause:1          pod sandbox: our static Go pause (lab/images/pause)
#   lab.local/nginx-fortune:1  nginx + curl + fortune/strfile + ps from Debian
#                              bookworm (debootstrap), configured like the
#                              official nginx image (lab/images/nginx-fortune)
#   lab.local/quote-mirror:1   nginx-fortune plus /usr/share/nginx/html/
#                              book-quotes.txt and its strfile .dat
#
# Usage:
#   lab/images/images.sh build [--force] [IMAGE...]   build OCI tarballs into .lab/images/
#   lab/images/images.sh load [--address SOCK] [IMAGE...]
#                                                 ctr -n k8s.io images import them
#                                                 (SOCK defaults to
#                                                 /run/containerd/containerd.sock)
#   lab/images/images.sh list                        image names, tarballs, sizes, state
#   lab/images/images.sh clean                       remove .lab/images/
# IMAGE is pause, nginx-fortune or quote-mirror (default: all three).
#
# build skips an image whose tarball was made from the same inputs: a sha256
# over its recipe (the bash functions that build it), its files under lab/images/,
# the packer, and its parameters (Go version; apt mirror, suite, packages) is
# kept in .lab/images/stamps/. --force rebuilds regardless (for instance to
# pick up newer Debian packages, which the stamp cannot see).
# build needs root (debootstrap, chroot, unshare), go, python3, tar, gzip.
# Environment: IMAGES_MIRROR overrides the apt mirror read from /etc/apt.
#
# For the cluster: containerd's CRI config needs sandbox_image = "lab.local/pause:1",
# and pods must never pull: tags are ":1", so the default imagePullPolicy is
# IfNotPresent (set Never to fail fast when an image was not loaded).
set -euo pipefail

SAY_AS=images
# shellcheck source=lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SRC=$REPO/lab/images
OUT=$REPO/.lab/images
WORK=$OUT/work
STAMPS=$OUT/stamps
PACK=$SRC/oci/pack.py

ALL_IMAGES=(pause nginx-fortune quote-mirror)
SUITE=bookworm
# nginx-light is only a transitional package in bookworm (-> nginx); fortunes-min
# is merely recommended by fortune-mod, and debootstrap installs no recommends.
PACKAGES=nginx,curl,fortune-mod,fortunes-min,procps,ca-certificates
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games
# The image config shared by nginx-fortune and quote-mirror (pack.py flags).
NGINX_CONFIG=(
  --env "PATH=$IMAGE_PATH"
  --cmd '["nginx", "-g", "daemon off;"]'
  --workdir /
  --expose 80/tcp
  --stop-signal SIGQUIT
)

ref_of() {
  case $1 in
    pause | nginx-fortune | quote-mirror) echo "lab.local/$1:1" ;;
    *) die "unknown image '$1' (expected one of: ${ALL_IMAGES[*]})" ;;
  esac
}

human() { numfmt --to=iec-i --suffix=B "$1" 2>/dev/null || echo "$1 bytes"; }

# ---------------------------------------------------------------- inputs/stamps

# The apt mirror for $SUITE as this machine has it configured: deb822 files in
# sources.list.d first, then one-line entries; a mirror serving "$SUITE" itself
# (not -security/-updates). IMAGES_MIRROR overrides.
apt_mirror() {
  if [[ -n ${IMAGES_MIRROR:-} ]]; then echo "$IMAGES_MIRROR"; return; fi
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && !found) {
          split(uris, u, " "); print u[1]; found = 1
        }
        types = ""; suites = ""; uris = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      /^Types:/  { sub(/^Types:[ \t]*/, "");  types = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^URIs:/   { sub(/^URIs:[ \t]*/, "");   uris = $0 }
      END { flush() }' "$f")
    [[ -n $uri ]] && break
  done
  if [[ -z $uri ]]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -e 's/\[[^]]*\]//' |
      awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# Every file under lab/images/<dir>..., named and hashed, in a stable order.
hash_tree() {
  local dir
  for dir in "$@"; do
    (cd "$SRC" && find "$dir" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  done
}

# sha256 of everything that goes into image $1.
inputs_hash() {
  {
    echo "image $1 $(ref_of "$1")"
    declare -f make_layer pack_image hash_tree inputs_hash
    sha256sum <"$PACK"
    case $1 in
      pause)
        declare -f build_pause
        go version 2>/dev/null || echo "no go"
        hash_tree pause
        ;;
      nginx-fortune)
        declare -f build_nginx_fortune debootstrap_rootfs strip_rootfs selftest_rootfs
        printf 'mirror=%s suite=%s packages=%s arch=%s path=%s config=%s\n' \
          "$(apt_mirror)" "$SUITE" "$PACKAGES" "$(dpkg --print-architecture)" \
          "$IMAGE_PATH" "${NGINX_CONFIG[*]}"
        hash_tree nginx-fortune
        ;;
      quote-mirror)
        declare -f build_quote_mirror
        echo "base $(inputs_hash nginx-fortune)"
        echo "config ${NGINX_CONFIG[*]}"
        hash_tree quotes
        ;;
    esac
  } | sha256sum | cut -d' ' -f1
}

is_current() {
  [[ -f $OUT/$1.tar && -f $STAMPS/$1 && $(cat "$STAMPS/$1") == "$2" ]]
}

# ---------------------------------------------------------------- helpers

need_root() { [[ $(id -u) -eq 0 ]] || die "$1 needs root"; }

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found${2:+ ($2)}"; }

ensure_debootstrap() { apt_ensure images debootstrap:debootstrap; }

# shellcheck source=lab/images/recipes.sh
source "$SRC/recipes.sh"

# ---------------------------------------------------------------- commands

cmd_build() {
  local force=0 names=()
  while (($#)); do
    case $1 in
      -f | --force) force=1 ;;
      -*) die "build: unknown option $1" ;;
      *) ref_of "$1" >/dev/null; names+=("$1") ;;
    esac
    shift
  done
  ((${#names[@]})) || names=("${ALL_IMAGES[@]}")
  need_root build
  need_cmd python3; need_cmd tar; need_cmd gzip
  mkdir -p "$OUT" "$STAMPS" "$WORK"
  exec 9>"$OUT/.lock"
  flock -w 3600 9 || die "another build holds $OUT/.lock"

  # quote-mirror is built on nginx-fortune: bring that up to date first.
  local want=() n
  for n in "${ALL_IMAGES[@]}"; do
    if printf '%s\n' "${names[@]}" | grep -qx "$n" ||
      { [[ $n == nginx-fortune ]] && printf '%s\n' "${names[@]}" | grep -qx quote-mirror; }; then
      want+=("$n")
    fi
  done

  local hash start
  for n in "${want[@]}"; do
    hash=$(inputs_hash "$n")
    if ((!force)) && is_current "$n" "$hash"; then
      say "$(ref_of "$n"): up to date ($OUT/$n.tar)"
      continue
    fi
    say "$(ref_of "$n"): building"
    start=$SECONDS
    rm -f "$STAMPS/$n"
    "build_${n//-/_}"
    echo "$hash" >"$STAMPS/$n"
    # quote-mirror carries nginx-fortune's layer: a rebuilt base makes it stale.
    if [[ $n == nginx-fortune ]]; then rm -f "$STAMPS/quote-mirror"; fi
    say "$(ref_of "$n"): built in $((SECONDS - start))s, $(human "$(stat -c %s "$OUT/$n.tar")") -> $OUT/$n.tar"
  done
}

cmd_load() {
  local address=/run/containerd/containerd.sock names=()
  while (($#)); do
    case $1 in
      --address) (($# >= 2)) || die "load: --address needs a socket path"; address=$2; shift ;;
      --address=*) address=${1#--address=} ;;
      -*) die "load: unknown option $1" ;;
      *) ref_of "$1" >/dev/null; names+=("$1") ;;
    esac
    shift
  done
  ((${#names[@]})) || names=("${ALL_IMAGES[@]}")
  need_cmd ctr "apt-get install containerd"
  [[ -S $address ]] || die "no containerd socket at $address (pass --address <sock>)"

  local n tar
  for n in "${names[@]}"; do
    tar=$OUT/$n.tar
    [[ -f $tar ]] || die "$tar is missing: run 'lab/images/images.sh build' first"
    if ! is_current "$n" "$(inputs_hash "$n")"; then
      say "warning: $tar was built from other inputs than the current ones; 'lab/images/images.sh build' refreshes it"
    fi
    say "importing $(ref_of "$n") from $tar"
    ctr --address "$address" --namespace k8s.io images import "$tar" >&2
  done
  local listed
  listed=$(ctr --address "$address" --namespace k8s.io images ls -q)
  for n in "${names[@]}"; do
    grep -qxF "$(ref_of "$n")" <<<"$listed" || die "$(ref_of "$n") is not listed in containerd after the import"
  done
  say "loaded into $address (namespace k8s.io): $(for n in "${names[@]}"; do printf '%s ' "$(ref_of "$n")"; done)"
}

cmd_list() {
  local n state
  for n in "${ALL_IMAGES[@]}"; do
    if [[ ! -f $OUT/$n.tar ]]; then
      state=missing
    elif is_current "$n" "$(inputs_hash "$n")"; then
      state="current, $(human "$(stat -c %s "$OUT/$n.tar")")"
    else
      state="stale, $(human "$(stat -c %s "$OUT/$n.tar")")"
    fi
    printf '%-28s %-40s %s\n' "$(ref_of "$n")" "$OUT/$n.tar" "$state"
  done
}

cmd_clean() {
  [[ -d $OUT ]] || return 0
  remove_tree "$OUT" || die "not removing $OUT"
  say "removed $OUT"
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    build) cmd_build "$@" ;;
    load) cmd_load "$@" ;;
    list) cmd_list "$@" ;;
    clean) cmd_clean "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
