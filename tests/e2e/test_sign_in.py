"""Real sign-in, end to end: the dashboard with an [auth] section pointing at oidc-provider-mock
on loopback, an access file and an audit log of its own, driven in Chromium through the mock's
own sign-in form (tests/e2e/oidc.py).

An anonymous visitor sees the sign-in page only; partner A signs in, sees A's projects and
cannot reach partner B's by any page, filter, link parameter or download; an executive sees
everything; sign-out ends access; the audit log holds each of these, and no user id."""

from __future__ import annotations

import csv
import io
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page

from greenstats.data import audit, sessions
from greenstats.data.warehouse import Warehouse
from greenstats.metrics import access
from tests.e2e import harness, oidc
from tests.e2e.conftest import App

EXEC_EMAIL = "director@program.example"
STRANGER_EMAIL = "visitor@elsewhere.example"
PARTNER_DOMAIN = "partner-a.example"


@dataclass
class Partner:
    name: str
    projects: dict[str, str]  # id → name
    areas: dict[str, str]


@dataclass
class Secured:
    """The dashboard behind sign-in: its URL, the provider's, the audit log, two partners."""

    url: str
    issuer: str
    server: harness.Server
    audit: Path
    db: Path
    input: Path
    a: Partner
    b: Partner
    access: Path  # the access file the server reads


def _partners(db: Path) -> list[Partner]:
    """The demo's partners with projects, most projects first."""
    with Warehouse(db).open_snapshot() as r:
        rows = r.rows(
            "SELECT partner, 'p', project_id, name FROM stg_projects UNION ALL "
            "SELECT partner, 'a', area_id, name FROM stg_protected_areas"
        )
    found: dict[str, Partner] = {}
    for partner, kind, code, name in rows:
        p = found.setdefault(partner, Partner(partner, {}, {}))
        (p.projects if kind == "p" else p.areas)[code] = name
    return sorted((p for p in found.values() if p.projects), key=lambda p: -len(p.projects))


@pytest.fixture(scope="module")
def secured(app: App, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """A second server on the e2e demo warehouse, with sign-in configured."""
    root = tmp_path_factory.mktemp("signin")
    a, b = _partners(app.db)[:2]
    access_file, audit_log = root / "access.toml", root / "audit.jsonl"
    access_file.write_text(
        f'[roles]\n"{EXEC_EMAIL}" = "executive"\n"*@{PARTNER_DOMAIN}" = "partner:{a.name}"\n',
        encoding="utf-8",
    )
    with oidc.start_provider() as issuer:
        env = {
            "GREENSTATS_DB": str(app.db),
            "STREAMLIT_SECRETS_FILES": str(oidc.auth_secrets(root, issuer)),
            access.ENV: str(access_file),
            audit.ENV: str(audit_log),
            sessions.ENV: str(root / "sessions.sqlite"),
        }
        with harness.streamlit_server("app.py", env) as server:
            yield Secured(
                server.url, issuer, server, audit_log, app.db, app.input, a, b, access_file
            )


def body(page: Page) -> str:
    return page.inner_text("body").replace("\u200b", "")  # escaping breaks emails with it


def nav_links(page: Page) -> list[str]:
    return page.get_by_test_id("stTopNavLink").all_inner_texts()


def check_no_streamlit_dialog(page: Page) -> None:
    """The app answered in its own words: no dialog of Streamlit's over the page (its "Page not
    found" is one)."""
    assert page.get_by_role("dialog").count() == 0, (page.url, body(page)[:300])
    assert "Page not found" not in body(page), page.url


def check_nothing_but_sign_in(page: Page) -> None:
    assert page.locator("h1").all_inner_texts() == ["Sign in to greenstats"], page.url
    check_no_streamlit_dialog(page)
    assert page.get_by_role("button", name="Sign in", exact=True).count() == 1
    assert page.get_by_test_id("stMetric").count() == 0
    assert page.get_by_test_id("stPlotlyChart").count() == 0
    assert page.get_by_test_id("stDataFrame").count() == 0
    assert page.get_by_test_id("stDownloadButton").count() == 0
    assert page.get_by_test_id("stTopNavSection").count() == 0
    assert not nav_links(page)
    assert page.get_by_test_id("stMultiSelect").count() == 0  # no filter bar


def leaked(page: Page, other: Partner) -> set[str]:
    """Names of the other partner's data on the page, apart from the notice that repeats the
    link's own refused values (it says only that they were ignored)."""
    text = body(page)
    for notice in page.get_by_test_id("stAlert").all_inner_texts():
        text = text.replace(notice, "")
    names = {other.name, *other.projects.values(), *other.projects, *other.areas.values()}
    return {n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)}


