"""Where an agency's tasks may be pushed: never to this host or the cloud's insides.

An admin gives each agency's endpoint, so a stolen admin token must not turn
the workers into a way to reach what only the server can reach: services on
loopback, the cloud's metadata service on a link-local address, addresses
that route nowhere. Those are refused unless the operator lists their network
in AGENCY_ENDPOINT_ALLOWED_NETWORKS (for example 127.0.0.0/8 for a test
system on the same host). Private networks are allowed: agencies' own
systems sit on the regency's intranet.

The check resolves the host name just before each push. The HTTP client
resolves it again to connect, so a name whose DNS answer changes between the
two (DNS rebinding) is not caught; pinning the connection to the checked
address would close that.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .outbound import OutboundFailed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(OutboundFailed):
    """The endpoint's address is one an agency's system cannot have."""


class BadAllowedNetworks(ValueError):
    """AGENCY_ENDPOINT_ALLOWED_NETWORKS holds something that is not a network."""


def allowed_networks(config: Mapping[str, Any]) -> tuple[Network, ...]:
    """The networks of the app's AGENCY_ENDPOINT_ALLOWED_NETWORKS, each checked."""
    networks = []
    for value in config["AGENCY_ENDPOINT_ALLOWED_NETWORKS"]:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise BadAllowedNetworks(
                f"AGENCY_ENDPOINT_ALLOWED_NETWORKS: {value!r} is not a network "
                "(give one like 10.20.0.0/16)"
            ) from None
    return tuple(networks)


def why_refused(address: Address, allowed: Iterable[Network]) -> str | None:
    """Why ``address`` cannot be an agency's system, or None if it can."""
    if any(address in network for network in allowed):
        return None
    if address.is_loopback:
        return "a loopback address (this host)"
    if address.is_link_local:
        return "a link-local address (the cloud's metadata service lives there)"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "not the address of a host"
    return None


def literal_refusal(url: str, allowed: Iterable[Network]) -> str | None:
    """Why a URL that names its host by address is refused; None for a name."""
    try:
        address = ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return None

    reason = why_refused(address, allowed)
    return None if reason is None else f"{address} is {reason}"


def check(url: str, allowed: Iterable[Network]) -> None:
    """Raise DestinationRefused if ``url``'s host resolves to a refused address."""
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as failure:
        raise OutboundFailed(f"{url}: {host} cannot be resolved") from failure

    for *_, socket_address in found:
        # An IPv6 address may carry its interface as "%eth0".
        address = ipaddress.ip_address(socket_address[0].split("%")[0])
        reason = why_refused(address, allowed)
        if reason is not None:
            raise DestinationRefused(
                f"{url}: {host} is {address}, {reason}; list its network in "
                "AGENCY_ENDPOINT_ALLOWED_NETWORKS to allow it"
            )
