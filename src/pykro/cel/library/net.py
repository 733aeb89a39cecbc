"""Kubernetes IP, CIDR and URL libraries, following Go's `net/netip` and `net/url` semantics.

IP and CIDR values are carried as `{"@kro.ip": "<canonical address>"}` and
`{"@kro.cidr": "<address>/<bits>"}`, URLs as `{"@kro.url": "<original text>"}` (see `_opaque`).
`string(ip)`/`string(cidr)` are not offered: cel-expr-python cannot add overloads to `string`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from pykro.cel.library import _opaque
from pykro.cel.library._base import Fn, LibraryError, T, fn, member, validator

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_MAX_TEXT = 8 * 1024


# --- IP ---------------------------------------------------------------------------------------


def parse_ip(text: str) -> Address:
    if "%" in text:
        raise LibraryError(f"IP address with zone value is not allowed: {text!r}")
    if len(text) > 64:
        raise LibraryError(f"IP Address {text!r} parse error: too long")
    try:
        address = ipaddress.ip_address(text)
    except ValueError as err:
        raise LibraryError(f"IP Address {text!r} parse error during conversion from string: {err}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise LibraryError(f"IPv4-mapped IPv6 address {text!r} is not allowed")
    return address


def _ip_value(value: Any, function: str) -> Address:
    return parse_ip(_opaque.unwrap("ip", value, function))


_is_ip = validator(parse_ip)


def _is_link_local_multicast(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return address in ipaddress.IPv4Network("224.0.0.0/24")
    return (int(address) >> 112) & 0xFF0F == 0xFF02


def _is_global_unicast(address: Address) -> bool:
    # Go's definition: anything but unspecified, loopback, multicast, link-local, IPv4 broadcast.
    if isinstance(address, ipaddress.IPv4Address) and address == ipaddress.IPv4Address("255.255.255.255"):
        return False
    return not (
        address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local
    )


def _ip_check(function: str, check: Any) -> Any:
    return lambda value: bool(check(_ip_value(value, function)))


# --- CIDR -------------------------------------------------------------------------------------

_PREFIX_BITS = re.compile(r"^[0-9]{1,3}$")


def parse_cidr(text: str) -> tuple[Address, int]:
    address_text, sep, bits_text = text.partition("/")
    if not sep or not _PREFIX_BITS.match(bits_text):
        raise LibraryError(
            f"network address parse error during conversion from string: invalid prefix {text!r}"
        )
    address = parse_ip(address_text)
    bits = int(bits_text)
    if bits > address.max_prefixlen:
        raise LibraryError(
            f"network address parse error during conversion from string: "
            f"prefix length {bits} too large for {text!r}"
        )
    return address, bits


def _network(address: Address, bits: int) -> Network:
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def _cidr_text(address: Address, bits: int) -> str:
    return f"{address}/{bits}"


def _cidr_value(value: Any, function: str) -> tuple[Address, int]:
    return parse_cidr(_opaque.unwrap("cidr", value, function))


_is_cidr = validator(parse_cidr)


def _contains_ip(cidr: Any, other: Any) -> bool:
    address, bits = _cidr_value(cidr, "containsIP")
    target = parse_ip(other) if isinstance(other, str) else _ip_value(other, "containsIP")
    return target.version == address.version and target in _network(address, bits)


def _contains_cidr(cidr: Any, other: Any) -> bool:
    address, bits = _cidr_value(cidr, "containsCIDR")
    other_address, other_bits = (
        parse_cidr(other) if isinstance(other, str) else _cidr_value(other, "containsCIDR")
    )
    if other_address.version != address.version or other_bits < bits:
        return False
    return other_address in _network(address, bits)


def _masked(cidr: Any) -> dict[str, str]:
    address, bits = _cidr_value(cidr, "masked")
    return _opaque.wrap("cidr", _cidr_text(_network(address, bits).network_address, bits))


# --- URL --------------------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PATH_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@\[\]/]|%[0-9A-Fa-f]{2})*$")


def parse_url(text: str) -> str:
    """Validate like Go's url.ParseRequestURI (absolute URI or absolute path)."""
    if len(text) > _MAX_TEXT:
        raise LibraryError("URL parse error: URL too long")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise LibraryError(
            f"URL parse error during conversion from string: {text!r}: invalid control character in URL"
        )
    if not _SCHEME.match(text) and not text.startswith("/"):
        raise LibraryError(
            f"URL parse error during conversion from string: parse {text!r}: invalid URI for request"
        )
    if _BAD_ESCAPE.search(text):
        raise LibraryError(
            f"URL parse error during conversion from string: parse {text!r}: invalid URL escape"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - validates the port
    except ValueError as err:
        raise LibraryError(f"URL parse error during conversion from string: parse {text!r}: {err}") from None
    if " " in parts.netloc:
        raise LibraryError(
            f'URL parse error during conversion from string: parse {text!r}: invalid character " " in host '
            "name"
        )
    return text


def _url(value: Any, function: str) -> Any:
    return urlsplit(_opaque.unwrap("url", value, function))


def _host(value: Any) -> str:
    return str(_url(value, "getHost").netloc.rpartition("@")[2])


def _hostname(value: Any) -> str:
    host = _host(value)
    if host.startswith("["):
        return host[1 : host.index("]")] if "]" in host else host[1:]
    return host.rpartition(":")[0] if ":" in host else host


def _port(value: Any) -> str:
    host = _host(value)
    tail = host[host.index("]") + 1 :] if host.startswith("[") and "]" in host else host
    return tail.rpartition(":")[2] if ":" in tail else ""


def _escaped_path(value: Any) -> str:
    raw = str(_url(value, "getEscapedPath").path)
    if _PATH_CHARS.match(raw):
        return raw
    return quote(unquote(raw), safe="$&+,/:;=@")


def _query(value: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, item in parse_qsl(str(_url(value, "getQuery").query), keep_blank_values=True):
        result.setdefault(key, []).append(item)
    return result


_is_url = validator(parse_url)


def functions() -> list[Fn]:
    V, S, B, INT = _opaque.OPAQUE_TYPE, T.STRING, T.BOOL, T.INT
    return [
        *fn("ip", "kro_ip_string", V, [S], lambda s: _opaque.wrap("ip", str(parse_ip(s)))),
        *fn("isIP", "kro_is_ip_string", B, [S], _is_ip),
        *fn("ip.isCanonical", "kro_ip_is_canonical_string", B, [S], lambda s: str(parse_ip(s)) == s),
        *member("family", "kro_ip_family", INT, [V], lambda v: _ip_value(v, "family").version),
        *member(
            "isUnspecified",
            "kro_ip_is_unspecified",
            B,
            [V],
            _ip_check("isUnspecified", lambda a: a.is_unspecified),
        ),
        *member("isLoopback", "kro_ip_is_loopback", B, [V], _ip_check("isLoopback", lambda a: a.is_loopback)),
        *member(
            "isLinkLocalMulticast",
            "kro_ip_is_link_local_multicast",
            B,
            [V],
            _ip_check("isLinkLocalMulticast", _is_link_local_multicast),
        ),
        *member(
            "isLinkLocalUnicast",
            "kro_ip_is_link_local_unicast",
            B,
            [V],
            _ip_check("isLinkLocalUnicast", lambda a: a.is_link_local),
        ),
        *member(
            "isGlobalUnicast",
            "kro_ip_is_global_unicast",
            B,
            [V],
            _ip_check("isGlobalUnicast", _is_global_unicast),
        ),
        *fn("cidr", "kro_cidr_string", V, [S], lambda s: _opaque.wrap("cidr", _cidr_text(*parse_cidr(s)))),
        *fn("isCIDR", "kro_is_cidr_string", B, [S], _is_cidr),
        *member("containsIP", "kro_cidr_contains_ip_string", B, [V, S], _contains_ip),
        *member("containsIP", "kro_cidr_contains_ip_ip", B, [V, V], _contains_ip),
        *member("containsCIDR", "kro_cidr_contains_cidr_string", B, [V, S], _contains_cidr),
        *member("containsCIDR", "kro_cidr_contains_cidr_cidr", B, [V, V], _contains_cidr),
        *member("ip", "kro_cidr_ip", V, [V], lambda v: _opaque.wrap("ip", str(_cidr_value(v, "ip")[0]))),
        *member("masked", "kro_cidr_masked", V, [V], _masked),
        *member(
            "prefixLength", "kro_cidr_prefix_length", INT, [V], lambda v: _cidr_value(v, "prefixLength")[1]
        ),
        *fn("url", "kro_url_string", V, [S], lambda s: _opaque.wrap("url", parse_url(s))),
        *fn("isURL", "kro_is_url_string", B, [S], _is_url),
        *member("getScheme", "kro_url_get_scheme", S, [V], lambda v: str(_url(v, "getScheme").scheme)),
        *member("getHost", "kro_url_get_host", S, [V], _host),
        *member("getHostname", "kro_url_get_hostname", S, [V], _hostname),
        *member("getPort", "kro_url_get_port", S, [V], _port),
        *member("getEscapedPath", "kro_url_get_escaped_path", S, [V], _escaped_path),
        *member("getQuery", "kro_url_get_query", T.Map(S, T.List(S)), [V], _query),
    ]
