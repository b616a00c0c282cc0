"""A real OpenID Connect sign-in for the end-to-end tests: Streamlit's st.login against
oidc-provider-mock on loopback, driven in Chromium.

- `start_provider()` runs the mock (`serve()` below, in a process group of its own) on a free
  loopback port and yields its issuer URL. The mock accepts any client id and secret (no
  registration), asks for no PKCE (its metadata lists no code_challenge_methods_supported, so
  Streamlit sends none) and signs ID tokens with RS256.
- `auth_secrets()` writes the secrets.toml that points Streamlit at it. Streamlit reads it when
  started with `STREAMLIT_SECRETS_FILES=<path>` in its environment (the `secrets.files` option;
  it replaces the default ~/.streamlit/secrets.toml and .streamlit/secrets.toml).
- `sign_in()` and `sign_out()` do what a reader does: the app's button, the mock's form, and
  back to the app. The mock's form asks only for the subject; the other claims are set before
  (`set_user`, the mock's PUT /users/<sub>).

The mock is served by `serve()` below (`python -m tests.e2e.oidc PORT`), not by its CLI: its pages
link a stylesheet on cdn.jsdelivr.net, which serve() leaves out, and it answers /favicon.ico, so
the browser asks nothing of the internet and logs no error (harness.check_own_host_only and
check_console hold, with the issuer in Watch.also). Routing in the browser cannot do this:
Playwright does not route the hops of a redirect, and Streamlit reaches the mock's pages by
redirects (/auth/login, /auth/logout).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from itsdangerous import URLSafeTimedSerializer
from playwright.sync_api import BrowserContext, Page

from tests.e2e import harness

CLIENT_ID = "greenstats-e2e"
USER_COOKIE = "_streamlit_user"  # Streamlit's identity cookie (st.user), signed, not encrypted
FLOW_TIMEOUT_MS = 30_000
_CDN_LINK = re.compile(r"<link[^>]*https://cdn\.jsdelivr\.net/[^>]*>")


# --- the provider -----------------------------------------------------------------------------


@contextmanager
def start_provider(timeout: float = 30) -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1 at a free port, for the block; yields its issuer URL
    (`http://127.0.0.1:PORT`). A failure in the block gets the end of the mock's log as a note."""
    port = harness.free_port()
    issuer = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkstemp(prefix="oidc-provider-", suffix=".log")[1])
    command = [sys.executable, "-m", "tests.e2e.oidc", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=harness.ROOT,
            env={**os.environ, "AUTHLIB_INSECURE_TRANSPORT": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_metadata(issuer, proc, timeout)
        yield issuer
    except Exception as exc:
        exc.add_note(f"oidc-provider-mock log ({log}):\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        harness._stop(proc)


def _wait_for_metadata(issuer: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"oidc-provider-mock exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(metadata_url(issuer), timeout=2) as r:
                found = json.load(r)["issuer"]
                assert found == issuer, f"the mock calls itself {found!r}, not {issuer!r}"
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(f"oidc-provider-mock did not answer at {issuer} in {timeout}s")


def metadata_url(issuer: str) -> str:
    return f"{issuer}/.well-known/openid-configuration"


def set_user(issuer: str, subject: str, **claims: object) -> None:
    """The claims the mock puts in the ID token for `subject` (besides sub, iss, aud, exp, iat,
    auth_time, nonce, at_hash). Replaces what was set before. A subject never set gets only
    {"email": subject}. Standard claims are given per scope (Streamlit asks for
    `openid email profile`: email, email_verified, name, ...); other claims always."""
    request = urllib.request.Request(
        f"{issuer}/users/{subject}",
        data=json.dumps(claims).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 204, f"PUT /users/{subject} answered {r.status}"


# --- Streamlit's side -------------------------------------------------------------------------


def auth_secrets(folder: Path, issuer: str, app_url: str | None = None) -> Path:
    """Write FOLDER/secrets.toml with an [auth] section for the mock; returns its path.

    Start Streamlit with `STREAMLIT_SECRETS_FILES=<path>` in its environment. Without
    `app_url` the redirect URI is `http://127.0.0.1:{port}/oauth2callback`: Streamlit puts its
    own server.port in place of `{port}`, so the app's port need not be known beforehand."""
    base = (app_url or "http://127.0.0.1:{port}").rstrip("/")
    text = (
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{metadata_url(issuer)}"\n'
    )
    path = Path(folder) / "secrets.toml"
    path.write_text(text)
    return path


def signed_in_user(context: BrowserContext, app_url: str) -> dict | None:
    """What st.user holds for this browser (Streamlit's identity cookie, read without checking
    its signature), or None when signed out."""
    cookie = next((c for c in context.cookies(app_url) if c["name"] == USER_COOKIE), None)
    if cookie is None:
        return None
    _, payload = URLSafeTimedSerializer("unused", salt=USER_COOKIE).loads_unsafe(cookie["value"])
    assert isinstance(payload, str), f"unreadable {USER_COOKIE} cookie: {cookie['value'][:60]}"
    assert not payload.startswith("chunks-"), "the identity cookie is split; read its chunks"
    return json.loads(payload)


# --- the browser ------------------------------------------------------------------------------


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in(
    page: Page,
    app_url: str,
    subject: str,
    email: str,
    name: str | None = None,
    *,
    button: str = "Sign in",
    **claims: object,
) -> dict:
    """Sign in as `subject` the way a reader does: open `app_url`, click the app's `button`
    (which calls st.login()), authorize on the mock's form, and wait until back on the app,
    signed in. Returns st.user as Streamlit stored it.

    The claims (email, name and any other, e.g. email_verified=True) are set at the mock first.
    Streamlit lands on the app's root after the callback, whichever page the sign-in began on.
    """
    harness.open_page(page, app_url)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(lambda url: "/oauth2/authorize" in url, timeout=FLOW_TIMEOUT_MS)
    issuer = _origin(page.url)
    set_user(issuer, subject, email=email, **({"name": name} if name else {}), **claims)

    page.locator('input[name="sub"]').fill(subject)
    page.get_by_role("button", name="Authorize", exact=True).click()
    app = _origin(app_url)
    page.wait_for_url(
        lambda url: url.startswith(app) and "/oauth2callback" not in url, timeout=FLOW_TIMEOUT_MS
    )
    harness.wait_for_app(page)
    harness.check_no_exception(page)  # e.g. st.user.name on a user without that claim

    user = signed_in_user(page.context, app_url)
    assert (user or {}).get("is_logged_in"), (
        f"not signed in after authorizing {subject!r} (the server log says why: token exchange, "
        f"redirect_uri); {page.url} shows:\n{page.inner_text('body')[:500]}"
    )
    assert user.get("sub") == subject, f"signed in as {user.get('sub')!r}, not {subject!r}"
    return user


def sign_out(page: Page, *, button: str = "Sign out", signed_out: str = "Sign in") -> None:
    """Click the app's `button` (which calls st.logout()), end the session at the mock (Streamlit
    sends the browser to the provider's end_session_endpoint, whose page asks for a click), and
    wait until back on the app, signed out: no identity cookie, the `signed_out` button shown."""
    app = _origin(page.url)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(lambda url: "/oauth2/end_session" in url, timeout=FLOW_TIMEOUT_MS)
    page.get_by_role("button", name="End session", exact=True).click()
    page.wait_for_url(
        lambda url: url.startswith(app) and "/oauth2callback" not in url, timeout=FLOW_TIMEOUT_MS
    )
    harness.wait_for_app(page)
    assert signed_in_user(page.context, app) is None, "the identity cookie is still set"
    shown = page.get_by_role("button", name=signed_out, exact=True)
    assert shown.count() == 1, f"no {signed_out!r} button after signing out, on {page.url}"


# --- the provider's process -------------------------------------------------------------------


def serve(port: int) -> None:
    """oidc-provider-mock's app (defaults: any client, no registration, nonce not required,
    refresh tokens, tokens valid one hour) on 127.0.0.1:PORT until killed, its pages without the
    CDN stylesheet. Needs AUTHLIB_INSECURE_TRANSPORT=1 (plain http), as the mock's CLI sets."""
    import logging

    import jinja2
    import oidc_provider_mock
    import werkzeug.serving

    app = oidc_provider_mock.app()
    base = Path(oidc_provider_mock.__file__).with_name("templates") / "_base.html"
    app.jinja_loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"_base.html": _CDN_LINK.sub("", base.read_text())}), app.jinja_loader]
    )
    app.add_url_rule("/favicon.ico", "favicon", lambda: ("", 204))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    werkzeug.serving.make_server("127.0.0.1", port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
