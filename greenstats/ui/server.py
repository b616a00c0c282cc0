"""What the web server lets out: no file without the session that asked for it.

Streamlit serves every file a page offers (a CSV, a PDF) at `/media/<id>`, an id computed from
the file's bytes, to anyone who asks, cookie or not. With sign-in on, greenstats puts
`MediaGuard` in front of it (app.py, Streamlit's `st.App` with this middleware):

- the files are made when their download button is clicked (frame.download, a callable for
  `st.download_button`'s data), so none exists before a click, and each click is audited;
- the bytes a click made are recorded as issued to that sign-in (`issue`);
- a request for `/media/…` is answered only for a sign-in cookie that is valid now (signed by
  the app's cookie secret, its claims accepted, not signed out or past its hours, with a role)
  and only with a file issued to that very sign-in; anything else is 403, and audited.

Without sign-in (the local demo, on this machine only) files are served as Streamlit serves
them.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from greenstats.data import audit, sessions
from greenstats.metrics import access, identity
from greenstats.metrics.identity import Identity

#: Streamlit's identity cookie (st.user), signed with [auth] cookie_secret.
USER_COOKIE = "_streamlit_user"
#: How many files are remembered as issued (the oldest are forgotten first).
REMEMBERED = 4096

_issued: OrderedDict[str, set[str]] = OrderedDict()
_lock = threading.Lock()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def issue(sign_in: str, data: bytes) -> None:
    """Record that these bytes were made for this sign-in (a click on its download button)."""
    key = _digest(data)
    with _lock:
        _issued.setdefault(key, set()).add(sign_in)
        _issued.move_to_end(key)
        while len(_issued) > REMEMBERED:
            _issued.popitem(last=False)


def issued_to(sign_in: str, data: bytes) -> bool:
    with _lock:
        return sign_in in _issued.get(_digest(data), ())


def _media_prefix() -> str:
    """Where Streamlit serves the files its pages offer: `/media/`, under server.baseUrlPath."""
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/media/" if base else "/media/"


def _auth() -> dict[str, Any] | None:
    """The [auth] section of the app's secrets, or None when sign-in is not set up."""
    import streamlit as st

    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all: Streamlit raises its own error
        return None
    return dict(section) if section else None


def signed_in(cookies: dict[str, str], secret: str) -> Identity | None:
    """The identity of a request's sign-in cookie if it may read the dashboard now: signed with
    `secret`, claims accepted, not ended, a role in the access file. Else None."""
    from itsdangerous import BadData, URLSafeTimedSerializer
    from streamlit.auth_util import get_cookie_with_chunks

    serializer = URLSafeTimedSerializer(secret, salt=USER_COOKIE)

    def one(name: str) -> bytes | None:
        value = cookies.get(name)
        if not value:
            return None
        try:
            return str(serializer.loads(value, max_age=31 * 86400)).encode()
        except BadData:
            return None

    raw = get_cookie_with_chunks(one, USER_COOKIE)
    if raw is None:
        return None
    try:
        claims = json.loads(raw)
        who = identity.parse(claims) if isinstance(claims, dict) else None
    except (ValueError, identity.ClaimsRefusedError):
        return None
    if who is None or not claims.get("is_logged_in"):
        return None
    try:
        if sessions.ended(who.subject, who.issued_at) is not None:
            return None
        grants = access.read_grants(access.access_path())
    except (sessions.SessionSettingError, access.AccessFileError):
        return None
    return who if grants.role_for(who) is not None else None


class MediaGuard:
    """ASGI middleware: `/media/…` only for a valid sign-in, and only the files issued to it
    (see the module's docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(_media_prefix()):
            await self.app(scope, receive, send)
            return
        auth = _auth()
        if auth is None:
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request

        who = signed_in(Request(scope).cookies, str(auth.get("cookie_secret", "")))
        if who is None:
            await _refuse(send, scope, None, "a file asked for without a valid sign-in")
            return
        held: list[dict] = []

        async def keep(message: dict) -> None:
            held.append(message)

        await self.app(scope, receive, keep)
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        status = held[0].get("status") if held else None
        headers = dict(held[0].get("headers", [])) if held else {}
        if headers.get(b"content-encoding") == b"gzip":  # Streamlit compresses a CSV
            body = gzip.decompress(body)
        if status == 200 and not issued_to(who.sign_in, body):
            await _refuse(send, scope, who, "a file not made for this sign-in")
            return
        for message in held:
            await send(message)


async def _refuse(send: Any, scope: dict, who: Identity | None, why: str) -> None:
    audit.record(
        "denied", identity=who.label if who else None, role="none",
        subject=who.subject if who else None, email=who.email if who else None,
        reason=why, asked=scope.get("path", ""),
    )  # fmt: skip
    body = b"Not found: files are given only to the signed-in session that asked for them.\n"
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
