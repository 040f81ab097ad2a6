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

# A gzip-compressed layer tarball of directory $1: numeric owners, sorted names,
# no atime/ctime, so the same tree gives the same bytes.
make_layer() {
  local root=$1 out=$2
  tar -C "$root" --create --numeric-owner --sort=name --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --file=- . | gzip -n -6 >"$out.tmp"
  mv "$out.tmp" "$out"
}

# pack_image IMAGE LAYER... -- PACK_FLAGS...
pack_image() {
  local name=$1; shift
  local layers=()
  while [[ $1 != -- ]]; do layers+=(--layer "$1"); shift; done
  shift
  python3 "$PACK" --out "$OUT/$name.tar" --name "$(ref_of "$name")" "${layers[@]}" "$@"
}

# ---------------------------------------------------------------- pause

build_pause() {
  need_cmd go
  local w=$WORK/pause
  remove_tree "$w"
  mkdir -p "$w/rootfs"
  (cd "$SRC/pause" &&
    env -u GOFLAGS GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOOS=linux \
      go build -trimpath -ldflags='-s -w -buildid=' -o "$w/rootfs/pause" .)
  chmod 0755 "$w/rootfs/pause"
  if command -v readelf >/dev/null 2>&1 && readelf -l "$w/rootfs/pause" | grep -q INTERP; then
    die "pause is not static"
  fi
  "$w/rootfs/pause" -v >/dev/null
  make_layer "$w/rootfs" "$w/layer.tar.gz"
  pack_image pause "$w/layer.tar.gz" -- \
    --entrypoint '["/pause"]' --workdir / \
    --history "static Go pause (lab/images/pause), CGO_ENABLED=0"
}

# ---------------------------------------------------------------- nginx-fortune

# Debian $SUITE minbase + $PACKAGES into $1. Two stages: the first downloads
# and unpacks (network); the second configures the packages inside a chroot in
# fresh mount, network and PID namespaces, so no maintainer script can start a
# daemon on the host's network or leave a mount or a process behind.
debootstrap_rootfs() {
  local root=$1 mirror
  mirror=$(apt_mirror)
  say "debootstrap --variant=minbase $SUITE from $mirror (+ $PACKAGES)"
  debootstrap --foreign --variant=minbase --components=main \
    --arch="$(dpkg --print-architecture)" --include="$PACKAGES" \
    "$SUITE" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { tail -n 30 "$root.debootstrap.log" >&2; die "debootstrap (first stage) failed"; }
  unshare --mount --net --pid --fork --kill-child \
    chroot "$root" /debootstrap/debootstrap --second-stage >>"$root.debootstrap.log" 2>&1 ||
    { tail -n 30 "$root.debootstrap.log" >&2; die "debootstrap (second stage) failed"; }
}

