"""The identity layer in front of the roles (issue 25): the provider's claims read strictly and
normalised (metrics/identity.py), subjects and emails matched in separate namespaces
(metrics/access.py), the server-side record of sign-ins and sign-outs (data/sessions.py), and
the guard in front of the files (ui/server.py).
The pages that use them are tests/test_access.py (AppTest) and tests/e2e/test_sign_in.py
(Chromium, through a real provider)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenstats.data import sessions
from greenstats.metrics import access, identity
from greenstats.metrics.access import AccessFileError, Role
from greenstats.metrics.identity import ClaimsRefusedError, Identity
from greenstats.ui import server

ACCESS = """\
[roles]
"alice@nwsand.example" = "partner:Northwest Sand"
"*@program.example" = "manager"
"sub:boss@program.example" = "executive"
"email:Carol@Blue.Example" = "partner:Blue Shore"
"auth0|5f1a9c" = "partner:Blue Shore"
"""
GRANTS = access.parse_grants(ACCESS)
NOW = 1_800_000_000


def claims(**values: object) -> dict[str, object]:
    return {"sub": "s-1", "iat": NOW, **values}


# --- claims, strictly ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["false", "true", "False", "", 0, 1, 1.0, [], {}, [True]])
def test_email_verified_that_is_not_a_json_boolean_refuses_the_sign_in(value: object) -> None:
    """Issue 25, hole 1: the string "false" counted as verified."""
    with pytest.raises(ClaimsRefusedError) as refused:
        identity.parse(claims(email="alice@nwsand.example", email_verified=value))
    assert refused.value.claim == "email_verified"
    # The page and the audit log say which claim and why; not its value.
    assert str(refused.value) == (
        "the sign-in's email_verified claim is not a JSON boolean (true or false)"
    )


@pytest.mark.parametrize(
    ("values", "claim"),
    [
        ({"sub": None}, "sub"),
        ({"sub": ""}, "sub"),
        ({"sub": " s-1"}, "sub"),
        ({"sub": "s\n1"}, "sub"),
        ({"sub": "s" * 256}, "sub"),
        ({"sub": 12}, "sub"),
        ({"email": ["alice@nwsand.example"]}, "email"),
        ({"iat": "1800000000"}, "iat"),
        ({"iat": True}, "iat"),
        ({"iat": None}, "iat"),
        ({"name": {"first": "Al"}}, "name"),
    ],
)
def test_a_claim_of_the_wrong_type_or_form_is_named_and_refused(values: dict, claim: str) -> None:
    with pytest.raises(ClaimsRefusedError) as refused:
        identity.parse(claims(**values))
    assert refused.value.claim == claim


def test_claims_are_normalised_and_a_sign_in_named_by_subject_time_and_nonce() -> None:
    who = identity.parse(
        claims(email="  ALICE@NWSand.Example ", email_verified=True, name=" Al ", nonce="n-1")
    )
    assert (who.subject, who.email, who.verified_email, who.name) == (
        "s-1", "alice@nwsand.example", "alice@nwsand.example", "Al",
    )  # fmt: skip
    assert who.label == "alice@nwsand.example"
    again = identity.parse(claims(email="alice@nwsand.example", email_verified=True, nonce="n-1"))
    assert again.sign_in == who.sign_in  # the same cookie, another browser session
    later = identity.parse(claims(iat=NOW + 1, nonce="n-1"))
    other = identity.parse(claims(nonce="n-2"))
    assert len({who.sign_in, later.sign_in, other.sign_in}) == 3
    # Not verified: the email is kept for the log as claimed, and names nobody.
    unverified = identity.parse(claims(email="alice@nwsand.example"))
    assert unverified.verified_email is None
    assert unverified.label == "sub:s-1"  # not logged under the address it claims
    assert identity.parse(claims(email="not an address", email_verified=True)).email is None


# --- namespaces ---------------------------------------------------------------------------------


def test_a_subject_shaped_like_a_listed_email_is_not_that_email() -> None:
    """Issue 25, hole 2: sub = a listed email, email mallory's, unverified."""
    who = identity.parse(
        claims(sub="alice@nwsand.example", email="mallory@evil.example", email_verified=False)
    )
    assert GRANTS.role_for(who) is None
    # Listed as a subject, with its prefix, it is that subject.
    boss = identity.parse(claims(sub="boss@program.example"))
    assert GRANTS.role_for(boss) == Role("executive")
    assert GRANTS.role_for(identity.parse(claims(sub="auth0|5f1a9c"))) == Role(
        "partner", "Blue Shore"
    )
    assert [k for k, _ in GRANTS.entries()] == [
        "sub:boss@program.example", "sub:auth0|5f1a9c", "email:alice@nwsand.example",
        "email:carol@blue.example", "*@program.example",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "key", ["sub:", "sub:has space", "email:not-an-address", "email:*@x.example", "a@b", "*"]
)
def test_a_key_in_neither_namespace_closes_the_file(key: str) -> None:
    with pytest.raises(AccessFileError, match="not an email, an OIDC subject"):
        access.parse_grants(f'[roles]\n"{key}" = "manager"\n')


