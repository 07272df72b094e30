#!/usr/bin/env python3
"""Write a one-layer OCI image layout (test data for the promotion check in .ci/pipeline-checks.sh).

    make_oci_image.py <dir> <tag>    then: skopeo copy oci:<dir>:<tag> docker://...

The layer's content names the tag, so two tags give two different digests.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(out: str, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def main(out: str, tag: str) -> None:
    os.makedirs(f"{out}/blobs/sha256", exist_ok=True)
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as t:
        data = f"odmu promotion test {tag}\n".encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    layer = blob(out, gzip.compress(tar.getvalue(), mtime=0))
    diff_id = "sha256:" + hashlib.sha256(tar.getvalue()).hexdigest()
    config = blob(out, json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode())
    manifest = blob(out, json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
        "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")],
    }).encode())
    index = {"schemaVersion": 2, "manifests": [dict(
        manifest,
        mediaType="application/vnd.oci.image.manifest.v1+json",
        annotations={"org.opencontainers.image.ref.name": tag},
    )]}
    with open(f"{out}/index.json", "w") as f:
        json.dump(index, f)
    with open(f"{out}/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
