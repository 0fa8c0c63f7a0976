"""The web server's front door (an ASGI middleware around the Gradio app): the Host check and the
browser's owner cookie. Framework-free, so it is tested with plain HTTP.

1. DNS rebinding: a page on another site can make the browser send requests to 127.0.0.1 under the
   attacker's host name. Every request whose ``Host`` is not a name this server answers to (the bound
   host, ``localhost``, the loopback addresses, and for a wildcard bind the machine's own names and
   addresses, plus ``COACH_ALLOWED_HOSTS``) is refused with 400 before it reaches the app.
2. Cross-site requests: a page on another site can make the browser POST a file upload to the server (a form
   needs no CORS preflight; a security review stored 64 MiB in Gradio's temp folder so). A request that can change
   something (any method but GET, HEAD, OPTIONS) or opens a websocket, and carries an ``Origin`` that is not this
   page's own (scheme's host and port equal to the request's ``Host``), nor a name in ``COACH_ALLOWED_HOSTS`` (a
   reverse proxy's public name), is refused with 403; so is the opaque ``null``. Requests without ``Origin`` (API
   clients, ``curl``) pass.
3. Identity: a request without a valid owner cookie gets a new random secret (``coach.session.owners``),
   set as an HttpOnly, SameSite=Lax cookie on the response and also added to the request itself, so the
   very first call of an API client already has an owner. A valid cookie is never replaced.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from coach.session.owners import COOKIE, COOKIE_MAX_AGE, new_secret, valid_secret

log = logging.getLogger(__name__)

WILDCARDS = {"", "0.0.0.0", "::"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def listed_hosts(extra: str) -> set[str]:
    """``COACH_ALLOWED_HOSTS`` ("coach.example.com, [::2]") as host names: lower case, no brackets."""
    return {h.strip().strip("[]").lower() for h in extra.split(",") if h.strip()}


def allowed_hosts(bound: str, extra: str = "") -> set[str]:
    """Host names (lower case, no port, no brackets) the server answers to when bound to ``bound``."""
    names = {"localhost", "127.0.0.1", "::1", bound.strip("[]").lower()} | listed_hosts(extra)
    if bound in WILDCARDS:  # reachable under any of the machine's own names and addresses
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        try:
            import psutil

            names |= {a.address.split("%")[0].lower() for addrs in psutil.net_if_addrs().values() for a in addrs
                      if a.family in (socket.AF_INET, socket.AF_INET6)}
        except Exception as exc:  # noqa: BLE001 - without the interface list, only the names above are allowed
            log.warning("cannot list the network addresses (%s): add them to COACH_ALLOWED_HOSTS", exc)
    return names - {""}


def host_name(header: str) -> str:
    """``"[::1]:7860"`` -> ``"::1"``, ``"LocalHost:80"`` -> ``"localhost"``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    try:
        ipaddress.IPv6Address(header)
        return header  # a bare IPv6 address (no port possible without brackets)
    except ValueError:
        return header.rsplit(":", 1)[0] if ":" in header else header


def host_port(header: str, default: int | None) -> int | None:
    """``"127.0.0.1:7860"`` -> 7860, ``"[::1]:80"`` -> 80, ``"localhost"`` -> ``default``."""
    header = header.strip()
    tail = header[header.find("]") + 1:] if header.startswith("[") else header if header.count(":") == 1 else ""
    port = tail.rsplit(":", 1)[1] if ":" in tail else ""
    return int(port) if port.isdigit() else default


def _cookie_secret(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header is just no identity
                continue
            if COOKIE in jar and valid_secret(jar[COOKIE].value):
                return jar[COOKIE].value
    return None


class WebGuard:
    """ASGI middleware: ``WebGuard(app, allowed={"localhost", ...})``."""

    def __init__(self, app, allowed: set[str], origins: set[str] | frozenset[str] = frozenset()):
        self.app = app
        self.allowed = {h.lower() for h in allowed}
        self.origins = {h.lower() for h in origins}  # COACH_ALLOWED_HOSTS: names a page may come from on any port

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = list(scope.get("headers") or [])
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), "")
        if host_name(host) not in self.allowed:
            log.warning("refused a request for host %r (allowed: %s)", host, ", ".join(sorted(self.allowed)))
            return await self._refuse(scope, send)
        if not self._same_site(scope, headers, host):
            log.warning("refused a cross-site %s request from origin %r", scope.get("method", "websocket"),
                        next((v.decode("latin-1") for k, v in headers if k == b"origin"), ""))
            return await self._refuse(scope, send, 403, b"Forbidden: a request from another site (Origin check). Behind a "
                                      b"reverse proxy, add its public host name to COACH_ALLOWED_HOSTS.\n")
        if _cookie_secret(headers) is not None:
            return await self.app(scope, receive, send)
        secret = new_secret()
        others = [v for k, v in headers if k == b"cookie"]
        cookie = b"; ".join([*others, f"{COOKIE}={secret}".encode()])
        scope = {**scope, "headers": [(k, v) for k, v in headers if k != b"cookie"] + [(b"cookie", cookie)]}
        set_cookie = f"{COOKIE}={secret}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; SameSite=Lax".encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", set_cookie)]}
            await send(message)

        return await self.app(scope, receive, send_with_cookie)

    def _same_site(self, scope, headers, host: str) -> bool:
        """False for a state-changing request or a websocket whose ``Origin`` is another site's (or ``null``)."""
        if scope["type"] == "http" and scope.get("method", "GET").upper() in SAFE_METHODS:
            return True
        origin = next((v.decode("latin-1") for k, v in headers if k == b"origin"), None)
        if origin is None:
            return True
        if origin.strip().lower() == "null":
            return False
        try:
            parts = urlsplit(origin.strip())
            theirs = (parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme.lower()))
        except ValueError:  # a malformed Origin ("http://x:port")
            return False
        if theirs[0] in self.origins:
            return True
        default = DEFAULT_PORTS.get(str(scope.get("scheme", "http")).replace("ws", "http"))
        return theirs == (host_name(host), host_port(host, default))

    @staticmethod
    async def _refuse(scope, send, status: int = 400,
                      body: bytes = b"Bad Request: this server does not answer to that Host header (DNS rebinding protection).\n"):
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
