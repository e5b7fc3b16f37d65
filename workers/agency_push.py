"""Telling an agency's own system that tasks are waiting in its queue.

Most agencies work from Terpadu's inbox. One that runs a back office of its
own gives an endpoint (an admin sets it through the API); each dispatch job
then POSTs the tasks that reached that agency, as JSON signed with HMAC-SHA256
of the body under the agency's secret (stored sealed, see sealing), in
``X-Terpadu-Signature: sha256=<hex>``. The body names tasks and tracking
numbers, never a resident's NIK or name: the agency's system reads the rest
through the API.

A push that fails (see outbound) raises, so the job fails
and its outbox rows stay undelivered; the relay sends them again. Delivery is
therefore at least once, and a receiver should treat a task id it has seen as
already received.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from typing import Any

from . import destinations, outbound
from .models import AgencyEndpoint
from .sealing import SecretBox, SecretUnreadable

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Terpadu-Signature"


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header for ``body`` under ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def push_tasks(
    endpoint: AgencyEndpoint,
    tasks: list[dict[str, Any]],
    secrets: SecretBox,
    allowed: Iterable[destinations.Network] = (),
) -> None:
    """POST ``tasks`` to the agency's endpoint; OutboundFailed unless it took them.

    DestinationRefused if the endpoint's host is an address no agency's system
    has (see destinations) outside the ``allowed`` networks. SecretUnreadable,
    naming the agency, if no key in ``secrets`` opens its secret: the push is
    not sent unsigned.
    """
    destinations.check(endpoint.url, allowed)
    try:
        secret = secrets.open(endpoint.sealed_secret)
    except SecretUnreadable as unreadable:
        raise SecretUnreadable(f"agency {endpoint.agency_code}: {unreadable}") from None

    body = json.dumps(
        {"agency": endpoint.agency_code, "tasks": tasks}, separators=(",", ":")
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
    }
    outbound.post(endpoint.url, body=body, headers=headers)
    logger.info(
        "tasks pushed to agency system",
        extra={"agency": endpoint.agency_code, "tasks": len(tasks)},
    )