def test_an_anonymous_visitor_sees_nothing_but_the_sign_in_page(
    page: Page, secured: Secured
) -> None:
    b_project = next(iter(secured.b.projects))
    # The first request the server gets is a link to no page: Streamlit's legacy mode (a
    # pages/ folder read alone until the first st.navigation) answered it with its dialog.
    for path in ("/no-such-page", "", "/actions", "/projects",
                 f"/projects?partner={quote(secured.b.name)}",
                 f"/trees?project={b_project}&period=All+time", "/methodology"):  # fmt: skip
        harness.open_page(page, secured.url + path)
        harness.check_no_exception(page, secured.server)
        check_nothing_but_sign_in(page)


def test_partner_a_sees_their_projects_and_cannot_reach_partner_b(
    page: Page, secured: Secured, tmp_path: Path
) -> None:
    a, b = secured.a, secured.b
    watch = harness.Watch(secured.url, also=(secured.issuer,)).attach(page.context)
    oidc.sign_in(page, secured.url, "ann-a", f"ann@{PARTNER_DOMAIN}", "Ann Partner",
                 email_verified=True)  # fmt: skip
    text = body(page)
    assert f"Signed in as Ann Partner · Partner: {a.name}" in text
    assert f"You see the projects and protected areas of {a.name}" in text
    sections = page.get_by_test_id("stTopNavSection").all_inner_texts()
    assert any("Partners" in s for s in sections), sections
    assert not any("Program" in s for s in sections), sections  # Actions, Funnel: staff only
    assert not leaked(page, b)

    # Projects: A's own list, every project of A's named.
    harness.open_page(page, f"{secured.url}/projects?period=All+time")
    harness.check_no_exception(page, secured.server)
    text = body(page)
    assert f"Projects: {a.name}" in text
    assert f"{len(a.projects)} projects in" in text  # the sites map's sentence
    assert not leaked(page, b)

    # Every route to B's data: a link's partner, project, the filter bar's project, the staff
    # pages by their path.
    b_id, b_name = next(iter(b.projects.items()))
    routes = [
        f"/projects?partner={quote(b.name)}",
        f"/projects?p={quote(f'{b_name} · {b_id}')}",
        f"/projects?partner={quote(b.name)}&p={quote(f'{b_name} · {b_id}')}",
        f"/trees?period=All+time&project={quote(f'{b_name} · {b_id}')}",
        f"/coastal?period=All+time&project={quote(f'{b_name} · {b_id}')}",
        "/species?period=All+time",
        "/overview?period=All+time",
        "/methodology",
        "/actions",
        "/funnel",
    ]
    for route in [*routes, "/no-such-page"]:
        harness.open_page(page, secured.url + route)
        harness.check_no_exception(page, secured.server)
        check_no_streamlit_dialog(page)  # issue 25, hole 7: the app's words, not Streamlit's
        titles = page.locator("h1").all_inner_texts()
        assert titles, route
        assert titles[0] not in ("Actions", "Funnel", "Sign in to greenstats"), route
        if route in ("/actions", "/funnel"):
            assert titles[0] == "Not one of your pages", route
            assert f"your role (Partner: {a.name}) does not include it" in body(page)
        if route == "/overview?period=All+time":  # the Overview under its name too
            assert titles[0] == "Impact at a glance", route
            cards = page.get_by_test_id("stMetric").all_inner_texts()
            harness.open_page(page, f"{secured.url}/?period=All+time")
            assert page.get_by_test_id("stMetric").all_inner_texts() == cards  # the same view
        if route == "/no-such-page":
            assert titles[0] == "No such page"
            assert "greenstats has no page “no-such-page”" in body(page)
        assert not leaked(page, b), (route, leaked(page, b))

    # A's download: the list of A's projects, and nothing of B's. No file exists before the
    # click (issue 25, hole 4: every CSV used to reach the browser as /media/… on load).
    harness.open_page(page, f"{secured.url}/projects?period=All+time")
    assert media_urls(watch) == [], "a file was served before any click"
    main = page.get_by_test_id("stMain")
    button = main.get_by_role("button", name="Download CSV").first
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    cells = [c for row in csv.reader(io.StringIO(saved.read_text("utf-8-sig"))) for c in row]
    assert set(a.projects.values()) <= set(cells)
    assert not ({b.name, *b.projects.values(), *b.projects} & set(cells))
    issued = media_urls(watch)
    assert issued, "the download did not come from /media/"
    cookies = {c["name"]: c["value"] for c in page.context.cookies(secured.url)}
    # The same URL with no cookie, during the session: refused.
    for url in issued:
        assert fetch(url) == 403, url
    assert fetch(issued[0], cookies) == 200  # with the session's cookie it is served

    oidc.sign_out(page)
    check_nothing_but_sign_in(page)
    harness.open_page(page, f"{secured.url}/projects")
    check_nothing_but_sign_in(page)
    # After sign-out: with no cookie, and with the copied cookie of the ended sign-in (hole 3).
    for url in issued:
        assert fetch(url) == 403, url
        assert fetch(url, cookies) == 403, url
    # A page the role has not, any page once signed out, a path that is no page: the app
    # answers each itself, so Streamlit logs no "page not found" (nor anything else).
    harness.check_console(watch)
    harness.check_own_host_only(watch)

    lines = [x for x in audit.read(secured.audit) if x["identity"] == f"ann@{PARTNER_DOMAIN}"]
    events = [x["event"] for x in lines]
    assert events[0] == "sign_in"
    assert events[-1] == "sign_out"
    # One sign-in, however many browser sessions its cookie opened (a page load is one each):
    # it used to write a sign_in for each (issue 25, hole 5).
    assert events.count("sign_in") == 1, events
    assert events.count("session_resumed") >= len(routes), events
    assert {(x["subject"], x["email"]) for x in lines} == {("ann-a", f"ann@{PARTNER_DOMAIN}")}
    # Every refused fetch of a file is in the log, with the file asked for.
    paths = {urlsplit(u).path for u in issued}
    refused_files = [x for x in audit.read(secured.audit) if x.get("asked") in paths]
    assert len(refused_files) == 3 * len(issued), refused_files
    assert {x["reason"] for x in refused_files} == {"a file asked for without a valid sign-in"}
    refused = {(x.get("field"), x.get("value")) for x in lines if x["event"] == "denied"}
    pages = {x.get("asked") for x in lines if x.get("reason") == "page not offered to this role"}
    assert pages == {"actions", "funnel"}
    assert ("partner", b.name) in refused
    assert ("p", f"{b_name} · {b_id}") in refused
    assert ("project", f"{b_name} · {b_id}") in refused
    downloads = [x for x in lines if x["event"] == "download"]
    assert len(downloads) == 1
    assert downloads[0]["role"] == f"partner:{a.name}"
    assert downloads[0]["page"] == "projects"
    assert downloads[0]["filters"]["partner"] == a.name
    assert downloads[0]["file"] == download.value.suggested_filename
    check_no_user_id(secured)


