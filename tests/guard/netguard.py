"""A socket guard for the tests: connections (and name look-ups) go to loopback only.

Installed in the test process by conftest.py and in its Python subprocesses
through tests/guard/sitecustomize.py, so a test that reaches the network fails
with a clear error instead of depending on it.
"""

import ipaddress
import socket

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(OSError):
    pass


def is_loopback(host) -> bool:
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def check(family, address) -> None:
    if family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
        raise NetworkBlocked(f"tests may only connect to loopback, not {address!r}")


def install() -> None:
    if getattr(socket, "_muselab_guard", False):
        return
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def guarded_connect(self, address):
        check(self.family, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        check(self.family, address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_loopback(host if not isinstance(host, bytes) else host.decode()):
            raise NetworkBlocked(f"tests may only look up loopback names, not {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
    socket.getaddrinfo = guarded_getaddrinfo
    socket._muselab_guard = True
