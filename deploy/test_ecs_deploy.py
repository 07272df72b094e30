"""Tests of the deploy script's decisions (stdlib unittest, no AWS): python3 -m unittest deploy/test_ecs_deploy.py

The describe-services answers follow the shapes in the ECS API reference (Deployment:
status PRIMARY/ACTIVE/INACTIVE, rolloutState COMPLETED/FAILED/IN_PROGRESS, rolloutStateReason)
and the deployment circuit breaker guide (a rollback starts a new PRIMARY deployment of the last
completed revision; ours becomes ACTIVE/FAILED, then INACTIVE and disappears).
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ecs_deploy  # noqa: E402
from ecs_deploy import FAIL, OK, WAIT, check_primary  # noqa: E402

ACCOUNT = "arn:aws:ecs:us-east-1:123456789012"
OLD = f"{ACCOUNT}:task-definition/odmu-production-billing:41"
NEW = f"{ACCOUNT}:task-definition/odmu-production-billing:42"


def deployment(ident, status, task_definition, rollout, running, desired=2, reason=""):
    return {
        "id": f"ecs-svc/{ident}",
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": running,
        "failedTasks": 0 if rollout != "FAILED" else 3,
        "createdAt": "2026-11-26T08:00:00+00:00",
        "updatedAt": "2026-11-26T08:05:00+00:00",
        "launchType": "FARGATE",
        "rolloutState": rollout,
        "rolloutStateReason": reason,
    }


def service(*deployments):
    return {
        "services": [
            {
                "serviceArn": f"{ACCOUNT}:service/odmu-production/billing",
                "serviceName": "billing",
                "clusterArn": f"{ACCOUNT}:cluster/odmu-production",
                "status": "ACTIVE",
                "desiredCount": 2,
                "runningCount": 2,
                "taskDefinition": deployments[0]["taskDefinition"],
                "deploymentConfiguration": {
                    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                    "maximumPercent": 200,
                    "minimumHealthyPercent": 100,
                },
                "deployments": list(deployments),
            }
        ],
        "failures": [],
    }


COMPLETED = service(
    deployment("new", "PRIMARY", NEW, "COMPLETED", 2, reason="ECS deployment ecs-svc/new completed."),
)
ROLLED_BACK = service(
    deployment(
        "rollback", "PRIMARY", OLD, "COMPLETED", 2,
        reason="ECS deployment ecs-svc/rollback completed.",
    ),
    deployment(
        "new", "ACTIVE", NEW, "FAILED", 0,
        reason="ECS deployment circuit breaker: tasks failed to start. Rolling back to ecs-svc/rollback",
    ),
)
ROLLED_BACK_OURS_GONE = service(
    deployment("rollback", "PRIMARY", OLD, "COMPLETED", 2, reason="ECS deployment ecs-svc/rollback completed."),
)
FAILED = service(
    deployment(
        "new", "PRIMARY", NEW, "FAILED", 0,
        reason="ECS deployment circuit breaker: tasks failed to start.",
    ),
    deployment("old", "ACTIVE", OLD, "COMPLETED", 2),
)
IN_PROGRESS = service(
    deployment("new", "PRIMARY", NEW, "IN_PROGRESS", 1, reason="ECS deployment ecs-svc/new in progress."),
    deployment("old", "ACTIVE", OLD, "COMPLETED", 2),
)
MISSING = {
    "services": [],
    "failures": [{"arn": f"{ACCOUNT}:service/odmu-production/billing", "reason": "MISSING"}],
}


class CheckPrimaryTest(unittest.TestCase):
    def test_a_completed_deployment_of_our_revision_passes(self):
        verdict, message = check_primary(COMPLETED, NEW)
        self.assertEqual(verdict, OK, message)

    def test_a_circuit_breaker_rollback_fails_although_ecs_reports_it_stable(self):
        verdict, message = check_primary(ROLLED_BACK, NEW)
        self.assertEqual(verdict, FAIL)
        self.assertIn("rolled back", message)
        self.assertIn(OLD, message)

    def test_a_rollback_whose_failed_deployment_is_already_gone_fails(self):
        verdict, message = check_primary(ROLLED_BACK_OURS_GONE, NEW)
        self.assertEqual(verdict, FAIL)
        self.assertIn("gone", message)

    def test_a_failed_rollout_of_our_revision_fails(self):
        verdict, message = check_primary(FAILED, NEW)
        self.assertEqual(verdict, FAIL)
        self.assertIn("FAILED", message)

    def test_an_in_progress_rollout_keeps_waiting(self):
        self.assertEqual(check_primary(IN_PROGRESS, NEW)[0], WAIT)

    def test_a_missing_service_fails(self):
        verdict, message = check_primary(MISSING, NEW)
        self.assertEqual(verdict, FAIL)
        self.assertIn("MISSING", message)

    def test_only_the_completed_shape_passes(self):
        shapes = {"completed": COMPLETED, "rolled back": ROLLED_BACK, "failed": FAILED}
        passing = [name for name, shape in shapes.items() if check_primary(shape, NEW)[0] == OK]
        self.assertEqual(passing, ["completed"])


class NewRevisionInputTest(unittest.TestCase):
    TD = {
        "taskDefinitionArn": OLD,
        "family": "odmu-production-billing",
        "revision": 41,
        "status": "ACTIVE",
        "compatibilities": ["EC2", "FARGATE"],
        "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
        "registeredAt": "2026-11-01T00:00:00+00:00",
        "registeredBy": "arn:aws:iam::123456789012:role/x",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {"name": "billing", "image": "repo/billing:old", "environment": [{"name": "PORT", "value": "3001"}]},
            {"name": "sidecar", "image": "sidecar:1"},
        ],
    }

    def test_only_the_named_containers_image_changes_and_read_only_fields_are_dropped(self):
        spec = ecs_deploy.new_revision_input(self.TD, "billing", "repo/billing:abc123")
        self.assertEqual(spec["containerDefinitions"][0]["image"], "repo/billing:abc123")
        self.assertEqual(spec["containerDefinitions"][0]["environment"], [{"name": "PORT", "value": "3001"}])
        self.assertEqual(spec["containerDefinitions"][1]["image"], "sidecar:1")
        for field in ecs_deploy.READ_ONLY_FIELDS:
            self.assertNotIn(field, spec)
        self.assertEqual(spec["cpu"], "256")
        self.assertEqual(self.TD["containerDefinitions"][0]["image"], "repo/billing:old")  # input untouched

    def test_an_unknown_container_is_a_clear_error(self):
        with self.assertRaisesRegex(ecs_deploy.DeployError, "container 'nope'"):
            ecs_deploy.new_revision_input(self.TD, "nope", "x")


class RegistryOf(unittest.TestCase):
    """The promotion logs in to the registry an image names; a bare name is refused, not Docker Hub."""

    def test_ecr_and_local_hosts(self):
        ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
        self.assertEqual(ecs_deploy.registry_of(f"{ecr}/odmu-staging/billing:abc"), ecr)
        self.assertEqual(ecs_deploy.registry_of("127.0.0.1:5000/odmu/billing:abc"), "127.0.0.1:5000")
        self.assertEqual(ecs_deploy.registry_of("localhost/billing:abc"), "localhost")

    def test_a_reference_without_a_registry_is_an_error(self):
        for image in ("billing:abc", "odmu-staging/billing:abc"):
            with self.assertRaisesRegex(ecs_deploy.DeployError, "names no registry host"):
                ecs_deploy.registry_of(image)


if __name__ == "__main__":
    unittest.main()
