#!/usr/bin/env python3
"""Write an OCI image layout tarball from ready-made layer tarballs.

Standard library only. The result is what `ctr -n k8s.io images import`
(containerd 1.6) takes: a tar holding `oci-layout`, `index.json` and
`blobs/sha256/*`, with one manifest whose descriptor in index.json carries the
image's full name as `io.containerd.image.name` (the name containerd imports
it under) and its tag as `org.opencontainers.image.ref.name`.

Each --layer is a gzip-compressed tar of a filesystem tree (numeric owners),
lowest layer first. Its digest is taken over the compressed bytes; its diff_id
(in the config's rootfs) over the uncompressed tar, as the image spec says.

Usage:
  pack.py --out OUT.tar --name lab.local/pause:1 --layer layer.tar.gz \
          [--layer more.tar.gz] [--entrypoint JSON] [--cmd JSON] \
          [--env K=V ...] [--workdir DIR] [--expose 80/tcp] \
          [--stop-signal SIGQUIT] [--label K=V ...] [--history TEXT ...]
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import platform
import sys
import tarfile
import time

CHUNK = 1 << 20

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def goarch():
    machine = platform.machine().lower()
    return {
        "x86_64": "amd64",
        "amd64": "amd64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "armv7l": "arm",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
        "riscv64": "riscv64",
    }.get(machine, machine)


def sha256_file(path, opener=open):
    h = hashlib.sha256()
    size = 0
    with opener(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            h.update(chunk)
            size += len(chunk)
    return "sha256:" + h.hexdigest(), size


def canonical(obj):
    return json.dumps(obj, indent=2, sort_keys=True).encode() + b"\n"


def split_ref(name):
    """lab.local/pause:1 -> ('lab.local/pause', '1')."""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon <= slash:
        raise SystemExit(f"pack.py: image name {name!r} has no tag")
    return name[:colon], name[colon + 1:]


def key_values(items, what):
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"pack.py: {what} {item!r} is not KEY=VALUE")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def json_list(text, what):
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise SystemExit(f"pack.py: {what} must be a JSON list of strings, got {text!r}")
    return value


def add_bytes(tar, name, data, mtime):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar, name, mtime):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = mtime
    tar.addfile(info)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--name", required=True, help="full reference, e.g. lab.local/pause:1")
    p.add_argument("--layer", action="append", required=True, help="gzip tar, lowest first")
    p.add_argument("--history", action="append", default=[], help="created_by, one per layer")
    p.add_argument("--entrypoint")
    p.add_argument("--cmd")
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--workdir", default="/")
    p.add_argument("--user", default="")
    p.add_argument("--expose", action="append", default=[])
    p.add_argument("--stop-signal")
    p.add_argument("--label", action="append", default=[])
    a = p.parse_args()

    repo, tag = split_ref(a.name)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    created = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    mtime = int(time.time())

    layers = []
    for path in a.layer:
        digest, size = sha256_file(path)
        diff_id, _ = sha256_file(path, gzip.open)
        layers.append({"path": path, "digest": digest, "size": size, "diff_id": diff_id})

    env = key_values(a.env, "--env")
    labels = key_values(a.label, "--label")
    cfg = {"Env": [f"{k}={v}" for k, v in env.items()], "WorkingDir": a.workdir}
    entrypoint = json_list(a.entrypoint, "--entrypoint")
    cmd = json_list(a.cmd, "--cmd")
    if entrypoint is not None:
        cfg["Entrypoint"] = entrypoint
    if cmd is not None:
        cfg["Cmd"] = cmd
    if a.user:
        cfg["User"] = a.user
    if a.expose:
        cfg["ExposedPorts"] = {port: {} for port in a.expose}
    if a.stop_signal:
        cfg["StopSignal"] = a.stop_signal
    if labels:
        cfg["Labels"] = labels

    history = []
    for i, _ in enumerate(layers):
        created_by = a.history[i] if i < len(a.history) else f"layer {i}"
        history.append({"created": created, "created_by": created_by})

    config = canonical({
        "created": created,
        "architecture": goarch(),
        "os": "linux",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
        "history": history,
    })
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()

    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [
            {"mediaType": MT_LAYER_GZIP, "digest": l["digest"], "size": l["size"]}
            for l in layers
        ],
        "annotations": {"org.opencontainers.image.created": created},
    })
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()

    index = canonical({
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [{
            "mediaType": MT_MANIFEST,
            "digest": manifest_digest,
            "size": len(manifest),
            "platform": {"architecture": goarch(), "os": "linux"},
            "annotations": {
                "io.containerd.image.name": a.name,
                "org.opencontainers.image.ref.name": tag,
            },
        }],
    })

    tmp = a.out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "oci-layout", canonical({"imageLayoutVersion": "1.0.0"}), mtime)
        add_bytes(tar, "index.json", index, mtime)
        add_dir(tar, "blobs", mtime)
        add_dir(tar, "blobs/sha256", mtime)
        add_bytes(tar, "blobs/sha256/" + manifest_digest[7:], manifest, mtime)
        add_bytes(tar, "blobs/sha256/" + config_digest[7:], config, mtime)
        seen = set()
        for l in layers:
            if l["digest"] in seen:
                continue
            seen.add(l["digest"])
            info = tarfile.TarInfo("blobs/sha256/" + l["digest"][7:])
            info.size = l["size"]
            info.mtime = mtime
            info.mode = 0o644
            with open(l["path"], "rb") as f:
                tar.addfile(info, f)
    os.replace(tmp, a.out)
    print(f"{a.name} {manifest_digest} -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
