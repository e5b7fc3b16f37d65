"""Connectors that service tasks call, registered in code by name.

A diagram's service task names its connector (``registry.check_nik``) and
parameters; the worker looks the name up here and calls it with the
evaluated parameters. A connector returns a dict, merged into the process
data when the task completes, or raises :class:`ConnectorError`.

The three built-in connectors are deterministic fakes that stand in for the
population registry, the bank and other agencies until their real adapters
exist: they never touch the network.

Modules named in ``TERPADU_CONNECTOR_MODULES`` (comma-separated) are imported
on first lookup, so a deployment or a test can add connectors of its own.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Connector = Callable[..., dict[str, Any]]

_CONNECTORS: dict[str, Connector] = {}
_plugins_loaded = False


class ConnectorError(Exception):
    """A connector failed; ``retryable`` says whether calling again can help."""

    def __init__(self, connector: str, message: str, *, retryable: bool = True):
        self.connector = connector
        self.retryable = retryable
        super().__init__(f"{connector}: {message}")


class UnknownConnector(ConnectorError):
    def __init__(self, connector: str):
        super().__init__(
            connector, "no connector of this name is registered", retryable=False
        )


def connector(name: str) -> Callable[[Connector], Connector]:
    """Register the decorated function as the connector ``name``."""

    def register(function: Connector) -> Connector:
        if _CONNECTORS.get(name, function) is not function:
            raise ValueError(f"connector {name!r} is already registered")
        _CONNECTORS[name] = function
        return function

    return register


def lookup(name: str) -> Connector:
    _load_plugins()
    found = _CONNECTORS.get(name)
    if found is None:
        raise UnknownConnector(name)
    return found


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return

    _plugins_loaded = True
    for module in filter(
        None, os.environ.get("TERPADU_CONNECTOR_MODULES", "").split(",")
    ):
        importlib.import_module(module.strip())
        logger.info("connector module loaded", extra={"connector_module": module})


def _digest(*parts: Any) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


@connector("registry.check_nik")
def check_nik(nik: str, **_: Any) -> dict[str, Any]:
    """Fake population-registry check: a well-formed NIK is found, others not."""
    nik = str(nik)
    found = len(nik) == 16 and nik.isdigit()
    return {"nik_found": found, "nik_masked": nik[:6] + "******" + nik[-4:]}


@connector("bank.confirm_payment")
def confirm_payment(reference: str, amount: float = 0, **_: Any) -> dict[str, Any]:
    """Fake bank confirmation: every positive payment is confirmed."""
    if not reference:
        raise ConnectorError(
            "bank.confirm_payment", "no payment reference", retryable=False
        )
    return {
        "payment_confirmed": float(amount) > 0,
        "bank_receipt": "BRK-" + _digest(reference, amount)[:10].upper(),
    }


@connector("agency.request_certificate")
def request_certificate(agency: str, subject: str, **_: Any) -> dict[str, Any]:
    """Fake certificate request to another agency: issued with a stable number."""
    return {"certificate_number": f"{agency}-{_digest(agency, subject)[:8].upper()}"}