def media_urls(watch: harness.Watch) -> list[str]:
    """The files the browser fetched from the app's /media/ (Streamlit serves each file a page
    offers there)."""
    return sorted({u for u in watch.urls if urlsplit(u).path.startswith("/media/")})


def fetch(url: str, cookies: dict[str, str] | None = None) -> int:
    """A plain GET, as any HTTP client sends it (no browser, no session unless `cookies`):
    the status it gets."""
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
    request = urllib.request.Request(url, headers=headers if cookies else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def check_no_user_id(secured: Secured) -> None:
    """The audit log holds identities, roles, pages and filters: no user id of the action logs,
    raw or hashed."""
    text = secured.audit.read_text(encoding="utf-8")
    assert not re.search(r'"[0-9a-f]{16}"', text), "a pseudonymous user id in the audit log"
    with Warehouse(secured.db).open_snapshot() as r:
        raw = {u for (u,) in r.rows(
            "SELECT DISTINCT user_id FROM read_parquet(?) LIMIT 5000",
            [str(secured.input / "actions" / "*.parquet")],
        )}  # fmt: skip
    assert raw
    assert not any(f'"{u}"' in text for u in raw)


def test_an_executive_sees_every_page_and_partner(page: Page, secured: Secured) -> None:
    oidc.sign_in(page, secured.url, "director-1", EXEC_EMAIL, "Dee Director",
                 email_verified=True)  # fmt: skip
    assert "Signed in as Dee Director · Executive" in body(page)
    assert "Access is not restricted" not in body(page)
    for path, title in (("/actions", "Actions"), ("/funnel", "Funnel")):
        harness.open_page(page, f"{secured.url}{path}?period=All+time")
        harness.check_no_exception(page, secured.server)
        assert page.locator("h1").first.inner_text() == title
    harness.open_page(page, f"{secured.url}/projects?period=All+time")
    text = body(page)
    assert "Projects: All partners" in text
    with Warehouse(secured.db).open_snapshot() as r:
        everyone = r.rows("SELECT count(*) FROM stg_projects")[0][0]
    assert f"{everyone} projects in" in text
    copied = page.context.cookies(secured.url)  # what a thief of the cookie would have
    oidc.sign_out(page)
    check_nothing_but_sign_in(page)
    # Issue 25, hole 3: the copied cookie, set in a fresh browser after the sign-out, opens
    # only the sign-in page (it used to sign in, for the cookie's 30 days).
    other = page.context.browser.new_context()
    try:
        other.add_cookies(copied)
        replay = other.new_page()
        harness.open_page(replay, f"{secured.url}/projects?period=All+time")
        check_nothing_but_sign_in(replay)
        assert "You signed out of greenstats" in body(replay)
    finally:
        other.close()
    seen = [
        (x["event"], x["role"], x.get("reason"))
        for x in audit.read(secured.audit)
        if x["identity"] == EXEC_EMAIL
    ]
    assert seen[0] == ("sign_in", "executive", None)
    assert seen[-2:] == [("sign_out", "executive", None), ("denied", "none", "sign-in signed out")]


def test_a_mistyped_partner_in_the_access_file_closes_it_for_everyone(
    page: Page, secured: Secured
) -> None:
    """Issue 25, hole 6: `…Center` for `…Centre` was accepted and its people saw an empty
    view. Now nobody sees a figure until it is fixed, and the page names no partner."""
    access_file = secured.access
    kept = access_file.read_text(encoding="utf-8")
    typo = secured.a.name[:-1] + ("x" if secured.a.name[-1] != "x" else "y")
    access_file.write_text(kept.replace(f"partner:{secured.a.name}", f"partner:{typo}"), "utf-8")
    try:
        oidc.sign_in(page, secured.url, "dee-2", EXEC_EMAIL, email_verified=True)
        assert page.locator("h1").all_inner_texts() == ["Access is closed"]
        assert "names a partner the warehouse does not have" in body(page)
        assert typo not in body(page)
        assert secured.a.name not in body(page)
        assert page.get_by_test_id("stMetric").count() == 0
        check_no_streamlit_dialog(page)
    finally:
        access_file.write_text(kept, encoding="utf-8")
    harness.open_page(page, secured.url)  # fixed: the same sign-in now sees the figures
    assert page.get_by_test_id("stMetric").count() > 0
    oidc.sign_out(page)


def test_an_identity_without_a_role_sees_only_a_page_saying_so(
    page: Page, secured: Secured
) -> None:
    oidc.sign_in(page, secured.url, "visitor-9", STRANGER_EMAIL, email_verified=True)
    text = body(page)
    assert page.locator("h1").all_inner_texts() == ["No access yet"]
    assert STRANGER_EMAIL in text
    assert page.get_by_test_id("stMetric").count() == 0
    assert not nav_links(page)
    harness.open_page(page, f"{secured.url}/projects")
    assert page.locator("h1").all_inner_texts() == ["No access yet"]
    harness.open_page(page, secured.url)  # without the "page not found" dialog over it
    oidc.sign_out(page)
    lines = [x for x in audit.read(secured.audit) if x["identity"] == STRANGER_EMAIL]
    assert {(x["event"], x["role"], x.get("reason")) for x in lines} >= {
        ("denied", "none", "no role")
    }


def test_an_email_the_provider_sent_as_verified_in_a_string_gets_nothing(
    page: Page, secured: Secured
) -> None:
    """Issue 25, hole 1, through the real provider: `"email_verified": "false"`, a string, on
    an address of partner A's domain."""
    oidc.sign_in(page, secured.url, "alice-1", f"alice@{PARTNER_DOMAIN}", email_verified="false")
    assert page.locator("h1").all_inner_texts() == ["Sign-in refused"]
    assert "sent its email_verified claim in a form greenstats does not trust" in body(page)
    assert page.get_by_test_id("stMetric").count() == 0
    assert not nav_links(page)
    check_no_streamlit_dialog(page)
    lines = [x for x in audit.read(secured.audit) if x.get("claimed_subject") == "alice-1"]
    assert [(x["event"], x["reason"], x["identity"]) for x in lines] == [
        ("denied", "claims refused", None)
    ]
    assert not [x for x in audit.read(secured.audit) if x["identity"] == f"alice@{PARTNER_DOMAIN}"]


def test_a_subject_shaped_like_a_listed_email_gets_nothing(page: Page, secured: Secured) -> None:
    """Issue 25, hole 2, through the real provider: sub = the executive's email, the email
    claim mallory's and unverified."""
    oidc.sign_in(page, secured.url, EXEC_EMAIL, "mallory@evil.example", email_verified=False)
    assert page.locator("h1").all_inner_texts() == ["No access yet"]
    assert f"sub:{EXEC_EMAIL}" in body(page)  # named by its subject, not an address
    assert page.get_by_test_id("stMetric").count() == 0
    lines = [x for x in audit.read(secured.audit) if x["subject"] == EXEC_EMAIL]
    assert [(x["event"], x["identity"], x["email"], x["reason"]) for x in lines] == [
        ("denied", f"sub:{EXEC_EMAIL}", "mallory@evil.example", "no role")
    ]
