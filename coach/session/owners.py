"""Who owns a session: a browser's secret, a logged-in user, or the terminal.

A browser gets a random secret in an HttpOnly cookie (``COOKIE``; set by ``coach.web_guard``); the
database stores only a hash of it, so reading the database never hands out a way to act as someone.
Under ``COACH_AUTH`` the logged-in user name is the owner instead (one history per login, whichever
browser). ``coach chat`` and direct library use are ``LOCAL_OWNER``, which also owns everything stored
before owners existed.

Simplified on purpose: clearing the browser's cookies loses the way back to its sessions (they stay in
the database); there is no account system beyond COACH_AUTH.
"""

from __future__ import annotations

import hashlib
import re
import secrets

LOCAL_OWNER = "local"
COOKIE = "coach_owner"
COOKIE_MAX_AGE = 400 * 24 * 3600  # seconds: the longest lifetime browsers honour
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def valid_secret(value: str | None) -> bool:
    return bool(value) and _SECRET.fullmatch(value) is not None


def owner_for_secret(secret: str) -> str:
    return "browser:" + hashlib.sha256(secret.encode("ascii")).hexdigest()[:32]


def owner_for_user(username: str) -> str:
    return "user:" + username


def owner_of(username: str | None, cookies: dict) -> str | None:
    """The owner of a web request: the logged-in user, else the browser's cookie secret; None without either."""
    if username:
        return owner_for_user(username)
    secret = cookies.get(COOKIE)
    return owner_for_secret(secret) if valid_secret(secret) else None
