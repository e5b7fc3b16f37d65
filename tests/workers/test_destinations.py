"""Agency endpoints never reach this host or the cloud's insides unless allowed."""

from __future__ import annotations

import ipaddress

import pytest

from workers.destinations import (
    BadAllowedNetworks,
    DestinationRefused,
    allowed_networks,
    check,
    literal_refusal,
    why_refused,
)
from workers.outbound import OutboundFailed


def _allowing(*networks: str):
    return allowed_networks({"AGENCY_ENDPOINT_ALLOWED_NETWORKS": networks})


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "not the address of a host"),
        ("224.0.0.1", "not the address of a host"),
        ("10.20.30.40", None),  # the regency's intranet
        ("192.168.1.5", None),
        ("103.10.20.30", None),
    ],
)
def test_which_addresses_no_agency_system_has(address, refused):
    reason = why_refused(ipaddress.ip_address(address), ())

    if refused is None:
        assert reason is None
    else:
        assert refused in reason


def test_an_allowed_network_lets_its_addresses_through():
    allowed = _allowing("127.0.0.0/8", "fd00::/8")

    assert why_refused(ipaddress.ip_address("127.0.0.1"), allowed) is None
    assert why_refused(ipaddress.ip_address("169.254.169.254"), allowed) is not None


def test_a_value_that_is_not_a_network_is_named():
    with pytest.raises(BadAllowedNetworks, match="'intranet' is not a network"):
        _allowing("10.0.0.0/8", "intranet")


def test_an_address_in_the_url_is_judged_without_resolving():
    refused = literal_refusal("http://169.254.169.254/latest/meta-data", ())

    assert refused.startswith("169.254.169.254 is a link-local address")
    assert literal_refusal("https://[::1]:8443/push", ()).startswith(
        "::1 is a loopback"
    )
    assert literal_refusal("https://simpus.dinkes.example/terpadu", ()) is None
    assert literal_refusal("https://10.20.30.40/terpadu", ()) is None


def test_a_host_name_is_judged_by_what_it_resolves_to():
    with pytest.raises(DestinationRefused, match="localhost is 127.0.0.1, a loopback"):
        check("http://localhost:8080/terpadu", ())
    with pytest.raises(DestinationRefused, match="AGENCY_ENDPOINT_ALLOWED_NETWORKS"):
        check("http://localhost:8080/terpadu", ())

    check("http://localhost:8080/terpadu", _allowing("127.0.0.0/8"))


def test_a_host_that_does_not_resolve_fails_the_push_for_a_later_try():
    with pytest.raises(OutboundFailed, match="cannot be resolved") as failed:
        check("https://simpus.invalid/terpadu", ())

    assert not isinstance(failed.value, DestinationRefused)
