"""The task queue both sides share: the Celery application, and the message of one operation.

The API (or CLI) sends, `archipel worker` runs; both build the same application from the
settings, so they agree on the broker, the queue and the one task name. A message names the
operation, the service whose `run` advances it, and that method's arguments (JSON, see
`archipel.tasks.payload`): a worker rebuilds the service on its own platform, never code
that came in the message.

Delivery is at most once on purpose (acknowledged when a worker takes it, prefetch 1): a
worker killed mid-ingest must not have the message redelivered onto a half-written
operation. Its host's next worker start rolls the operation back (FATAL, logged), exactly as
for the in-process runner, and the depositor sends the SIP again.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from celery import Celery

from archipel.core.settings import Settings
from archipel.tasks.payload import PACKAGE, PayloadError, decode, encode
from archipel.tasks.runner import Job

TASK_NAME = "archipel.run_operation"
RUN_METHOD = "run"
"""The one method a message may call: every background service advances its operation with it."""
QUEUED = "queued:"
"""Prefix of the runner's name an operation bears while its message waits in the broker."""


def celery_app(settings: Settings) -> Celery:
    """The application of this instance's queue, configured from its settings alone."""
    if settings.broker_url is None:
        raise PayloadError("the Celery task runner needs a broker_url")
    app = Celery("archipel", broker=settings.broker_url.get_secret_value(), set_as_current=False)
    app.conf.update(
        task_default_queue=settings.task_queue,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=10,
        worker_hijack_root_logger=False,
        broker_transport_options={"max_retries": 3, "interval_start": 0, "interval_step": 1},
    )
    return app


def job_message(job: Job, work: Callable[..., Any], args: tuple[Any, ...]) -> dict[str, Any]:
    """What crosses the broker for `work(*args)`: `work` must be the `run` of an Archipel service."""
    owner = getattr(work, "__self__", None)
    if owner is None or getattr(work, "__name__", None) != RUN_METHOD:
        raise PayloadError(f"{job}: only a service's `run` method can be sent to a worker, not {work!r}")
    service = f"{type(owner).__module__}:{type(owner).__qualname__}"
    if not service.startswith(PACKAGE):
        raise PayloadError(f"{job}: {service} is not an Archipel service")
    return {
        "tenant": job.tenant,
        "operation_id": job.operation_id,
        "label": job.label,
        "service": service,
        "args": encode(list(args)),
    }


def message_job(message: dict[str, Any]) -> Job:
    return Job(int(message["tenant"]), str(message["operation_id"]), str(message["label"]))


def message_call(message: dict[str, Any], platform: object) -> tuple[Callable[..., Any], list[Any]]:
    """The `run` method of the service the message names, built on `platform`, and its arguments."""
    module_name, _, qualname = str(message["service"]).partition(":")
    if not module_name.startswith(PACKAGE) or not qualname or "." in qualname:
        raise PayloadError(f"a task message names an unknown service {message['service']!r}")
    try:
        service_class = getattr(importlib.import_module(module_name), qualname)
    except (ImportError, AttributeError) as error:
        raise PayloadError(
            f"a task message names a service that does not exist: {message['service']}"
        ) from error
    if not isinstance(service_class, type) or not callable(getattr(service_class, RUN_METHOD, None)):
        raise PayloadError(f"{message['service']} is not a service with a `run` method")
    return getattr(service_class(platform), RUN_METHOD), decode(message["args"])