def test_an_email_given_twice_in_both_forms_closes_the_file() -> None:
    text = '[roles]\n"email:ann@x.example" = "manager"\n"ANN@x.example" = "executive"\n'
    with pytest.raises(AccessFileError, match="twice"):
        access.parse_grants(text)


# --- every claim set: a role only for a listed subject or a verified, listed email -------------

SUBJECTS = {
    "boss@program.example": Role("executive"),
    "auth0|5f1a9c": Role("partner", "Blue Shore"),
}
EMAILS = {"alice@nwsand.example": Role("partner", "Northwest Sand"),
          "carol@blue.example": Role("partner", "Blue Shore")}  # fmt: skip
DOMAINS = {"program.example": Role("manager")}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=4,
)
listed_text = st.sampled_from(
    [
        *SUBJECTS,
        *EMAILS,
        "ann@program.example",
        "ann@sub.program.example",
        "alice@nwsand.example.evil",
    ]
)


@st.composite
def variants(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A listed identity as a provider might send it: any case, spaces around."""
    text = draw(base)
    text = "".join(c.upper() if draw(st.booleans()) else c for c in text)
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " ", "\n"]))


@given(
    sub=listed_text | variants(listed_text) | st.text(min_size=1, max_size=12) | json_values,
    email=st.none() | listed_text | variants(listed_text) | json_values,
    verified=json_values,
    has_verified=st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_a_role_only_for_a_listed_subject_or_a_verified_normalised_listed_email(
    sub: object, email: object, verified: object, has_verified: bool
) -> None:
    sent = {"sub": sub, "iat": NOW, "email": email}
    if has_verified:
        sent["email_verified"] = verified
    json.dumps(sent)  # a claim set a provider can send
    try:
        who = identity.parse(sent)
    except ClaimsRefusedError:
        who = None
    role = GRANTS.role_for(who) if who else None
    # What the rule says, from the claims as sent.
    valid_sub = isinstance(sub, str) and identity.SUBJECT.match(sub)
    proper = (
        valid_sub
        and (email is None or isinstance(email, str))
        and (not has_verified or verified is None or isinstance(verified, bool))
    )
    if not proper:
        assert who is None, sent  # refused, never read as something else
        return
    expected = SUBJECTS.get(sub)
    if expected is None and has_verified and verified is True and isinstance(email, str):
        address = email.strip().lower()
        expected = EMAILS.get(address) or (
            DOMAINS.get(address.rpartition("@")[2]) if identity.EMAIL.match(address) else None
        )
    assert role == expected, sent


# --- sign-ins and sign-outs on the server -------------------------------------------------------


def test_sign_out_ends_every_sign_in_issued_before_it_and_none_after(tmp_path: Path) -> None:
    store = tmp_path / "sessions.sqlite"
    assert sessions.ended("ann", NOW, now=NOW + 60, path=store) is None
    sessions.record_sign_out("ann", at=NOW + 60, path=store)
    assert sessions.ended("ann", NOW, now=NOW + 61, path=store) == "signed out"  # the old cookie
    assert sessions.ended("ann", NOW + 60, now=NOW + 61, path=store) == "signed out"
    assert sessions.ended("ann", NOW + 61, now=NOW + 62, path=store) is None  # signed in again
    assert sessions.ended("bob", NOW, now=NOW + 62, path=store) is None  # another subject
    # An earlier sign-out recorded late does not reopen what a later one ended.
    sessions.record_sign_out("ann", at=NOW + 10, path=store)
    assert sessions.ended("ann", NOW + 30, now=NOW + 62, path=store) == "signed out"


def test_a_sign_in_lasts_the_configured_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "sessions.sqlite"
    assert sessions.max_hours() == sessions.DEFAULT_HOURS == 12
    hour = 3600
    assert sessions.ended("ann", NOW, now=NOW + 12 * hour, path=store) is None
    assert sessions.ended("ann", NOW, now=NOW + 12 * hour + 1, path=store) == "expired"
    monkeypatch.setenv(sessions.ENV_HOURS, "0.5")
    assert sessions.ended("ann", NOW, now=NOW + hour, path=store) == "expired"
    for bad in ("0", "-3", "nan", "inf", "a day"):
        monkeypatch.setenv(sessions.ENV_HOURS, bad)
        with pytest.raises(sessions.SessionSettingError, match=sessions.ENV_HOURS):
            sessions.max_hours()


def test_a_sign_in_is_first_once_whatever_the_sessions_at_once(tmp_path: Path) -> None:
    """Eight browser sessions of one cookie opening at the same moment: one is the sign-in,
    seven resume it."""
    store = tmp_path / "sessions.sqlite"
    who = Identity("ann", "ann@x.example", True, issued_at=NOW, nonce="n")
    start, firsts = threading.Barrier(8), []

    def open_one() -> None:
        start.wait()
        firsts.append(sessions.first_session(who.sign_in, who.subject, path=store))

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(firsts) == [False] * 7 + [True]
    with sqlite3.connect(store) as con:
        assert con.execute("SELECT subject FROM sign_ins").fetchall() == [("ann",)]


# --- the server's guard in front of the files (ui/server.py) -------------------------------------

SECRET = "a-cookie-secret-for-tests-only"


def cookie(claims: object, secret: str = SECRET) -> str:
    """Streamlit's identity cookie for these claims, as its sign-in callback signs it."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=server.USER_COOKIE).dumps(json.dumps(claims))


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An access file granting GRANTS' roles, and a sessions store of the test's own."""
    (tmp_path / "access.toml").write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv(access.ENV, str(tmp_path / "access.toml"))
    monkeypatch.setenv(sessions.ENV, str(tmp_path / "sessions.sqlite"))
    return tmp_path


def test_the_file_guard_takes_only_a_valid_cookie_of_a_live_sign_in_with_a_role(guarded) -> None:
    now = int(time.time())
    alice = {"is_logged_in": True, "sub": "a-1", "email": "alice@nwsand.example",
             "email_verified": True, "iat": now, "nonce": "n"}  # fmt: skip
    who = server.signed_in({server.USER_COOKIE: cookie(alice)}, SECRET)
    assert who is not None
    assert who.verified_email == "alice@nwsand.example"
    hostile = {
        "no cookie": {},
        "another secret": {server.USER_COOKIE: cookie(alice, "another-secret")},
        "tampered": {server.USER_COOKIE: cookie(alice)[:-2] + "xx"},
        "not signed": {server.USER_COOKIE: json.dumps(alice)},
        "a string false": {server.USER_COOKIE: cookie({**alice, "email_verified": "false"})},
        "not logged in": {server.USER_COOKIE: cookie({**alice, "is_logged_in": False})},
        "no role": {server.USER_COOKIE: cookie({**alice, "email": "eve@evil.example"})},
        "not an object": {server.USER_COOKIE: cookie(["a-1"])},
        "too old": {server.USER_COOKIE: cookie({**alice, "iat": now - 13 * 3600})},
        "chunks of nothing": {server.USER_COOKIE: "chunks-3"},
    }
    for why, cookies in hostile.items():
        assert server.signed_in(cookies, SECRET) is None, why
    sessions.record_sign_out("a-1")  # a copy of the cookie after sign-out
    assert server.signed_in({server.USER_COOKIE: cookie(alice)}, SECRET) is None


def test_a_file_is_issued_to_the_sign_in_that_clicked_only() -> None:
    server.issue("sign-in-a", b"projects of A\n")
    assert server.issued_to("sign-in-a", b"projects of A\n")
    assert not server.issued_to("sign-in-b", b"projects of A\n")  # another sign-in
    assert not server.issued_to("sign-in-a", b"projects of B\n")  # another file
    for n in range(server.REMEMBERED):  # the oldest are forgotten first
        server.issue("sign-in-c", f"file {n}".encode())
    assert not server.issued_to("sign-in-a", b"projects of A\n")
    assert server.issued_to("sign-in-c", f"file {server.REMEMBERED - 1}".encode())
