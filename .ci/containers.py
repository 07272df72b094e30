#!/usr/bin/env python3
"""The images and the platform in containers, judged by Docker itself (`.ci/run` runs this after
the tests; it fails on the first thing that does not hold):

1. a Docker engine (started here when none answers) and the base images the Dockerfile and
   compose.yaml name: already present, or made locally under their real names by the container
   stand-ins (`ODMU_CONTAINER_STANDINS`, a folder with `build-all.sh`) where no registry answers;
2. every service image built with `docker build` exactly as the pipeline's build job builds it:
   the `--opt` list of `.service-build` in .gitlab/ci/service-template.yml, with each service's
   SERVICE and PORT from .gitlab/ci/services.yml (and the gateway's image as compose builds it);
3. each image: runs as a non-root user, has no shell, holds nothing above its base but its own
   binary and its data folder, exposes its port, and is at most 25 MiB compressed;
4. compose.yaml brought up with the README's command (`up --build -d`; the builds above are its
   cache), every container healthy and running as non-root, each service's `/ready` on its
   published port, whole ride flows through the gateway with `odmu load` (its data checks:
   invoices, ledger balanced, outbox drained), then every container stopped with exit 0 within
   10 s, and `down -v`.

    python3 .ci/containers.py --odmu target/debug/odmu [--report containers.json]
"""

import argparse
import gzip
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_COMPRESSED = 25 * 1024 * 1024
SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"}
PROJECT = "odmuci"
# The only paths an image may add above its base (docker/Dockerfile's two COPY lines).
OWN_FILES = {"usr/local/bin/service", "data"}
GATEWAY = {"SERVICE": "odmu", "PORT": "8080", "PACKAGES": "odmu-stack"}

# Docker 20.10's client (Debian's docker.io): BuildKit without buildx, and the client compose v1
# calls. A newer client elsewhere on PATH would ask for buildx.
ENV = dict(os.environ, DOCKER_BUILDKIT="1", COMPOSE_DOCKER_CLI_BUILD="1",
           PATH="/usr/bin:" + os.environ.get("PATH", ""))


def log(msg):
    print(f"-- {msg}", flush=True)


def fail(msg):
    sys.exit(f"containers: FAILED: {msg}")


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, env=ENV, **kw)


def out(cmd):
    return run(cmd, capture_output=True, text=True).stdout.strip()


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


# --- 1. engine and base images --------------------------------------------------------------

def ensure_engine():
    if run(["docker", "info"], capture_output=True, check=False).returncode == 0:
        return
    log("no Docker engine answers: starting dockerd (no iptables: builds use the host network)")
    logfile = open(os.path.join(tempfile.gettempdir(), "odmu-dockerd.log"), "ab")
    subprocess.Popen(["dockerd", "--iptables=false"], stdout=logfile, stderr=logfile,
                     start_new_session=True)
    for _ in range(60):
        if run(["docker", "info"], capture_output=True, check=False).returncode == 0:
            return
        time.sleep(1)
    fail("dockerd did not start (see odmu-dockerd.log in the temp folder)")


def base_images():
    dockerfile = read("docker/Dockerfile")
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.M))
    images = []
    for ref in re.findall(r"^FROM (\S+)", dockerfile, re.M):
        ref = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], ref)
        if ":" in ref or "/" in ref:
            images.append(ref)
    images += re.findall(r"^\s+image: (\S+)", read("compose.yaml"), re.M)
    return images


def ensure_base_images():
    images = base_images()
    missing = [i for i in images
               if run(["docker", "image", "inspect", i], capture_output=True,
                      check=False).returncode != 0]
    if not missing:
        return
    # The stand-ins are this CI machine's tool, beside the checkout; never part of the images.
    candidates = [os.environ.get("ODMU_CONTAINER_STANDINS", ""),
                  os.path.join(ROOT, "..", "shared", "tools", "container-standins"),
                  "/work/shared/tools/container-standins"]
    standins = next((c for c in candidates if c and os.path.exists(os.path.join(c, "build-all.sh"))),
                    None)
    if standins:
        script = os.path.join(standins, "build-all.sh")
        log(f"making {', '.join(missing)} with the stand-ins in {standins}")
        tags = {"RUST_VERSION": r"^rust:([\d.]+)-", "PG_TAG": r"^postgres:(.+)$",
                "JAEGER_TAG": r"^jaegertracing/all-in-one:(.+)$"}
        env = dict(ENV)
        for var, pattern in tags.items():
            for image in images:
                m = re.match(pattern, image)
                if m:
                    env[var] = m.group(1)
        subprocess.run(["sh", script], env=env, check=True, stdout=subprocess.DEVNULL)
    else:
        for image in missing:
            run(["docker", "pull", image])