# Make the tree an image: our nginx config over Debian's, logs to the
# container's stdout/stderr, no docs/man/apt lists, no host files.
strip_rootfs() {
  local r=$1
  cp -R --no-preserve=ownership "$SRC/nginx-fortune/rootfs/." "$r/"
  rm -f "$r/etc/nginx/sites-enabled/default"
  ln -sfn /dev/stdout "$r/var/log/nginx/access.log"
  ln -sfn /dev/stderr "$r/var/log/nginx/error.log"

  # Host files debootstrap copied in; the runtime bind-mounts its own.
  : >"$r/etc/resolv.conf"
  : >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  rm -f "$r/etc/machine-id" "$r/var/lib/dbus/machine-id"

  # Docs (the copyright files stay), man pages, locales, apt lists and caches.
  find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/lintian \
    "$r"/usr/share/linda "$r"/usr/share/bug "$r"/usr/share/groff/*
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old \
    "$r"/var/cache/man/* "$r"/var/log/apt/* "$r"/var/log/*.log "$r"/var/log/alternatives.log
  mkdir -p "$r/var/lib/apt/lists/partial" "$r/var/cache/apt/archives/partial"
  rm -rf "$r/debootstrap" "$r"/tmp/* "$r"/var/tmp/* "$r"/run/*
  # Device nodes: the runtime mounts a fresh /dev.
  rm -rf "${r:?}"/dev/*
}

# Run the image's own tools in the tree, in private namespaces: nginx must
# start and serve a file written under /usr/share/nginx/html; fortune and
# strfile, curl and ps must run.
selftest_rootfs() {
  local r=$1
  mkdir -p "$r/dev"
  unshare --mount --net --pid --fork --kill-child --mount-proc="$r/proc" \
    env -i PATH="$IMAGE_PATH" ROOT="$r" sh -euc '
      mount -t tmpfs -o mode=0755 selftest-dev "$ROOT/dev"
      mknod -m 0666 "$ROOT/dev/null" c 1 3
      ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
      ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
      ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
      ip link set lo up
      exec chroot "$ROOT" sh -euc "
        for tool in sh nginx curl fortune strfile ps; do command -v \$tool >/dev/null; done
        nginx -t 2>/dev/null
        fortune >/dev/null
        echo selftest >/usr/share/nginx/html/quote
        nginx
        sleep 0.5
        test \"\$(curl -fsS http://127.0.0.1/quote)\" = selftest
        ps -e -o comm= | grep -qx nginx
        nginx -s quit 2>/dev/null
        rm -f /usr/share/nginx/html/quote
      "
    ' >"$r.selftest.log" 2>&1 ||
    { tail -n 20 "$r.selftest.log" >&2; die "self-test of the nginx-fortune rootfs failed"; }
  # The tmpfs on /dev went away with the namespace; leave /dev empty.
  rm -rf "${r:?}"/dev/* "$r"/run/*
}

build_nginx_fortune() {
  need_cmd unshare; need_cmd chroot
  ensure_debootstrap
  local w=$WORK/nginx-fortune
  remove_tree "$w"
  mkdir -p "$w"
  debootstrap_rootfs "$w/rootfs"
  strip_rootfs "$w/rootfs"
  selftest_rootfs "$w/rootfs"
  say "rootfs: $(du -sh --apparent-size "$w/rootfs" | cut -f1)"
  make_layer "$w/rootfs" "$w/layer.tar.gz"
  pack_image nginx-fortune "$w/layer.tar.gz" -- "${NGINX_CONFIG[@]}" \
    --history "debootstrap --variant=minbase $SUITE +$PACKAGES; nginx config (lab/images/nginx-fortune)"
}

# ---------------------------------------------------------------- quote-mirror

# nginx-fortune's layer plus one layer with the quotes and their strfile index,
# which the nginx-fortune tree's own strfile makes (in a chroot).
build_quote_mirror() {
  local base=$WORK/nginx-fortune w=$WORK/quote-mirror html=usr/share/nginx/html
  [[ -f $base/layer.tar.gz && -x $base/rootfs/usr/bin/strfile ]] ||
    die "nginx-fortune's rootfs and layer are missing; build nginx-fortune first"
  remove_tree "$w"
  mkdir -p "$w/rootfs/$html"
  chmod 0755 "$w/rootfs" "$w/rootfs/usr" "$w/rootfs/usr/share" "$w/rootfs/usr/share/nginx" "$w/rootfs/$html"
  install -m 0644 "$SRC/quotes/book-quotes.txt" "$w/rootfs/$html/book-quotes.txt"

  local tmp
  tmp=$(mktemp -d "$base/rootfs/tmp/strfile.XXXXXX")
  cp "$SRC/quotes/book-quotes.txt" "$tmp/book-quotes.txt"
  env -i PATH="$IMAGE_PATH" chroot "$base/rootfs" \
    strfile "/tmp/${tmp##*/}/book-quotes.txt" >"$w/strfile.log"
  env -i PATH="$IMAGE_PATH" chroot "$base/rootfs" \
    fortune "/tmp/${tmp##*/}/book-quotes.txt" >/dev/null ||
    { rm -rf "$tmp"; die "fortune cannot read the quotes file"; }
  install -m 0644 "$tmp/book-quotes.txt.dat" "$w/rootfs/$html/book-quotes.txt.dat"
  rm -rf "$tmp"
  say "quotes: $(grep -m1 -i 'There were' "$w/strfile.log" || true)"

  make_layer "$w/rootfs" "$w/layer.tar.gz"
  pack_image quote-mirror "$base/layer.tar.gz" "$w/layer.tar.gz" -- "${NGINX_CONFIG[@]}" \
    --history "lab.local/nginx-fortune:1" \
    --history "lab/images/quotes/book-quotes.txt and its strfile .dat in /$html"
}

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
