"""Fetching a short text from an artist's website without letting the address reach inside our network.

Each hop resolves the host once, vets every address it got, and connects to the vetted address itself (TLS
still checks the certificate against the host name), so a DNS server that answers differently the second
time cannot send us to an internal address. Redirects are followed by hand, each hop vetted the same way.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, NameResolutionError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as SlowAnswer

from ..services import AccountError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to, as text; injectable so tests need no DNS.
Resolver = Callable[[str, int], list[str]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet; IPv4 addresses carried inside IPv6 are judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def _refuse(message: str) -> AccountError:
    return AccountError(message, "website")


def _not_found(host: str) -> AccountError:
    return _refuse(f"We could not find {host}. Check the spelling of your website's address.")


@dataclass(frozen=True)
class WebsiteFetcher:
    """GET one short text over http(s); every failure is an AccountError worded for the artist."""

    resolver: Resolver = system_resolver
    timeout: float = 5.0
    max_bytes: int = 4096
    max_redirects: int = 3
    # Only for tests, whose websites run on 127.0.0.1; every other internal address stays refused.
    allow_loopback: bool = False
    # Certificate authorities to trust instead of the system's (tests sign their own).
    ca_certs: str | None = None

    def __call__(self, url: str) -> str:
        deadline = time.monotonic() + self.timeout
        for _ in range(self.max_redirects + 1):
            status, location, body = self._get(url, deadline)
            if status in _REDIRECTS and location:
                url = urljoin(url, location)
                continue
            if status != 200:
                raise _refuse(f"Your website answered “{status}” instead of the file.")
            return body
        raise _refuse("Your website sends us from one address to another too many times.")

    def _allowed(self, address: IPAddress) -> bool:
        if self.allow_loopback and address.is_loopback:
            return True
        return is_public(address)

    def _vet(self, host: str, port: int) -> str:
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        try:
            found = [literal] if literal else [ipaddress.ip_address(a) for a in self.resolver(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise _not_found(host) from None
        if not found:
            raise _not_found(host)
        # All of them, not just the first: the one we connect to must be one we vetted.
        if not all(self._allowed(a) for a in found):
            raise _refuse("That address is not a public website.")
        return str(found[0])

    def _get(self, url: str, deadline: float) -> tuple[int, str, str]:
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise _refuse("Give the address of your website, starting with https://.") from None
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
            raise _refuse("Give the address of your website, starting with https://.")
        address = self._vet(host, port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _refuse(f"{host} took too long to answer. Try again in a moment.")
        timeout = urllib3.Timeout(connect=remaining, read=remaining)
        pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            # Connect to the vetted address; the certificate is still checked against the host name.
            pool = urllib3.HTTPSConnectionPool(
                address, port, timeout=timeout, retries=False, cert_reqs="CERT_REQUIRED",
                server_hostname=host, assert_hostname=host, ca_certs=self.ca_certs,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        if ":" in host:
            host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
        headers = {
            "Host": host_header,
            "User-Agent": "Velvet artist verification",
            "Accept-Encoding": "identity",
        }
        try:
            with pool:
                response = pool.urlopen(
                    "GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), headers=headers,
                    redirect=False, retries=False, preload_content=False, decode_content=False,
                )
                try:
                    body = self._read(response, deadline, host)
                    return response.status, response.headers.get("Location", ""), body
                finally:
                    response.release_conn()
        except SSLError:
            raise _refuse(f"{host} did not present a valid HTTPS certificate.") from None
        except NameResolutionError:
            raise _not_found(host) from None
        except NewConnectionError:
            # urllib3 counts a refused connection as a connect timeout; the artist needs to know which.
            raise _refuse(f"We could not connect to {host}. Check that your website is online.") from None
        except (SlowAnswer, TimeoutError):
            raise _refuse(f"{host} took too long to answer. Try again in a moment.") from None
        except (HTTPError, OSError):
            raise _refuse(f"We could not connect to {host}. Check that your website is online.") from None

    def _read(self, response: urllib3.BaseHTTPResponse, deadline: float, host: str) -> str:
        """At most `max_bytes`; the rest is never read, so a huge or endless body costs nothing."""
        body = bytearray()
        while len(body) < self.max_bytes:
            if time.monotonic() > deadline:
                raise _refuse(f"{host} took too long to answer. Try again in a moment.")
            chunk = response.read(min(1024, self.max_bytes - len(body)))
            if not chunk:
                break
            body += chunk
        return body.decode("utf-8", "replace")