# --- 2. images built as the pipeline builds them ----------------------------------------------

def pipeline_build_args():
    """`.service-build`'s buildctl options as `docker build` arguments, with $VARS left in."""
    template = read(".gitlab/ci/service-template.yml")
    job = template[template.index(".service-build:"):template.index(".service-deploy:")]
    command = job[job.index("buildctl-daemonless.sh build"):job.index("--import-cache")]
    tokens = shlex.split(command.replace("\\\n", " "))
    opts = [tokens[i + 1] for i, t in enumerate(tokens) if t == "--opt"]
    locals_ = dict(tokens[i + 1].split("=", 1) for i, t in enumerate(tokens) if t == "--local")
    args = []
    for opt in opts:
        key, value = opt.split("=", 1)
        if key == "filename":
            args += ["-f", os.path.join(locals_["dockerfile"], value)]
        elif key == "target":
            args += ["--target", value]
        elif key.startswith("build-arg:"):
            args += ["--build-arg", f"{key[len('build-arg:'):]}={value}"]
        else:
            fail(f"the build job passes --opt {key}, which this check does not translate")
    if locals_.get("context") != ".":
        fail("the build job's context is not the repository")
    return args


def pipeline_services():
    """SERVICE and PORT of each service's jobs in the generated services.yml."""
    text = read(".gitlab/ci/services.yml")
    return re.findall(r'^\s+SERVICE: (\w+)\n\s+PORT: "(\d+)"', text, re.M)


def image_name(service):
    return f"odmu-ci/{service}:latest"


def build_images(revision):
    args = pipeline_build_args()
    log("the pipeline's build job, as docker build: docker build " + " ".join(args))
    built = []
    for service, port in pipeline_services():
        values = {"SERVICE": service, "PORT": port, "CI_COMMIT_SHA": revision}
        concrete = [re.sub(r"\$(\w+)", lambda m: values[m.group(1)], a).replace('"', "")
                    for a in args]
        built.append(build(service, port, concrete))
    # The gateway is compose's image only (the ALB is the gateway in production).
    gw = ["-f", "docker/Dockerfile", "--target", "runtime"]
    for k, v in GATEWAY.items():
        gw += ["--build-arg", f"{k}={v}"]
    built.append(build(GATEWAY["SERVICE"], GATEWAY["PORT"], gw))
    return built


def build(service, port, args):
    t0 = time.monotonic()
    # --network host: dockerd runs without iptables here, so build containers have no NAT.
    run(["docker", "build", "--network", "host", "-q", *args, "-t", image_name(service), "."],
        cwd=ROOT, stdout=subprocess.DEVNULL)
    log(f"built {image_name(service)} in {time.monotonic() - t0:.0f} s")
    return service, port


# --- 3. what each image holds -------------------------------------------------------------

def inspect(ref):
    return json.loads(out(["docker", "image", "inspect", ref]))[0]


def layer_files(image):
    """The paths each layer above the base image adds (the layers docker save lists last)."""
    base = base_images()
    runtime_base = next(b for b in base if "distroless" in b)
    base_layers = len(inspect(runtime_base)["RootFS"]["Layers"])
    saved = run(["docker", "save", image], capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(saved)) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))[0]
        ours = manifest["Layers"][base_layers:]
        files = {}
        for layer in ours:
            with tarfile.open(fileobj=archive.extractfile(layer)) as t:
                files |= {m.name.rstrip("/"): m.size for m in t.getmembers() if not m.isdir()}
                files |= {m.name.rstrip("/"): 0 for m in t.getmembers()
                          if m.isdir() and m.name.rstrip("/") in OWN_FILES}
    return saved, files


def all_files(image):
    # An entrypoint of its own: the container is only exported, never started.
    container = out(["docker", "create", "--entrypoint", "/usr/local/bin/service", image])
    try:
        exported = run(["docker", "export", container], capture_output=True).stdout
    finally:
        run(["docker", "rm", container], capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(exported)) as t:
        return [m.name for m in t.getmembers()]


