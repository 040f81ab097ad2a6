# shellcheck shell=bash
# How each lab image is built (sourced by images.sh, whose stamps hash these functions'
# text: changing one rebuilds its image).

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
