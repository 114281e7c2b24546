"""Client addresses: X-Forwarded-For and Forwarded are believed only from trusted proxies, read from
the right, up to the first hop that is not a trusted proxy."""

from __future__ import annotations

import pytest

from dam.domain.addresses import bucket, client_address, networks
from dam.settings import SettingsError, load_settings

LOOPBACK = networks(("127.0.0.1/32", "::1/128"))
PROXIES = networks(("127.0.0.1/32", "10.0.0.0/8", "fd00::/8"))


@pytest.mark.parametrize(
    ("peer", "xff", "forwarded", "trusted", "expected"),
    [
        # From a peer that is no trusted proxy, the headers are the client's own writing: ignored.
        ("203.0.113.7", ["198.51.100.1"], [], LOOPBACK, "203.0.113.7"),
        ("203.0.113.7", [], ["for=198.51.100.1"], LOOPBACK, "203.0.113.7"),
        # From a trusted proxy, its hop is believed...
        ("127.0.0.1", ["198.51.100.1"], [], LOOPBACK, "198.51.100.1"),
        # ... and only the right-most untrusted one: what the client wrote before it is not read.
        ("127.0.0.1", ["6.6.6.6, 198.51.100.1"], [], LOOPBACK, "198.51.100.1"),
        ("127.0.0.1", ["6.6.6.6", "198.51.100.1"], [], LOOPBACK, "198.51.100.1"),  # two header lines
        # A chain of trusted proxies is walked through.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.0.0.9"], [], PROXIES, "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.0.0.9"], [], LOOPBACK, "10.0.0.2"),
        # Every hop trusted: the left-most.
        ("127.0.0.1", ["10.1.1.1, 10.0.0.9"], [], PROXIES, "10.1.1.1"),
        # No header from a trusted proxy: the proxy is the client.
        ("127.0.0.1", [], [], LOOPBACK, "127.0.0.1"),
        # Ports, brackets, IPv6, IPv4-mapped peers.
        ("127.0.0.1", ["198.51.100.1:4711"], [], LOOPBACK, "198.51.100.1"),
        ("::1", ["[2001:db8::1]:4711"], [], LOOPBACK, "2001:db8::1"),
        ("::ffff:127.0.0.1", ["2001:db8::2"], [], LOOPBACK, "2001:db8::2"),
        ("fd00::5", ["2001:db8::3"], [], PROXIES, "2001:db8::3"),
        # Forwarded (RFC 7239) when there is no X-Forwarded-For.
        ("127.0.0.1", [], ['for=6.6.6.6, for="[2001:db8::9]:80";proto=https'], LOOPBACK, "2001:db8::9"),
        ("127.0.0.1", [], ["for=198.51.100.4;by=10.0.0.1"], LOOPBACK, "198.51.100.4"),
        # X-Forwarded-For wins over Forwarded (a proxy that appends to the first passes the second on).
        ("127.0.0.1", ["198.51.100.1"], ["for=6.6.6.6"], LOOPBACK, "198.51.100.1"),
        # A hop the proxy could not name: the last address known.
        ("127.0.0.1", [], ["for=unknown"], LOOPBACK, "127.0.0.1"),
        ("127.0.0.1", ["garbage, 198.51.100.1, 10.0.0.3"], [], PROXIES, "198.51.100.1"),
        ("127.0.0.1", ["198.51.100.1, nonsense"], [], PROXIES, "127.0.0.1"),
        # A peer that is no IP address (a test client, a Unix socket) is named as it is.
        ("testclient", ["198.51.100.1"], [], LOOPBACK, "testclient"),
        (None, [], [], LOOPBACK, "unknown"),
    ],
)
def test_client_address(
    peer: str | None, xff: list[str], forwarded: list[str], trusted: tuple[object, ...], expected: str
) -> None:
    assert client_address(peer, xff, forwarded, trusted) == expected  # type: ignore[arg-type]


def test_ipv6_addresses_count_by_their_64() -> None:
    assert bucket("2001:db8:1:2:aaaa::1") == bucket("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert bucket("2001:db8:1:3::1") != bucket("2001:db8:1:2::1")
    assert bucket("198.51.100.1") == "198.51.100.1"
    assert bucket("testclient") == "testclient"


def test_trusted_proxies_are_checked_at_start_up() -> None:
    settings = load_settings({"DAM_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8"})
    assert settings.server.trusted_proxies == ("10.0.0.0/8", "fd00::/8")
    assert load_settings({}).server.trusted_proxies == ("127.0.0.1/32", "::1/128")
    with pytest.raises(SettingsError, match="DAM_TRUSTED_PROXIES"):
        load_settings({"DAM_TRUSTED_PROXIES": "10.0.0.0/8,not-a-network"})