def image_problems(image, port):
    """What is wrong with `image` (empty when nothing is), and its figures."""
    problems = []
    meta = inspect(image)
    user = meta["Config"].get("User") or ""
    if user.split(":")[0] in ("", "0", "root"):
        problems.append(f"runs as root (USER {user!r})")
    shells = [f for f in all_files(image) if os.path.basename(f) in SHELLS]
    if shells:
        problems.append(f"has a shell: {shells}")
    saved, added = layer_files(image)
    if set(added) != OWN_FILES:
        problems.append(f"adds {sorted(added)} above its base, expected {sorted(OWN_FILES)}")
    exposed = sorted((meta["Config"].get("ExposedPorts") or {}).keys())
    if exposed != [f"{port}/tcp"]:
        problems.append(f"exposes {exposed}, expected {port}/tcp")
    compressed = len(gzip.compress(saved, compresslevel=6))
    if compressed > MAX_COMPRESSED:
        problems.append(f"is {compressed / 2**20:.1f} MiB compressed, over 25 MiB")
    figures = {"user": user, "compressed_mib": round(compressed / 2**20, 1),
               "binary_mib": round(added.get("usr/local/bin/service", 0) / 2**20, 1),
               "size_mib": round(meta["Size"] / 2**20, 1)}
    return problems, figures


def check_image(service, port):
    problems, figures = image_problems(image_name(service), port)
    if problems:
        fail(f"{image_name(service)}: " + "; ".join(problems))
    return {"image": service, **figures}


def checks_catch_bad_images(service, port):
    """The checks above, shown to fail: images made from a good one that run as root, carry a
    shell, or outgrow the bound must each be refused for that reason."""
    base = image_name(service)
    runtime_base = next(b for b in base_images() if "distroless" in b)
    cases = {
        "runs as root": f"FROM {base}\nUSER 0\n",
        "has a shell": f"FROM {base}\nCOPY --chmod=755 sh /bin/sh\n",
        # Only its own two paths, but 26 MiB of incompressible binary.
        "over 25 MiB": f"FROM {runtime_base}\nCOPY big /usr/local/bin/service\n"
                       f"COPY --from={base} /data /data\nUSER 65532\nEXPOSE {port}\n",
    }
    with tempfile.TemporaryDirectory() as ctx:
        with open(os.path.join(ctx, "sh"), "w") as f:
            f.write("#!/bin/false\n")
        with open(os.path.join(ctx, "big"), "wb") as f:
            f.write(os.urandom(26 * 2**20))
        for expected, dockerfile in cases.items():
            with open(os.path.join(ctx, "Dockerfile"), "w") as f:
                f.write(dockerfile)
            tag = "odmu-ci/bad:latest"
            run(["docker", "build", "-q", "-t", tag, ctx], stdout=subprocess.DEVNULL)
            problems, _ = image_problems(tag, port)
            run(["docker", "rmi", tag], capture_output=True)
            if not any(expected in p for p in problems):
                fail(f"an image that {expected} passed the image checks: {problems}")
    log("the image checks refuse an image that runs as root, has a shell, or is over 25 MiB")


# --- 4. the platform in containers ----------------------------------------------------------

def compose(*args, **kw):
    return run(["docker-compose", "-p", PROJECT, "-f", "compose.yaml", "-f", OVERRIDE, *args],
               cwd=ROOT, **kw)


def compose_override(path, services):
    """CI's only addition to compose.yaml: builds on the host network (no NAT here)."""
    with open(path, "w") as f:
        f.write("services:\n")
        for s in services:
            f.write(f"  {s}:\n    build:\n      network: host\n")


def containers():
    ids = out(["docker-compose", "-p", PROJECT, "-f", "compose.yaml", "-f", OVERRIDE, "ps", "-q"])
    return [json.loads(out(["docker", "inspect", i]))[0] for i in ids.split()]


def wait_healthy(timeout):
    deadline = time.monotonic() + timeout
    while True:
        states = {c["Name"].lstrip("/"): (c["State"].get("Health") or {}).get(
            "Status", c["State"]["Status"]) for c in containers()}
        waiting = {n: s for n, s in states.items() if s not in ("healthy", "running")}
        if not waiting and states:
            return states
        if any(s in ("unhealthy", "exited", "dead") for s in waiting.values()):
            fail(f"containers not healthy: {waiting}")
        if time.monotonic() > deadline:
            fail(f"containers not healthy after {timeout} s: {waiting}")
        time.sleep(2)


