"""Client addresses: who is on the other end of a request, as the rate limits, principals and the
audit log all see it.

The peer of the TCP connection is the client, unless it is one of the trusted proxies
(``DAM_TRUSTED_PROXIES``): then the hops it reports (``X-Forwarded-For``, else ``Forwarded``) are
read from the right, each trusted proxy's report believed in turn, and the first hop that is not a
trusted proxy is the client. Anything the client wrote itself sits left of that hop and is never
read; hops from a peer that is not trusted are ignored altogether.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 32  # hops read at most, from the right: a longer chain is a client's own writing


@functools.cache
def networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """The networks of ``DAM_TRUSTED_PROXIES`` (ValueError names a bad one)."""
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{cidr!r} is not an IP network") from None
    return tuple(found)


def parse_ip(value: str | None) -> Address | None:
    """An address as a peer or a hop writes it: ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]:80``,
    quoted or not; IPv4-mapped IPv6 is the IPv4 address. None for anything else (``unknown``,
    ``_hidden``, a name)."""
    if not value:
        return None
    text = value.strip().strip('"').strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_for(values: Iterable[str]) -> list[str]:
    """The ``for=`` of each element of ``Forwarded`` headers (RFC 7239), in order."""
    hops = []
    for value in values:
        for element in value.split(","):
            for pair in element.split(";"):
                name, _, hop = pair.partition("=")
                if name.strip().lower() == "for":
                    hops.append(hop.strip())
    return hops


def x_forwarded_for(values: Iterable[str]) -> list[str]:
    """The hops of ``X-Forwarded-For`` headers, in order (several headers are one list)."""
    return [hop.strip() for value in values for hop in value.split(",") if hop.strip()]


def client_address(
    peer: str | None, x_forwarded: Sequence[str], forwarded: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The client's address (see the module's docstring); the peer's own text when it is no IP
    address (a test client, a Unix socket)."""
    current = parse_ip(peer)
    if current is None:
        return (peer or "unknown")[:64]
    if not _trusted(current, trusted):
        return str(current)
    # X-Forwarded-For first: the header every common proxy appends to (nginx passes a client's own
    # Forwarded header through untouched, so reading that first would believe the client).
    hops = x_forwarded_for(x_forwarded) if x_forwarded else forwarded_for(forwarded)
    for hop in reversed(hops[-MAX_HOPS:]):
        address = parse_ip(hop)
        if address is None:  # a hop a trusted proxy could not name: the last one it could
            return str(current)
        current = address
        if not _trusted(address, trusted):
            return str(address)
    return str(current)  # every hop a trusted proxy: the left-most one


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted if network.version == address.version)


def bucket(address: str) -> str:
    """What a per-address limit counts: an IPv6 address by its /64 (one site or household holds a
    whole /64 and picks addresses in it at will), anything else as it is."""
    found = parse_ip(address)
    if isinstance(found, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((found, 64), strict=False))
    return str(found) if found is not None else address[:64]
