#!/usr/bin/env python3
"""moto_server with the one piece of ECS it does not model: deployments on update-service.

moto 5 keeps a service's `deployments` list as it was at create-service, so after
update-service the PRIMARY deployment still names the old revision: to a deploy that checks
the PRIMARY deployment (as ecs_deploy.py must, to catch rollbacks), every moto deploy looks
rolled back. This wrapper patches update_service to do what ECS documents: a new PRIMARY
deployment of the new revision (COMPLETED once MOTO_ECS_SERVICE_RUNNING >= desired), the old
one dropped. With ODMU_MOTO_ROLLBACK=1 it answers like a circuit-breaker rollback instead: the
previous revision PRIMARY/COMPLETED again, ours ACTIVE/FAILED.

    MOTO_ECS_SERVICE_RUNNING=1 python3 deploy/testing/moto_ecs_server.py -H 127.0.0.1 -p PORT
Test tooling only; the deploy script itself has no emulator mode.
"""

import os
import sys

from moto.core.utils import utcnow
from moto.ecs import models
from moto.moto_api._internal import mock_random
from moto.server import main

_update_service = models.EC2ContainerServiceBackend.update_service


def update_service(self, service_properties):
    new_td = service_properties.get("task_definition")
    service = _update_service(self, service_properties)
    if not new_td or not service.deployments:
        return service
    previous = service.deployments[0]
    new_arn = self.describe_task_definition(new_td).arn
    service.task_definition = new_arn
    running = service.running_count
    ident = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    ours = dict(previous, id=ident, taskDefinition=new_arn, createdAt=utcnow(), updatedAt=utcnow(), status="PRIMARY")
    if os.environ.get("ODMU_MOTO_ROLLBACK") == "1":
        ours.update(status="ACTIVE", rolloutState="FAILED", runningCount=0,
                    rolloutStateReason="ECS deployment circuit breaker: tasks failed to start. Rolling back.")
        back = dict(previous, id=f"ecs-svc/{mock_random.randint(0, 32**12)}", status="PRIMARY",
                    rolloutState="COMPLETED", rolloutStateReason="rolled back", updatedAt=utcnow())
        service.task_definition = previous["taskDefinition"]
        service.deployments = [back, ours]
    else:
        done = running >= service.desired_count
        ours.update(rolloutState="COMPLETED" if done else "IN_PROGRESS", runningCount=running,
                    rolloutStateReason=f"ECS deployment {ident} {'completed' if done else 'in progress'}.")
        service.deployments = [ours]
    return service


models.EC2ContainerServiceBackend.update_service = update_service

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
