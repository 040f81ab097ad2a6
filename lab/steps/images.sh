# shellcheck shell=bash
# Step: images. The lab images, built by lab/images/images.sh (which skips those built from
# the same inputs) and imported into the node's containerd: nothing is ever pulled.

build_images() {
  bash "$LAB_SRC/images/images.sh" build 9>&- ||
    die "building the lab images failed (bash lab/images/images.sh build)"
}

# load_images: into the running containerd, with its snapshotter
load_images() {
  local t=$SECONDS
  CONTAINERD_SNAPSHOTTER=$SNAPSHOTTER bash "$LAB_SRC/images/images.sh" load --address "$CONTAINERD_SOCK" \
    >"$LOG/images-load.log" 2>&1 9>&- ||
    { tail -n 20 "$LOG/images-load.log" >&2; die "loading the images failed; log: .lab/log/images-load.log"; }
  say "containerd has the lab images (loaded in $((SECONDS - t)) s)"
}
