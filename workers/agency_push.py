"""Telling an agency's own system that tasks are waiting in its queue.

Most agencies work from Terpadu's inbox. One that runs a back office of its
own gives an endpoint (an admin sets it through the API); each dispatch job
then POSTs the tasks that reached that agency, as JSON signed with HMAC-SHA256
of the body under the agency's secret, in ``X-Terpadu-Signature:
sha256=<hex>``. The body names tasks and tracking numbers, never a resident's
NIK or name: the agency's system reads the rest through the API.

A push that fails (no answer, or any status but 2xx) raises, so the job fails
and its outbox rows stay undelivered; the relay sends them again. Delivery is
therefore at least once, and a receiver should treat a task id it has seen as
already received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from .models import AgencyEndpoint

logger = logging.getLogger(__name__)

# An agency system slower than this is treated as down; the push is retried.
PUSH_TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Terpadu-Signature"


class PushFailed(RuntimeError):
    """An agency's system did not take the push; its tasks go again later."""


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body`` under ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def push_tasks(endpoint: AgencyEndpoint, tasks: list[dict[str, Any]]) -> None:
    """POST ``tasks`` to the agency's endpoint; raise PushFailed unless it took them."""
    # Imported here: only processes that run jobs push, and the API's
    # processes are kept from carrying the HTTP client's memory.
    import requests

    body = json.dumps(
        {"agency": endpoint.agency_code, "tasks": tasks}, separators=(",", ":")
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(endpoint.secret, body),
    }
    try:
        answer = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=PUSH_TIMEOUT_SECONDS,
            # A redirect would resend the signed body somewhere not chosen.
            allow_redirects=False,
        )
    except requests.RequestException as failure:
        raise PushFailed(
            f"{endpoint.agency_code} did not answer: {type(failure).__name__}"
        ) from failure

    if not 200 <= answer.status_code < 300:
        raise PushFailed(f"{endpoint.agency_code} answered {answer.status_code}")
    logger.info(
        "tasks pushed to agency system",
        extra={"agency": endpoint.agency_code, "tasks": len(tasks)},
    )