def topology():
    src = read("crates/topology/src/lib.rs")
    return re.findall(r'name: "(\w+)",\s*port: (\d+),\s*prefix: "([^"]+)"', src)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    global OVERRIDE
    parser = argparse.ArgumentParser()
    parser.add_argument("--odmu", required=True, help="the odmu binary that runs the load")
    parser.add_argument("--report", help="write the figures as JSON here")
    parser.add_argument("--load-duration", default="10s")
    opts = parser.parse_args()
    odmu = os.path.abspath(opts.odmu)
    started = time.monotonic()

    ensure_engine()
    ensure_base_images()
    revision = out(["git", "-C", ROOT, "rev-parse", "HEAD"])
    built = build_images(revision)
    report = {"images": [check_image(s, p) for s, p in built]}
    checks_catch_bad_images(*built[0])
    print(f"   {'image':<18} {'binary MiB':>10} {'image MiB':>9} {'compressed MiB':>14}  user")
    for i in report["images"]:
        print(f"   {i['image']:<18} {i['binary_mib']:>10} {i['size_mib']:>9} "
              f"{i['compressed_mib']:>14}  {i['user']}")

    work = tempfile.mkdtemp()
    OVERRIDE = os.path.join(work, "compose.ci.yaml")
    compose_override(OVERRIDE, [s for s in
                                out(["docker-compose", "-f", "compose.yaml", "config",
                                     "--services"]).split()
                                if s not in ("postgres", "jaeger")])
    compose("down", "-v", "--remove-orphans", capture_output=True, check=False)
    try:
        t0 = time.monotonic()
        compose("up", "--build", "-d", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        states = wait_healthy(240)
        report["up_seconds"] = round(time.monotonic() - t0, 1)
        log(f"compose up: {len(states)} containers healthy in {report['up_seconds']} s")
        for c in containers():
            # docker top wants the pid column too; the first line is the header.
            uids = [line.split()[0] for line in
                    out(["docker", "top", c["Id"], "-o", "uid,pid"]).splitlines()[1:]]
            name = c["Name"].lstrip("/")
            if name.split("_")[1] not in ("postgres", "jaeger") and "0" in uids:
                fail(f"{name} runs a process as root")
        for name, port, prefix in topology():
            status = get(f"http://127.0.0.1:{port}{prefix}/ready")
            if status != 200:
                fail(f"{name}: {prefix}/ready on its published port answered {status}")
        log("every service answers /ready on its published port")

        load = subprocess.run(
            [odmu, "load", "--gateway", "http://127.0.0.1:8080", "--duration",
             opts.load_duration, "--report", os.path.join(work, "load.json")],
            env=dict(os.environ, ODMU_ADMIN_PASSWORD="admin_dev_only_password"))
        if load.returncode != 0:
            compose("logs", "--tail", "50", check=False)
            fail(f"odmu load through the containers exited {load.returncode}")
        with open(os.path.join(work, "load.json")) as f:
            flows = json.load(f)
        report["flows_per_second"] = flows.get("flows_per_second")
        log(f"odmu load through the containers passed: {report['flows_per_second']} flows/s")

        ids = [c["Id"] for c in containers()]
        t0 = time.monotonic()
        compose("stop", "--timeout", "10", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        report["stop_seconds"] = round(time.monotonic() - t0, 1)
        for i in ids:
            c = json.loads(out(["docker", "inspect", i]))[0]
            code = c["State"]["ExitCode"]
            if code != 0:
                fail(f"{c['Name'].lstrip('/')} exited {code} when stopped")
        if report["stop_seconds"] > 10:
            fail(f"stopping every container took {report['stop_seconds']} s (over 10 s)")
        log(f"every container stopped with exit 0 in {report['stop_seconds']} s")
    finally:
        compose("down", "-v", "--remove-orphans", stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, check=False)
    report["seconds"] = round(time.monotonic() - started)
    if opts.report:
        with open(opts.report, "w") as f:
            json.dump(report, f, indent=2)
    log(f"containers: passed in {report['seconds']} s")


OVERRIDE = None

if __name__ == "__main__":
    main()
