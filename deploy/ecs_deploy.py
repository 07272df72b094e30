#!/usr/bin/env python3
"""Deploy one odmu service to ECS, roll it back, or promote its image to the next environment.

    ecs_deploy.py deploy   --cluster C --service S --family F --container N --image URI [--role-arn R]
    ecs_deploy.py rollback --cluster C --service S [--to ARN] [--role-arn R]
    ecs_deploy.py promote  --source URI --target URI [--source-role-arn R] [--target-role-arn R]

deploy: read the family's latest task definition, replace the container's image, register the
new revision, point the service at it, poll describe-services until the rollout settles, and
succeed only if the PRIMARY deployment runs *our* revision and its rollout COMPLETED. An ECS
deployment circuit breaker rollback also ends "stable" (the old revision is PRIMARY again), so a
plain `aws ecs wait services-stable` would pass it: this script fails it.

rollback: redeploy the revision before the one the service runs (or --to ARN), with the same
wait and check.

promote: copy an image, byte for byte (same digest), from one environment's repository to the
next one's, with skopeo: what production runs is exactly what staging ran. Each side logs in to
its registry with its own role. A target tag that already holds the same digest is a success (a
rerun); one that holds another digest is an error (tags are immutable).

--role-arn and friends: exchange the GitLab job's id_token ($AWS_ID_TOKEN) for one hour of that
role (sts:AssumeRoleWithWebIdentity); without them the ambient AWS credentials are used.

Python 3 standard library only; AWS calls go through the `aws` CLI (credentials, region and
AWS_ENDPOINT_URL come from its usual environment), registry calls through `skopeo`. Only the calls
the CI deploy role allows are used: ecs:DescribeTaskDefinition, ecs:RegisterTaskDefinition,
ecs:DescribeServices, ecs:UpdateService (and iam:PassRole for the task's roles), and for promote
ecr:GetAuthorizationToken and the repositories' pull and push calls.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

# Fields describe-task-definition returns that register-task-definition does not accept.
READ_ONLY_FIELDS = (
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
)

OK, WAIT, FAIL = "ok", "wait", "fail"


class DeployError(Exception):
    """A deploy that must fail the job, with a message for the job log."""


def run(cmd: list[str], env: dict | None = None) -> str:
    """Run a command and return its stdout; raise DeployError with its stderr on failure."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise DeployError(f"`{' '.join(cmd[:3])}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def aws(*args: str, env: dict | None = None) -> dict:
    """Run `aws <args> --output json` and return the parsed answer; raise DeployError on failure."""
    out = run(["aws", *args, "--output", "json"], env)
    return json.loads(out) if out.strip() else {}


def assume_role(role_arn: str) -> dict:
    """The process environment with one hour of `role_arn`, from the job's id_token ($AWS_ID_TOKEN).

    The token goes to the CLI as a 0600 file (file://), never on a command line.
    """
    token = os.environ.get("AWS_ID_TOKEN", "")
    if not token:
        raise DeployError(f"AWS_ID_TOKEN is empty: the job needs `id_tokens: AWS_ID_TOKEN` to assume {role_arn}")
    session = f"gitlab-{os.environ.get('CI_PROJECT_ID', 'local')}-{os.environ.get('CI_JOB_ID', os.getpid())}"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "id_token")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(token)
        creds = aws(
            "sts", "assume-role-with-web-identity",
            "--role-arn", role_arn, "--role-session-name", session[:64],
            "--web-identity-token", f"file://{path}", "--duration-seconds", "3600",
        )["Credentials"]
    return dict(
        os.environ,
        AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
        AWS_SESSION_TOKEN=creds["SessionToken"],
    )


def check_primary(describe_services: dict, expected_task_definition_arn: str) -> tuple[str, str]:
    """Judge one describe-services answer for a deploy of `expected_task_definition_arn`.

    Returns (OK | WAIT | FAIL, message):
    - OK: the PRIMARY deployment runs our revision and its rolloutState is COMPLETED.
    - FAIL: the PRIMARY deployment runs another revision (the circuit breaker rolled back: ECS
      reports that as stable too), our deployment's rollout FAILED, or the service is missing.
    - WAIT: our deployment is PRIMARY and still IN_PROGRESS.
    Without rolloutState (older API shapes, emulators), a single PRIMARY deployment with
    runningCount == desiredCount counts as completed.
    """
    failures = describe_services.get("failures") or []
    services = describe_services.get("services") or []
    if not services:
        reason = "; ".join(f"{f.get('arn', '?')}: {f.get('reason', '?')}" for f in failures) or "no service returned"
        return FAIL, f"service not found ({reason})"
    service = services[0]
    if service.get("status") not in (None, "ACTIVE"):
        return FAIL, f"service {service.get('serviceName')} is {service.get('status')}"
    deployments = service.get("deployments") or []
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return FAIL, "the service has no PRIMARY deployment"
    ours = next((d for d in deployments if d.get("taskDefinition") == expected_task_definition_arn), None)
    if primary.get("taskDefinition") != expected_task_definition_arn:
        detail = (
            f"our deployment is {ours.get('status')}/{ours.get('rolloutState')}: {ours.get('rolloutStateReason', '')}"
            if ours
            else "our deployment is gone"
        )
        return FAIL, (
            f"rolled back: the PRIMARY deployment runs {primary.get('taskDefinition')}, "
            f"not {expected_task_definition_arn} ({detail})"
        )
    state = primary.get("rolloutState")
    running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
    if state == "FAILED":
        return FAIL, f"rollout FAILED: {primary.get('rolloutStateReason', 'no reason given')}"
    if state == "COMPLETED":
        return OK, f"PRIMARY runs our revision, rollout COMPLETED ({running}/{desired} tasks)"
    if state is None and len(deployments) == 1 and running == desired:
        return OK, f"PRIMARY runs our revision, the only deployment ({running}/{desired} tasks)"
    return WAIT, f"rollout {state or 'in progress'}: {running}/{desired} tasks, {len(deployments)} deployment(s)"


def describe_service(cluster: str, service: str) -> dict:
    answer = aws("ecs", "describe-services", "--cluster", cluster, "--services", service)
    services = [s for s in answer.get("services", []) if s.get("status") == "ACTIVE"]
    if not services:
        reasons = ", ".join(f.get("reason", "?") for f in answer.get("failures", [])) or "not ACTIVE"
        raise DeployError(f"ECS service '{service}' not found in cluster '{cluster}' ({reasons})")
    return answer


def new_revision_input(task_definition: dict, container: str, image: str) -> dict:
    """The register-task-definition input: the current definition with only `container`'s image replaced."""
    spec = {k: v for k, v in task_definition.items() if k not in READ_ONLY_FIELDS}
    names = [c["name"] for c in spec.get("containerDefinitions", [])]
    if container not in names:
        raise DeployError(f"container '{container}' is not in the task definition (it has {names})")
    spec["containerDefinitions"] = [dict(c, image=image) if c["name"] == container else c for c in spec["containerDefinitions"]]
    return spec


def update_and_wait(cluster: str, service: str, arn: str, timeout: float, interval: float) -> None:
    aws("ecs", "update-service", "--cluster", cluster, "--service", service, "--task-definition", arn)
    print(f"service {service} updated to {arn}; waiting up to {int(timeout)}s", flush=True)
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        verdict, message = check_primary(aws("ecs", "describe-services", "--cluster", cluster, "--services", service), arn)
        if message != last:
            print(f"  {verdict}: {message}", flush=True)
            last = message
        if verdict == OK:
            return
        if verdict == FAIL:
            raise DeployError(message)
        if time.monotonic() >= deadline:
            raise DeployError(f"not stable after {int(timeout)}s: {message}")
        time.sleep(interval)


def deploy(args: argparse.Namespace) -> None:
    describe_service(args.cluster, args.service)  # fail early and clearly when the service is missing
    current = aws("ecs", "describe-task-definition", "--task-definition", args.family)["taskDefinition"]
    print(f"current: {current['taskDefinitionArn']}", flush=True)
    spec = new_revision_input(current, args.container, args.image)
    registered = aws("ecs", "register-task-definition", "--cli-input-json", json.dumps(spec))["taskDefinition"]
    arn = registered["taskDefinitionArn"]
    print(f"registered: {arn} with image {args.image}", flush=True)
    update_and_wait(args.cluster, args.service, arn, args.timeout, args.interval)
    print(f"deployed {args.image} to {args.service} ({arn})")


def previous_revision(arn: str, max_back: int = 20) -> str:
    """The nearest ACTIVE revision before `arn` (family:N → N-1, N-2, ...)."""
    family_and_rev = arn.rsplit("/", 1)[-1]
    family, _, rev = family_and_rev.rpartition(":")
    for candidate in range(int(rev) - 1, max(int(rev) - 1 - max_back, 0), -1):
        try:
            td = aws("ecs", "describe-task-definition", "--task-definition", f"{family}:{candidate}")["taskDefinition"]
        except DeployError:
            continue
        if td.get("status") == "ACTIVE":
            return td["taskDefinitionArn"]
    raise DeployError(f"no ACTIVE revision of {family} before {rev}")


def rollback(args: argparse.Namespace) -> None:
    answer = describe_service(args.cluster, args.service)
    service = answer["services"][0]
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    current = (primary or {}).get("taskDefinition") or service["taskDefinition"]
    target = args.to or previous_revision(current)
    print(f"rolling {args.service} back from {current} to {target}", flush=True)
    update_and_wait(args.cluster, args.service, target, args.timeout, args.interval)
    print(f"rolled back {args.service} to {target}")


def registry_of(image: str) -> str:
    """The registry host of an image reference (`<host>/<repository>:<tag>`)."""
    host, slash, _ = image.partition("/")
    if not slash or not ("." in host or ":" in host or host == "localhost"):
        raise DeployError(f"'{image}' names no registry host (expected <host>/<repository>:<tag>)")
    return host


def write_authfile(directory: str, name: str, image: str, env: dict) -> str:
    """A containers-auth.json (0600) for `image`'s registry, from an ECR token of `env`'s role."""
    password = run(["aws", "ecr", "get-login-password"], env).strip()
    auth = base64.b64encode(f"AWS:{password}".encode()).decode()
    path = os.path.join(directory, f"{name}-auth.json")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        json.dump({"auths": {registry_of(image): {"auth": auth}}}, f)
    return path


def manifest_digest(image: str, authfile: str) -> str | None:
    """sha256 digest of the image's top-level manifest (index or image), None if the tag is absent."""
    proc = subprocess.run(
        ["skopeo", "inspect", "--raw", "--retry-times", "3", "--authfile", authfile, f"docker://{image}"],
        capture_output=True,
    )
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip()
        if "manifest unknown" in err.lower():
            return None
        raise DeployError(f"cannot read {image}: {err}")
    return "sha256:" + hashlib.sha256(proc.stdout).hexdigest()


def promote(args: argparse.Namespace) -> None:
    source_env = assume_role(args.source_role_arn) if args.source_role_arn else None
    target_env = assume_role(args.target_role_arn) if args.target_role_arn else None
    with tempfile.TemporaryDirectory() as tmp:
        source_auth = write_authfile(tmp, "source", args.source, source_env or dict(os.environ))
        target_auth = write_authfile(tmp, "target", args.target, target_env or dict(os.environ))
        digest = manifest_digest(args.source, source_auth)
        if digest is None:
            raise DeployError(f"{args.source} does not exist: was this commit built and deployed to the previous environment?")
        existing = manifest_digest(args.target, target_auth)
        if existing == digest:
            print(f"{args.target} already holds {digest}: nothing to copy")
            return
        if existing is not None:
            raise DeployError(f"{args.target} already holds {existing}, not {digest}: tags are immutable")
        print(f"copying {args.source} ({digest}) to {args.target}", flush=True)
        run([
            "skopeo", "copy", "--all", "--preserve-digests", "--retry-times", "3",
            "--src-authfile", source_auth, "--dest-authfile", target_auth,
            f"docker://{args.source}", f"docker://{args.target}",
        ])
        copied = manifest_digest(args.target, target_auth)
        if copied != digest:
            raise DeployError(f"{args.target} holds {copied} after the copy, not {digest}")
    print(f"promoted {args.source} to {args.target} ({digest})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("promote")
    p.add_argument("--source", required=True, help="image in the previous environment's repository")
    p.add_argument("--target", required=True, help="the same image's reference in this environment's repository")
    p.add_argument("--source-role-arn", help="role that reads the source repository (GitLab OIDC)")
    p.add_argument("--target-role-arn", help="role that pushes to the target repository (GitLab OIDC)")
    for name in ("deploy", "rollback"):
        p = sub.add_parser(name)
        p.add_argument("--role-arn", help="role to deploy with (GitLab OIDC; default: the ambient credentials)")
        p.add_argument("--cluster", required=True)
        p.add_argument("--service", required=True, help="ECS service name (e.g. odmu-auth)")
        p.add_argument("--timeout", type=float, default=900, help="seconds to wait for the rollout")
        p.add_argument("--interval", type=float, default=10, help="seconds between describe-services polls")
        if name == "deploy":
            p.add_argument("--family", required=True, help="task definition family (e.g. odmu-production-odmu-auth)")
            p.add_argument("--container", required=True, help="container whose image is replaced")
            p.add_argument("--image", required=True, help="image URI, tagged with the commit SHA")
        else:
            p.add_argument("--to", help="task definition ARN to roll back to (default: the previous ACTIVE revision)")
    args = parser.parse_args(argv)
    try:
        if getattr(args, "role_arn", None):
            os.environ.update(assume_role(args.role_arn))
        {"deploy": deploy, "rollback": rollback, "promote": promote}[args.command](args)
    except DeployError as err:
        print(f"ecs_deploy {args.command} FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
