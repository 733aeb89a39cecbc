"""Kubernetes IP, CIDR and URL libraries (examples from the Kubernetes CEL documentation)."""

from __future__ import annotations

import pytest
from cel_expr_python import cel

from .celenv import error, evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isIP('127.0.0.1')", True),
        ("isIP('::1')", True),
        ("isIP('127.0.0.256')", False),
        ("isIP('127.0.0.01')", False),
        ("isIP('::ffff:127.0.0.1')", False),
        ("isIP('fe80::1%eth0')", False),
        ("isIP('192.168.0.1/24')", False),
        ("ip.isCanonical('127.0.0.1')", True),
        ("ip.isCanonical('2001:db8::abcd')", True),
        ("ip.isCanonical('2001:DB8::ABCD')", False),
        ("ip.isCanonical('2001:db8:0:0:0:0:0:abcd')", False),
        ("ip('127.0.0.1').family()", 4),
        ("ip('::1').family()", 6),
        ("ip('::').isUnspecified()", True),
        ("ip('0.0.0.0').isUnspecified()", True),
        ("ip('127.0.0.1').isUnspecified()", False),
        ("ip('127.0.0.1').isLoopback()", True),
        ("ip('127.255.0.1').isLoopback()", True),
        ("ip('::1').isLoopback()", True),
        ("ip('10.0.0.1').isLoopback()", False),
        ("ip('224.0.0.1').isLinkLocalMulticast()", True),
        ("ip('224.0.1.1').isLinkLocalMulticast()", False),
        ("ip('ff02::1').isLinkLocalMulticast()", True),
        ("ip('fd00::1').isLinkLocalMulticast()", False),
        ("ip('169.254.169.254').isLinkLocalUnicast()", True),
        ("ip('192.168.0.1').isLinkLocalUnicast()", False),
        ("ip('fe80::1').isLinkLocalUnicast()", True),
        ("ip('192.168.0.1').isGlobalUnicast()", True),
        ("ip('2001:db8::1').isGlobalUnicast()", True),
        ("ip('255.255.255.255').isGlobalUnicast()", False),
        ("ip('ff00::1').isGlobalUnicast()", False),
        ("ip('127.0.0.1') == ip('127.0.0.1')", True),
        ("ip('2001:db8:0::1') == ip('2001:db8::1')", True),
    ],
)
def test_ip_library(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isCIDR('192.168.0.0/24')", True),
        ("isCIDR('::1/128')", True),
        ("isCIDR('192.168.0.0/33')", False),
        ("isCIDR('192.168.0.0')", False),
        ("isCIDR('::ffff:1.2.3.4/120')", False),
        ("cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", True),
        ("cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", False),
        ("cidr('192.168.0.0/24').containsIP('192.168.0.1')", True),
        ("cidr('192.168.0.0/24').containsIP('::1')", False),
        ("cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/25'))", True),
        ("cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/23'))", False),
        ("cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", True),
        ("cidr('2001:db8::/32').containsCIDR('2001:db8::/64')", True),
        ("cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", True),
        ("cidr('192.168.0.1/24').ip().family()", 4),
        ("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", True),
        ("cidr('2001:db8::1/32').masked() == cidr('2001:db8::/32')", True),
        ("cidr('192.168.0.0/24').prefixLength()", 24),
        ("cidr('::1/128').prefixLength()", 128),
    ],
)
def test_cidr_library(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("isURL('https://example.com:80/path?query=val#fragment')", True),
        ("isURL('/absolute-path')", True),
        ("isURL('relative-path')", False),
        ("isURL('https://example.com/%zz')", False),
        ("isURL('https://example.com:port/')", False),
        ("url('https://example.com/').getScheme()", "https"),
        ("url('/path').getScheme()", ""),
        ("url('https://example.com:80/').getHost()", "example.com:80"),
        ("url('https://example.com/').getHost()", "example.com"),
        ("url('https://[::1]:80/').getHost()", "[::1]:80"),
        ("url('https://user:pw@example.com/').getHost()", "example.com"),
        ("url('https://example.com:80/').getHostname()", "example.com"),
        ("url('https://[::1]:80/').getHostname()", "::1"),
        ("url('https://example.com:80/').getPort()", "80"),
        ("url('https://example.com/').getPort()", ""),
        ("url('https://[::1]/').getPort()", ""),
        ("url('https://example.com/path').getEscapedPath()", "/path"),
        ("url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"),
        ("url('https://example.com/a%2Fb').getEscapedPath()", "/a%2Fb"),
        ("url('https://example.com/').getEscapedPath()", "/"),
        ("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()", {"k1": ["a"], "k2": ["b", "c"]}),
        ("url('https://example.com/path?key=a+b%20c').getQuery()", {"key": ["a b c"]}),
        ("url('https://example.com/').getQuery()", {}),
        ("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()['k2'][1]", "c"),
    ],
)
def test_url_library(expr: str, expected: object) -> None:
    assert evaluate(expr) == expected


def test_net_functions_on_typed_strings() -> None:
    spec = (
        cel.Type.Map(cel.Type.STRING, cel.Type.STRING),
        {"cidr": "10.0.0.0/8", "ip": "10.1.2.3", "endpoint": "https://svc.example.com:8443/x"},
    )
    assert evaluate("cidr(spec.cidr).containsIP(spec.ip)", spec=spec) is True
    assert evaluate("url(spec.endpoint).getPort()", spec=spec) == "8443"


def test_net_errors() -> None:
    assert "parse error" in error("ip('300.0.0.1')")
    assert "IPv4-mapped" in error("ip('::ffff:1.2.3.4')")
    assert "zone" in error("ip('fe80::1%eth0')")
    assert "parse error" in error("cidr('10.0.0.0/40')")
    assert "invalid URI for request" in error("url('relative')")
    assert "no such overload" in error("cidr('10.0.0.0/8').containsIP(url('/x'))")
