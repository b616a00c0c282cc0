"""Who may see what (README, "Sign-in and roles"): the access file and the roles it grants; a
partner's view holding no other partner's rows by any query, page, link, cached result or
CSV; the sign-in, no-role and closed pages; the audit log. The role logic runs in AppTest with
`at.user`; the real sign-in through an OIDC provider is tests/e2e/test_sign_in.py."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from greenstats.data import audit, pseudonym, sessions
from greenstats.data.contract import K_ANONYMITY
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse
from greenstats.metrics import access, identity
from greenstats.metrics.access import AccessFileError, Role
from greenstats.metrics.filters import Filters
from greenstats.metrics.identity import Identity
from greenstats.metrics.queries import alerting, headline, intake, program
from greenstats.screens import SCREENS, overview, projects
from greenstats.ui import fmt
from greenstats.ui.i18n import t
from tests import handbuilt, ops
from tests.conftest import ROOT, people_shown, query_functions, run_cli
from tests.test_injection import (
    _nodes,
    cells,
    csv_cells,
    figures,
    frames,
    markdown_shown,
    options,
    unescaped,
)

ACCESS = """\
[roles]
"exec@program.example" = "executive"
"*@program.example" = "manager"
"*@desert.example" = "partner:Desert Green"
"panda-guardian-7" = "partner:Panda Friends"
"lonely@desert.example" = "partner:Blue Coast"
"""
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-secret-for-tests-only",
    "client_id": "greenstats",
    "client_secret": "not-used-by-apptest",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
#: When the tests' ID tokens were issued (a sign-in lasts GREENSTATS_SESSION_HOURS from it).
NOW = int(time.time())
SIGNED = {"is_logged_in": True, "email_verified": True, "iat": NOW}
EXEC = {**SIGNED, "email": "exec@program.example", "sub": "e-1", "name": "Exec", "nonce": "n1"}
DESERT = {**SIGNED, "email": "ann@desert.example", "sub": "d-1", "name": "Ann", "nonce": "n2"}
PANDA = {"is_logged_in": True, "sub": "panda-guardian-7", "name": "Pat", "iat": NOW}  # no email
STRANGER = {**SIGNED, "email": "eve@elsewhere.example", "sub": "x-1", "nonce": "n3"}
ANONYMOUS = {"is_logged_in": False}
ALL_TIME = Filters(as_of=handbuilt.AS_OF)


# --- the access file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "email", "verified", "role"),
    [
        ("e-1", "exec@program.example", True, "executive"),
        ("e-1", " EXEC@Program.Example ", True, "executive"),  # emails match trimmed, any case
        ("e-1", "EXEC@Program.Example", None, None),  # not said to be verified: not used
        ("m-1", "mia@program.example", True, "manager"),  # the domain's wildcard
        ("e-1", "exec@program.example", False, None),  # an unverified email is not used
        ("panda-guardian-7", "exec@program.example", True, "partner:Panda Friends"),  # sub wins
        ("d-1", "lonely@desert.example", True, "partner:Blue Coast"),  # exact beats *@
        ("d-1", "ann@desert.example", True, "partner:Desert Green"),
        ("d-1", "ann@sub.desert.example", True, None),  # a subdomain is another domain
        ("d-1", "ann@desert.example.evil", True, None),
        ("x-1", None, None, None),
        ("x-1", "program.example", True, None),
        # A subject shaped like a listed email is not that email (issue 25's hole 2).
        ("exec@program.example", "mallory@evil.example", False, None),
        ("exec@program.example", None, None, None),
        ("Panda-Guardian-7", None, None, None),  # a subject matches exactly, case and all
    ],
)
def test_an_identity_gets_the_role_the_file_grants(
    subject: str, email: str | None, verified: bool | None, role: str | None
) -> None:
    claims = {"sub": subject, "email": email, "email_verified": verified, "iat": NOW}
    found = access.parse_grants(ACCESS).role_for(identity.parse(claims))
    assert (found.label if found else None) == role


MALFORMED = {
    "not toml": '[roles\n"a@b.example" = "executive"\n',
    "no roles table": '[people]\n"a@b.example" = "executive"\n',
    "unknown role": '[roles]\n"secret.person@b.example" = "admin"\n',
    "partner without a name": '[roles]\n"secret.person@b.example" = "partner:"\n',
    "role not a string": '[roles]\n"secret.person@b.example" = 3\n',
    "bare wildcard": '[roles]\n"*" = "executive"\n',
    "wildcard domain": '[roles]\n"*@*.example" = "executive"\n',
    "same identity twice": '[roles]\n"Secret.Person@b.example" = "manager"\n'
    '"secret.person@b.example" = "executive"\n',
    "empty": "",
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_access_file_is_refused_whole_and_says_why(text: str) -> None:
    with pytest.raises(AccessFileError) as caught:
        access.parse_grants(text, "access.toml")
    # The page every visitor sees says what is wrong without naming anyone of the file.
    assert "secret.person" not in caught.value.public.lower()
    # The server log's message names the file.
    assert str(caught.value).startswith("access.toml")


def test_a_mistyped_partner_is_named_with_the_closest_and_access_check_says_what_each_grants(
    handbuilt_db: Path, tmp_path: Path
) -> None:
    """Issue 25, hole 6: `…Center` for `…Centre` was accepted, and its people saw an empty
    view. The warehouse's partners are the check."""
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(ACCESS, encoding="utf-8")
    bad.write_text(ACCESS.replace("partner:Desert Green", "partner:Desert Greem"), "utf-8")
    with Warehouse(handbuilt_db).open_snapshot() as r:
        known = set(program.partners(r, Filters()))
    access.check_partners(access.read_grants(good), known)  # every partner exists
    with pytest.raises(AccessFileError, match="the closest is 'Desert Green'") as caught:
        access.check_partners(access.read_grants(bad), known, str(bad))
    assert "Desert" not in caught.value.public  # every visitor sees the public words
    proc = run_cli("access", "check", "--file", str(good), "--db", str(handbuilt_db))
    assert proc.returncode == 0, proc.stderr
    lines = [" ".join(line.split()) for line in proc.stdout.splitlines()]
    assert lines[0] == f"{good}: 5 entries"
    assert (
        "sub:panda-guardian-7 partner:Panda Friends: 1 project, 1 protected area, and the "
        "program's totals (matches the subject, exactly)"
    ) in lines
    assert (
        "*@program.example manager: every page and figure (matches every verified email at "
        "that domain)"
    ) in lines
    assert lines[-1] == "5 entries: the dashboard accepts this file."
    proc = run_cli("access", "check", "--file", str(bad), "--db", str(handbuilt_db))
    assert proc.returncode == 1
    assert (
        "*@desert.example partner:Desert Greem: no such partner: did you mean Desert Green? "
        "(matches every verified email at that domain)"
    ) in [" ".join(x.split()) for x in proc.stdout.splitlines()]
    assert ops.one_sentence(" ".join(proc.stderr.split())) == (
        f"error: {bad}: partner:Desert Greem is not a partner of the warehouse (the closest is "
        "'Desert Green'), so the dashboard shows no figure to anyone until the file is fixed."
    )


