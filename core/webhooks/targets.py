"""Which URLs a webhook may call: no server-side request forgery.

A target must be http(s) with a host, and every address its host resolves to must be public
(not private, loopback, link-local, multicast, reserved or unspecified) unless the setting
allows private targets. The check runs when a subscription is saved and again before every
delivery, after DNS resolution; the delivery then connects to the checked address itself, so
a name that re-resolves to an internal address in between (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Invalid):
    """The URL may not be called (422 with `field`)."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header and TLS server name)
    port: int
    address: str  # the checked address the delivery connects to


def parse(url: str, field: str = "url") -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("invalid_webhook_url", f"not a valid URL: {exc}", field=field) from exc
    if parts.scheme not in {"http", "https"}:
        raise TargetRefused("invalid_webhook_url", "a webhook URL starts with https:// or http://", field=field)
    if not parts.hostname:
        raise TargetRefused("invalid_webhook_url", "a webhook URL needs a host", field=field)
    if parts.username or parts.password:
        raise TargetRefused("invalid_webhook_url", "credentials in the URL are not allowed", field=field)
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
    )


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not "private" to Python, not public either


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


async def check(url: str, *, allow_private: bool, field: str = "url") -> Target:
    """The target to connect to, or `TargetRefused`."""
    scheme, host, port = parse(url, field)
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused("webhook_host_unresolvable", f"{host} does not resolve: {exc}", field=field) from exc
    if not addresses:
        raise TargetRefused("webhook_host_unresolvable", f"{host} does not resolve", field=field)
    if not allow_private:
        inside = [str(a) for a in addresses if not is_public(a)]
        if inside:
            raise TargetRefused(
                "webhook_target_private",
                f"{host} resolves to a private, loopback or link-local address ({', '.join(inside)}); "
                "such targets are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS is on",
                field=field,
            )
    return Target(scheme, host, port, str(addresses[0]))
