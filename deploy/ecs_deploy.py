#!/usr/bin/env python3
"""Deploy one odmu service to ECS, or roll it back to the previous task definition revision.

    ecs_deploy.py deploy   --cluster C --service S --family F --container N --image URI [--timeout 900]
    ecs_deploy.py rollback --cluster C --service S [--to ARN] [--timeout 900]

deploy: read the family's latest task definition, replace the container's image, register the
new revision, point the service at it, poll describe-services until the rollout settles, and
succeed only if the PRIMARY deployment runs *our* revision and its rollout COMPLETED. An ECS
deployment circuit breaker rollback also ends "stable" (the old revision is PRIMARY again), so a
plain `aws ecs wait services-stable` would pass it: this script fails it.

rollback: redeploy the revision before the one the service runs (or --to ARN), with the same
wait and check.

Python 3 standard library only; AWS calls go through the `aws` CLI (credentials, region and
AWS_ENDPOINT_URL come from its usual environment). Only the calls the CI deploy role allows are
used: ecs:DescribeTaskDefinition, ecs:RegisterTaskDefinition, ecs:DescribeServices,
ecs:UpdateService (and iam:PassRole for the task's roles).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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


def aws(*args: str) -> dict:
    """Run `aws <args> --output json` and return the parsed answer; raise DeployError on failure."""
    cmd = ["aws", *args, "--output", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DeployError(f"`aws {' '.join(args[:2])}` failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("deploy", "rollback"):
        p = sub.add_parser(name)
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
        (deploy if args.command == "deploy" else rollback)(args)
    except DeployError as err:
        print(f"ecs_deploy {args.command} FAILED: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