# --- every query is cut to the partner ----------------------------------------------------------


def owned(db: Path) -> dict[str, dict[str, set[str]]]:
    """partner → the ids and names of its projects and protected areas, from the warehouse."""
    with Warehouse(db).open_snapshot() as r:
        rows = r.rows(
            "SELECT partner, 'project', project_id, name, coalesce(name_zh, '') FROM stg_projects "
            "UNION ALL SELECT partner, 'area', area_id, name, coalesce(name_zh, '') "
            "FROM stg_protected_areas"
        )
    out: dict[str, dict[str, set[str]]] = {}
    for partner, kind, code, name, name_zh in rows:
        mine = out.setdefault(partner, {"project": set(), "area": set(), "names": set()})
        mine[kind].add(code)
        mine["names"] |= {name, name_zh} - {""}
    return out


def others(db: Path, partner: str) -> set[str]:
    """Every name of another partner, and of its projects and protected areas."""
    theirs = {p: v for p, v in owned(db).items() if p != partner}
    return set(theirs) | {n for v in theirs.values() for n in v["names"]}


def _frames(value: object) -> Iterator[pd.DataFrame]:
    if isinstance(value, pd.DataFrame):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _frames(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _frames(getattr(value, field.name))


def reads_with_filters() -> list:
    """Every query that takes (reader, filters) and nothing else required."""
    found = []
    for name, fn in query_functions().items():
        if name.startswith("_"):
            continue
        params = list(inspect.signature(fn).parameters.values())
        required = [p for p in params if p.default is inspect.Parameter.empty]
        if [p.name for p in required] == ["r", "f"]:
            found.append(fn)
    return found


def test_the_query_sweep_reaches_every_read_of_partner_data() -> None:
    names = {fn.__name__ for fn in reads_with_filters()}
    assert {"plantings", "surveys", "projects", "protected_areas", "area_species",
            "adoptions", "adoptions_total", "redemptions_by_species", "freshness", "partners",
            "progress", "planted", "rejects_by_reason", "loads", "loads_by_table",
            "redeemed_by_day", "alert_inputs", "alerts_for"} <= names  # fmt: skip


@pytest.mark.parametrize("partner", ["Desert Green", "Panda Friends", "Blue Coast", "Runs Nothing"])
def test_every_query_returns_only_the_partners_rows(handbuilt_db: Path, partner: str) -> None:
    mine = owned(handbuilt_db).get(partner, {"project": set(), "area": set()})
    f = access.narrow(ALL_TIME, Role("partner", partner))
    with Warehouse(handbuilt_db).open_snapshot() as r:
        for fn in reads_with_filters():
            result = fn(r, f)
            if fn is program.partners:
                assert set(result) <= {partner}, result
            for frame in _frames(result):
                where = f"{fn.__name__} as partner:{partner}"
                if "partner" in frame:
                    assert set(frame["partner"]) <= {partner}, where
                if "project_id" in frame:
                    assert set(frame["project_id"].dropna()) <= mine["project"], where
                if "area_id" in frame:
                    assert set(frame["area_id"].dropna()) <= mine["area"], where
                if fn in (intake.rejects_by_reason, intake.loads, intake.loads_by_table):
                    assert frame.empty, f"{where}: rejected rows are for the program's staff"
            if fn is alerting.alert_inputs:
                assert result.loads.empty, "the loads' alerts are for the program's staff"
            if fn is alerting.alerts_for:
                assert {a.partner for a in result} <= {partner}, result
                assert {a.subject.get("project_id") for a in result} <= mine["project"] | {None}


def test_the_same_queries_return_every_partner_to_staff(handbuilt_db: Path) -> None:
    everyone = set(owned(handbuilt_db))
    with Warehouse(handbuilt_db).open_snapshot() as r:
        assert set(program.partners(r, access.narrow(ALL_TIME, Role("executive")))) == everyone
        assert not intake.rejects_by_reason(r, ALL_TIME).empty


@pytest.mark.parametrize("partner", ["Desert Green", "Panda Friends"])
def test_no_csv_a_partner_can_download_names_another_partner(
    handbuilt_db: Path, partner: str
) -> None:
    """Every view of every page a partner may open (every grain, list and project), and the
    Projects page asked outright for each other partner and each of their projects."""
    f = access.narrow(ALL_TIME, Role("partner", partner))
    forbidden = others(handbuilt_db, partner)
    theirs = {p: v for p, v in owned(handbuilt_db).items() if p != partner}
    with Warehouse(handbuilt_db).open_snapshot() as r:
        for screen in SCREENS:
            if not Role("partner", partner).may_open(screen.name):
                continue
            views = screen.variants(r, f)
            if screen.name == "projects":
                views += [(p, None) for p in theirs]
                views += [(None, code) for v in theirs.values() for code in v["project"]]
            for lang in ("en", "zh"):
                for args in views:
                    for frame in frames(screen.view(r, f, lang, *args)):
                        leaked = forbidden & set(csv_cells(frame))
                        assert not leaked, f"{screen.name} {args} ({lang}): {leaked}"


def test_asking_projects_for_another_partner_gives_your_own_list(handbuilt_db: Path) -> None:
    f = access.narrow(ALL_TIME, Role("partner", "Desert Green"))
    with Warehouse(handbuilt_db).open_snapshot() as r:
        data = projects.load(r, f, "en", "Panda Friends", "P4")
    assert data.project is None  # P4 is not Desert Green's: it does not open
    assert data.listing is not None
    assert "Desert Green" in data.listing.title
    assert len(data.listing.rows) == 1
    assert "Alxa saxaul belt" in data.listing.rows[0].text


# --- the pages, signed in (AppTest) -------------------------------------------------------------


@pytest.fixture
def signed(handbuilt_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run dashboard.py with sign-in configured, the access file ACCESS and an audit log of its own:
    `run(user, page, **link)`; `.access` and `.audit` are the two files."""
    monkeypatch.setenv("GREENSTATS_DB", str(handbuilt_db))
    access_file, audit_log = tmp_path / "access.toml", tmp_path / "audit.jsonl"
    access_file.write_text(ACCESS, encoding="utf-8")
    monkeypatch.setenv(access.ENV, str(access_file))
    monkeypatch.setenv(audit.ENV, str(audit_log))
    monkeypatch.setenv(sessions.ENV, str(tmp_path / "sessions.sqlite"))

    def run(user: dict, page: str = "overview", **params: str | list[str]) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.secrets["auth"] = AUTH
        at.user = dict(user)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    run.access, run.audit = access_file, audit_log
    return run


def everything_shown(at: AppTest) -> list[str]:
    """Every text of the page: markdown, table cells, select options, figure JSON, labels."""
    texts = [unescaped(m) for m in markdown_shown(at)] + cells(at) + options(at) + figures(at)
    texts += [str(c) for frame in at.dataframe for c in frame.value.columns]
    texts += [m.value for m in at.metric]
    return texts


def leaks(at: AppTest, forbidden: set[str]) -> set[str]:
    """Names of another partner's data on the page, apart from the notice that repeats the
    link's own refused values (which says only that they were ignored)."""
    notices = {unescaped(i.value) for i in at.info}
    shown = "\n".join(t for t in everything_shown(at) if t not in notices)
    return {name for name in forbidden if name in shown}


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def downloads(at: AppTest) -> list:
    return [n for n in _nodes(at._tree) if getattr(n, "type", "") == "download_button"]


PAGES = [s.name for s in SCREENS]


def test_an_anonymous_visitor_sees_only_the_sign_in_page(signed) -> None:
    at = signed(ANONYMOUS, period="All time", region="Inner Mongolia", partner="Blue Coast")
    assert titles(at) == ["Sign in to greenstats"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric
    assert not at.dataframe
    assert not figures(at)
    assert not downloads(at)
    assert not at.multiselect  # no filter bar
    assert not at.selectbox
    for page in PAGES:  # no page is registered: none can be opened by a link or a switch
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")


def test_an_identity_without_a_role_sees_a_page_saying_so_and_nothing_else(signed) -> None:
    at = signed(STRANGER, period="All time")
    assert titles(at) == ["No access yet"]
    assert "eve@elsewhere.example" in unescaped(at.warning[0].value)
    assert not at.metric
    assert not at.dataframe
    assert not figures(at)
    assert not downloads(at)
    assert [b.label for b in at.button] == ["Sign out"]
    lines = audit.read(signed.audit)
    assert [(x["event"], x["identity"], x["role"], x["reason"]) for x in lines] == [
        ("denied", "eve@elsewhere.example", "none", "no role")
    ]


def nothing_shown(at: AppTest) -> None:
    assert not at.metric
    assert not at.dataframe
    assert not figures(at)
    assert not downloads(at)
    assert not at.multiselect  # no filter bar


def test_a_string_false_for_email_verified_refuses_the_sign_in(signed) -> None:
    """Issue 25, hole 1: `"email_verified": "false"` as a string gave alice's partner role."""
    at = signed({**DESERT, "email_verified": "false"}, period="All time")
    assert titles(at) == ["Sign-in refused"]
    assert "**email\\_verified**" in at.error[0].value  # the claim named, in bold
    nothing_shown(at)
    assert [b.label for b in at.button] == ["Sign out"]
    (line,) = audit.read(signed.audit)
    assert (line["event"], line["reason"], line["identity"], line["role"]) == (
        "denied", "claims refused", None, "none"
    )  # fmt: skip
    assert line["claimed_subject"] == "d-1"
    assert "ann@desert.example" not in json.dumps(line)  # not logged under the address claimed


def test_a_subject_that_is_a_listed_email_gets_nothing_and_is_logged_by_subject(signed) -> None:
    """Issue 25, hole 2: sub = a listed email, email mallory's, unverified."""
    mallory = {"is_logged_in": True, "sub": "exec@program.example", "iat": NOW,
               "email": "mallory@evil.example", "email_verified": False}  # fmt: skip
    at = signed(mallory, period="All time")
    assert titles(at) == ["No access yet"]
    nothing_shown(at)
    (line,) = audit.read(signed.audit)
    assert (line["identity"], line["subject"], line["email"], line["reason"]) == (
        "sub:exec@program.example", "exec@program.example", "mallory@evil.example", "no role"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("how", "note"),
    [("signed out", "You signed out of greenstats"), ("expired", "more than 12 hours old")],
)
def test_a_cookie_of_an_ended_sign_in_opens_nothing(signed, how: str, note: str) -> None:
    """Issue 25, hole 3: a copy of the cookie after sign-out still signed in for 30 days."""
    user = dict(DESERT)
    if how == "signed out":
        assert signed(user).metric  # the cookie works until the sign-out
        sessions.record_sign_out(DESERT["sub"])
    else:
        user["iat"] = NOW - 12 * 3600 - 60
    at = signed(user, period="All time")
    assert titles(at) == ["Sign in to greenstats"]
    assert note in at.info[0].value
    assert [b.label for b in at.button] == ["Sign in"]
    nothing_shown(at)
    refused = [x for x in audit.read(signed.audit) if x["event"] == "denied"]
    assert [(x["reason"], x["identity"]) for x in refused] == [
        (f"sign-in {how}", "ann@desert.example")
    ]


def test_a_mistyped_partner_closes_every_page_without_naming_a_partner(signed) -> None:
    signed.access.write_text(ACCESS.replace("Panda Friends", "Panda Fiends"), encoding="utf-8")
    at = signed(DESERT, period="All time")  # whoever signs in, not only the mistyped partner
    assert titles(at) == ["Access is closed"]
    nothing_shown(at)
    shown = unescaped(at.error[0].value)
    assert "names a partner the warehouse does not have" in shown
    assert "Panda" not in shown
    (line,) = [x for x in audit.read(signed.audit) if x["event"] == "denied"]
    assert line["reason"] == "access file invalid"


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_access_file_closes_every_page_until_it_is_fixed(signed, text: str) -> None:
    signed.access.write_text(text, encoding="utf-8")
    at = signed(EXEC, period="All time")
    assert titles(at) == ["Access is closed"]
    assert not at.metric
    assert not at.dataframe
    assert not figures(at)
    assert not downloads(at)
    assert [x["event"] for x in audit.read(signed.audit)] == ["denied"]
    # Fixed (a new size, time and inode): read again at the next run, no restart.
    signed.access.unlink()
    signed.access.write_text(ACCESS, encoding="utf-8")
    at = signed(EXEC, period="All time")
    assert titles(at) == ["Impact at a glance"]
    assert at.metric


def test_a_missing_access_file_closes_every_page(signed) -> None:
    signed.access.unlink()
    assert titles(signed(EXEC)) == ["Access is closed"]


def test_the_page_shows_who_is_signed_in_as_what_with_a_sign_out(signed) -> None:
    at = signed(DESERT, period="All time")
    assert any("Signed in as Ann · Partner: Desert Green" in unescaped(c.value)
               for c in at.sidebar.caption)  # fmt: skip
    assert "Sign out" in [b.label for b in at.sidebar.button]
    at = signed(EXEC, period="All time")
    assert any("Signed in as Exec · Executive" in unescaped(c.value) for c in at.sidebar.caption)


def test_staff_pages_do_not_exist_for_a_partner(signed) -> None:
    at = signed(DESERT, period="All time")
    for page in ("actions", "funnel"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"pages/{page}.py")
    staff = signed(EXEC, period="All time")
    for page in ("actions", "funnel"):
        staff.switch_page(f"pages/{page}.py").run()
        assert titles(staff) == [t(f"page.{page}", "en")]


ROUTES = {  # each other way a link could ask for another partner's project
    "plain": {},
    "partner in the link": {"partner": "Panda Friends"},
    "project in the link": {"p": "Guanba guardians · P4"},
    "project filter": {"project": "Guanba guardians · P4"},
    "both": {"partner": "Blue Coast", "p": "Dongchu eelgrass · P3", "region": "Shandong"},
}


@pytest.mark.parametrize("route", ROUTES.values(), ids=ROUTES.keys())
def test_a_partner_sees_no_other_partners_data_on_any_page_by_any_link(
    signed, handbuilt_db: Path, route: dict
) -> None:
    forbidden = others(handbuilt_db, "Desert Green")
    partner_pages = [s.name for s in SCREENS if Role("partner", "Desert Green").may_open(s.name)]
    for page in partner_pages:
        # Staff first on the same link: a result cached for them must not reach the partner.
        staff = signed(EXEC, page, period="All time", **route)
        assert staff.title
        at = signed(DESERT, page, period="All time", **route)
        assert not leaks(at, forbidden), (page, leaks(at, forbidden))
        # The link's values that name another partner's data are refused, by name.
        for key, value in route.items():
            read_here = page == "projects" or key == "project"  # partner, p: Projects' own
            if read_here and any(name in value for name in forbidden):
                assert any(value in unescaped(i.value) for i in at.info), (page, value)


def test_a_partner_picks_among_their_own_projects_only(signed, handbuilt_db: Path) -> None:
    at = signed(DESERT, "projects", period="All time")
    pickers = {s.label: s.options for s in at.selectbox}
    assert pickers["Partner"] == ["Desert Green"]
    mine = owned(handbuilt_db)["Desert Green"]["project"]
    assert {o.rsplit(" · ", 1)[1] for o in pickers["Project"]} == mine
    # The filter bar's project filter (on the first page of the run: AppTest keeps dashboard.py's
    # own widgets in its tree only until a switch_page).
    bar = signed(DESERT, period="All time")
    filter_options = {m.label: m.options for m in bar.multiselect}["Projects"]
    assert {o.rsplit(" · ", 1)[1] for o in filter_options} == mine
    staff = signed(EXEC, "projects", period="All time")
    assert set({s.label: s.options for s in staff.selectbox}["Partner"]) == set(owned(handbuilt_db))


def test_a_partner_identified_by_subject_sees_their_protected_area(signed, handbuilt_db) -> None:
    at = signed(PANDA, "species", period="All time")
    shown = "\n".join(everything_shown(at))
    assert "Guanba reserve" in shown
    assert not leaks(at, others(handbuilt_db, "Panda Friends"))


def test_the_open_demo_says_that_access_is_not_restricted(
    handbuilt_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(On every page in Chromium: tests/e2e/test_sign_in.py.)"""
    monkeypatch.setenv("GREENSTATS_DB", str(handbuilt_db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.user = {}  # no [auth] in the secrets: Streamlit gives no is_logged_in
    at.run()
    assert not at.exception
    assert any("Access is not restricted" in unescaped(m) for m in markdown_shown(at))
    assert at.metric  # and the figures are there


def test_the_audit_log_records_sign_ins_once_and_never_a_user_id(
    signed, handbuilt_db: Path
) -> None:
    signed(DESERT, period="All time")
    signed(EXEC, "projects", period="All time")
    signed(STRANGER)
    signed(DESERT, "projects", period="All time", partner="Panda Friends")
    lines = audit.read(signed.audit)
    assert [(x["event"], x["identity"], x["subject"], x["role"]) for x in lines] == [
        ("sign_in", "ann@desert.example", "d-1", "partner:Desert Green"),
        ("sign_in", "exec@program.example", "e-1", "executive"),
        ("denied", "eve@elsewhere.example", "x-1", "none"),
        # Another browser session of the same sign-in (the same cookie): not a new sign-in.
        ("session_resumed", "ann@desert.example", "d-1", "partner:Desert Green"),
        ("denied", "ann@desert.example", "d-1", "partner:Desert Green"),
    ]
    refused = lines[-1]
    assert (refused["reason"], refused["field"], refused["value"]) == (
        "link value refused", "partner", "Panda Friends"
    )  # fmt: skip
    assert refused["filters"]["partner"] == "Desert Green"
    # (The page of each line is checked in Chromium, tests/e2e/test_sign_in.py: under AppTest,
    # st.navigation reports the default page after a switch_page.)
    for x in lines:
        assert set(x) >= {"time", "event", "identity", "subject", "email", "role", "page",
                          "filters"}  # fmt: skip
    text = signed.audit.read_text(encoding="utf-8")
    raw = {row["user_id"] for row in csv.DictReader(io.StringIO(handbuilt.ACTIONS_CSV))} - {""}
    key = pseudonym.user_key()
    for uid in raw | {key.pseudonym_hex(u) for u in raw}:
        assert f'"{uid}"' not in text
    for u in raw:  # nor the pseudonym as the lake stores it, a 64-bit integer
        assert str(key.pseudonym(u)) not in text


def test_an_audit_line_is_one_json_object_with_the_filters() -> None:
    f = Filters(regions=("CN-NM",), as_of=handbuilt.AS_OF, partner="Desert Green")
    text = audit.line(
        "download",
        identity="ann@desert.example",
        role="partner:Desert Green",
        page="projects",
        filters=vars(f),
        file="greenstats-projects.csv",
        rows=2,
    )
    record = json.loads(text)
    assert "\n" not in text
    assert record["filters"]["regions"] == ["CN-NM"]
    assert record["filters"]["partner"] == "Desert Green"
    assert record["file"] == "greenstats-projects.csv"
    assert record["rows"] == 2
    with pytest.raises(ValueError, match="unknown audit event"):
        audit.line("viewed", identity=None, role="open")


@pytest.mark.parametrize("users", [K_ANONYMITY - 1, K_ANONYMITY, K_ANONYMITY + 1])
def test_a_partner_sees_a_count_of_people_only_from_k(
    signed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, users: int
) -> None:
    """The "< k" rule and the rounding hold for a partner's view too: Xizang with k − 1, k and
    k + 1 users."""
    folder = handbuilt.write(tmp_path / "input")
    rows = "".join(
        f"xz{i},tibet-user-{i},2025-05-01 10:00,walking,CN-XZ,100,\n" for i in range(users)
    )
    (folder / "actions" / "2025-05-xizang.csv").write_text(
        "event_id,user_id,occurred_at,action,region,energy_g,brand_id\n" + rows, encoding="utf-8"
    )
    monkeypatch.setenv(pseudonym.ENV_VAR, "a-fixed-key-for-this-test-only")  # one sketch
    db = tmp_path / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    monkeypatch.setenv("GREENSTATS_DB", str(db))
    shown = {}
    for who in (DESERT, PANDA, EXEC):
        at = signed(who, period="All time", region="Xizang")
        shown[who["sub"]] = next(m.value for m in at.metric if m.label == "Active users")
    # One answer for everyone (the same question), and it is the count as the rule shows it.
    assert len(set(shown.values())) == 1, shown
    assert set(shown.values()) <= people_shown(users), shown


def test_the_example_access_file_is_valid_and_grants_what_it_says() -> None:
    grants = access.read_grants(ROOT / ".streamlit" / "access.example.toml")

    def role(subject: str, email: str | None = None) -> Role | None:
        return grants.role_for(Identity(subject, email, email_verified=email is not None))

    assert role("s-1", "director@program.example.org") == Role("executive")
    assert role("s-2", "ops@program.example.org") == Role("manager")
    assert role("248289761001") == Role("partner", "Blue Shore Marine Conservancy")


def _xizang_events(folder: Path, counts: dict[str, int]) -> None:
    """`counts[day]` distinct users acting in Xizang on that day (each user once)."""
    rows = "".join(
        f"xz-{day}-{i},tibet-{day}-{i},{day} 10:00,walking,CN-XZ,100,\n"
        for day, n in counts.items()
        for i in range(n)
    )
    (folder / "actions" / "xizang.csv").write_text(
        "event_id,user_id,occurred_at,action,region,energy_g,brand_id\n" + rows, encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("now", "before"),
    [
        (12, K_ANONYMITY - 1), (12, K_ANONYMITY), (12, K_ANONYMITY + 1),  # the previous count
        (K_ANONYMITY - 1, 15), (K_ANONYMITY, 15), (K_ANONYMITY + 1, 15),  # this period's
    ],
)  # fmt: skip
def test_a_change_of_users_is_shown_only_when_neither_count_is_under_k(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: int, before: int
) -> None:
    """A change with its current count gives the previous one: −80% of 15 is 3. Shown only
    when both counts are k or more, as the change of the two counts shown (rounded); as a
    partner sees it, too."""
    folder = handbuilt.write(tmp_path / "input")
    _xizang_events(folder, {"2026-06-20": before, "2026-06-27": now})
    monkeypatch.setenv(pseudonym.ENV_VAR, "a-fixed-key-for-this-test-only")
    db = tmp_path / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    week = Filters(date_from=date(2026, 6, 24), date_to=date(2026, 6, 30),
                   regions=("CN-XZ",), as_of=handbuilt.AS_OF)  # fmt: skip
    with Warehouse(db).open_snapshot() as r:
        for role in (Role("executive"), Role("partner", "Desert Green")):
            narrowed = access.narrow(week, role)
            data = overview.load(r, narrowed, "en")
            card = next(c for c in data.cards if c.key == "users_active")
            assert card.value in people_shown(now), (role, card)
            if min(now, before) < K_ANONYMITY:
                assert card.delta is None, (role, card)
            else:  # the change of the two counts as shown: it gives away nothing more
                shown = headline.page_summary(r, narrowed.comparison_period())["users_active"]
                assert fmt.people(shown) in people_shown(before)
                change = int(card.value) / shown - 1
                assert card.delta == fmt.percent_change(change, "en"), (role, card)
