"""The Streamlit frame (pages import it as `ui`): the data door `cached(fn, *args)` keyed by
the snapshot's identity, the language, the filter bar bound to the URL, and the drawing of what
a screen returns (cards, charts with their sentence and CSV, tables, empty states).

Pages arrange: they pass a screen's `load` to `cached` and draw its blocks, never SQL.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from greenstats.data import audit, sessions
from greenstats.data.contract import REGION_CODES
from greenstats.data.warehouse import (
    Reader,
    Snapshot,
    Warehouse,
    WarehouseError,
)
from greenstats.metrics import access, identity
from greenstats.metrics.access import AccessFileError, Grants, Role
from greenstats.metrics.filters import PERIODS, Filters, period_bounds, today_cst
from greenstats.metrics.identity import Identity
from greenstats.metrics.queries import base, naming, program
from greenstats.ui import charts, fmt, geo, server
from greenstats.ui.blocks import Attention, Card, Chart, Markdown, Table, is_empty
from greenstats.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, collated, t

P = ParamSpec("P")
T = TypeVar("T")
_log = logging.getLogger("greenstats.access")

# --- language ---------------------------------------------------------------------------------


def lang() -> str:
    """The language the reader chose (English by default)."""
    value = st.session_state.get("lang") or DEFAULT_LANGUAGE
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def tr(key: str, **values: object) -> str:
    """UI text in the reader's language."""
    return t(key, lang(), **values)


# --- data ---------------------------------------------------------------------------------------


@st.cache_resource(max_entries=3, show_spinner=False)
def _reader(key: str, _snap: Snapshot) -> Reader:
    return Warehouse().open_snapshot(_snap)


def broken(exc: WarehouseError) -> NoReturn:
    """A warehouse that cannot be read (damaged, missing, not a folder): say what happened and
    what to do, in the sentence the command line prints, instead of a traceback."""
    st.error(md(str(exc)), icon=":material/error:")
    st.stop()


def pin_snapshot() -> Snapshot:
    """Read CURRENT once at the start of a run (dashboard.py): every read of this run then comes
    from that one snapshot, so a page never mixes two, and the next run sees a new one."""
    try:
        snap = Warehouse().require_current()
    except WarehouseError as exc:
        broken(exc)
    st.session_state["_snapshot"] = snap
    st.session_state["_pinned_by_app"] = True
    return snap


def snapshot() -> Snapshot:
    """The snapshot this run reads (pinned by dashboard.py; the published one otherwise)."""
    try:
        return st.session_state.get("_snapshot") or Warehouse().require_current()
    except WarehouseError as exc:
        broken(exc)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_call(_fn: Callable[..., Any], name: str, key: str, _snap: Snapshot, role: str,
                 args: tuple) -> Any:  # fmt: skip
    return _fn(_reader(key, _snap), *args)


def cached(fn: Callable[Concatenate[Reader, P], T], *args: P.args) -> T:
    """`fn(reader, *args)` on this run's snapshot, cached by the function's qualified name,
    the snapshot's identity, the viewer's role and the arguments: pages pass the function
    itself (e.g. a screen's `load`), so go-to-definition leads from a page to its SQL. A
    lookup that depends on the snapshot alone takes no filters: `cached(naming.brand_ids)`.

    This is the only door to the data, so the role is enforced here: every Filters passed is
    narrowed to the role (a partner's carry its name into the SQL), and a result cached for
    one role is never served to another."""
    role = current_role()
    args = tuple(access.narrow(a, role) if isinstance(a, Filters) else a for a in args)
    snap = snapshot()
    name = f"{fn.__module__}.{fn.__qualname__}"
    try:
        return _cached_call(fn, name, snap.key, snap, role.label, args)
    except WarehouseError as exc:
        broken(exc)


# --- who is looking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking: how the audit log names them (their verified email, else `sub:` and their
    OIDC subject; None when sign-in is not set up), the name to greet, the role the access file
    grants, and the identity read from the provider's claims."""

    identity: str | None
    name: str | None
    role: Role
    who: Identity | None = None


def sign_in_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an [auth] section: Streamlit then gives `st.user`
    an `is_logged_in` key (False until the visitor signs in)."""
    return "is_logged_in" in st.user


def current_role() -> Role:
    """The role this run reads with (dashboard.py set it); with sign-in configured and no viewer
    yet, nothing is read."""
    found = st.session_state.get("_viewer")
    if isinstance(found, Viewer):
        return found.role
    if sign_in_configured():
        st.stop()
    return access.OPEN


@st.cache_resource(max_entries=4, show_spinner=False)
def _read_grants(path: str, stamp: tuple) -> Grants | AccessFileError:
    try:
        return access.read_grants(Path(path))
    except AccessFileError as exc:
        return exc


def _grants() -> Grants | AccessFileError:
    """The access file, read again whenever it changes (by its size, time and inode)."""
    path = access.access_path()
    try:
        st_ = path.stat()
        stamp: tuple = (st_.st_mtime_ns, st_.st_size, st_.st_ino)
    except OSError:
        stamp = ()
    return _read_grants(str(path), stamp)


def _audit_context() -> dict[str, Any]:
    """This run's identity (and its subject and normalised email), role, page and filters, as
    an audit line records them."""
    found = st.session_state.get("_viewer")
    who = st.session_state.get("_who")
    f = st.session_state.get("filters")
    return {
        "identity": who.label if isinstance(who, Identity) else None,
        "subject": who.subject if isinstance(who, Identity) else None,
        "email": who.email if isinstance(who, Identity) else None,
        "role": found.role.label if isinstance(found, Viewer) else "none",
        "page": st.session_state.get("_page"),
        "filters": vars(f) if isinstance(f, Filters) else None,
    }


def audit_event(event: str, **detail: Any) -> None:
    """Append to the audit log with this run's identity, role, page and filters."""
    audit.record(event, **_audit_context(), **detail)


def _once(key: str, event: str, **detail: Any) -> bool:
    """Audit an event once per browser session for the same key (a rerun does not repeat it);
    whether it was written now."""
    done = st.session_state.setdefault("_audited", set())
    if key in done:
        return False
    done.add(key)
    audit_event(event, **detail)
    return True


def viewer() -> Viewer:
    """Who is looking and what they may see (dashboard.py, before anything is read).

    With sign-in not configured (the local demo) everyone is `open`. Otherwise a visitor who
    is not signed in gets the sign-in page only, as does one whose sign-in ended (signed out, or
    older than GREENSTATS_SESSION_HOURS: data/sessions.py); claims the provider sent malformed
    (identity.parse) get a page saying the sign-in was refused; a signed-in identity with no
    role, or any identity while the access file is invalid, gets a page saying so; the run
    stops there, with no page list, figure or download.
    """
    st.session_state.pop("_viewer", None)
    st.session_state.pop("_who", None)
    if not sign_in_configured():
        found = Viewer(None, None, access.OPEN)
        st.session_state["_viewer"] = found
        return found
    if not st.user.get("is_logged_in"):
        _only(_sign_in_page, "access.sign_in_title")
    who = _who()
    grants = _grants()
    if isinstance(grants, AccessFileError):
        _log.error("access refused to everyone: %s", grants)
        _once(f"closed:{grants}", "denied", reason="access file invalid", detail=grants.public)
        st.session_state["_closed"] = grants.public
        _only(_closed_page, "access.closed_title")
    role = grants.role_for(who)
    if role is None:
        _once(f"norole:{who.label}", "denied", reason="no role")
        _only(_no_role_page, "access.no_role_title")
    found = Viewer(who.label, who.name, role, who)
    st.session_state["_viewer"] = found
    key = f"sign_in:{who.sign_in}:{role.label}"
    if key not in st.session_state.setdefault("_audited", set()):
        # One sign_in per sign-in: another browser session of the same cookie resumes it.
        first = sessions.first_session(who.sign_in, who.subject)
        _once(key, "sign_in" if first else "session_resumed")
    return found


@st.cache_data(show_spinner=False, max_entries=4)
def _partners_of(key: str, _snap: Snapshot) -> set[str]:
    """Every partner of a snapshot, unscoped: what the access file is checked against (never
    shown)."""
    try:
        with Warehouse().open_snapshot(_snap) as r:
            return set(program.partners(r, Filters()))
    except WarehouseError as exc:
        broken(exc)


def check_partners(found: Viewer) -> None:
    """With sign-in on, an access file naming a partner the published snapshot does not have
    (a typo) closes every page, as any malformed entry does (dashboard.py, once a snapshot is
    pinned)."""
    if found.role.name == "open":
        return
    grants = _grants()
    if isinstance(grants, AccessFileError):
        return
    snap = snapshot()
    try:
        access.check_partners(grants, _partners_of(snap.key, snap), str(access.access_path()))
    except AccessFileError as exc:
        _log.error("access refused to everyone: %s", exc)
        _once(f"closed:{exc}", "denied", reason="access file invalid", detail=exc.public)
        st.session_state["_closed"] = exc.public
        _only(_closed_page, "access.closed_title")


def _who() -> Identity:
    """The signed-in identity, read strictly from the provider's claims; a refused claim set
    or an ended sign-in stops the run on a page saying so."""
    try:
        who = identity.parse(st.user)
    except identity.ClaimsRefusedError as exc:
        _log.warning("sign-in refused: %s", exc)
        subject = st.user.get("sub")
        _once(f"claims:{exc}", "denied", reason="claims refused", detail=str(exc),
              claimed_subject=subject if isinstance(subject, str) else None)  # fmt: skip
        st.session_state["_refused"] = exc.claim
        _only(_refused_page, "access.refused_title")
    st.session_state["_who"] = who
    try:
        why = sessions.ended(who.subject, who.issued_at)
    except sessions.SessionSettingError as exc:
        _log.error("access refused to everyone: %s", exc)
        st.session_state["_closed"] = str(exc)
        _only(_closed_page, "access.closed_title")
    if why is not None:
        _once(f"ended:{who.sign_in}", "denied", reason=f"sign-in {why}")
        st.session_state["_ended"] = why
        _only(_sign_in_page, "access.sign_in_title")
    return who


def audit_page_refused(found: Viewer, pages: Iterable[str]) -> None:
    """A signed-in viewer's link named a page their role does not have (Streamlit then shows
    "page not found" and runs the Overview): a refused access in the audit log."""
    if found.role.name == "open":
        return
    asked = urlsplit(st.context.url or "").path.rstrip("/").rpartition("/")[2]
    if asked in set(pages) and not found.role.may_open(asked):
        _once(f"page:{asked}", "denied", reason="page not offered to this role", asked=asked)


def _only(page: Callable[[], None], title_key: str) -> NoReturn:
    """Run one page and nothing else: no page list, no filter bar. Whatever page the link
    asked for, this page answers it (Streamlit's "page not found" dialog never shows)."""
    title = tr(title_key)
    only = [st.Page(page, title=title, default=True)]
    only += [st.Page(page, title=title, url_path=p, visibility="hidden") for p in asked_paths()]
    st.navigation(only, position="hidden").run()
    st.stop()


def asked_paths(known: Iterable[str] = ()) -> list[str]:
    """The page a link asked for (the last segment of its path, as sent and decoded), when it
    is none of `known`: a hidden page is registered under it, so that the app answers it in its
    own words instead of Streamlit's "page not found" dialog."""
    raw = urlsplit(st.context.url or "").path.rstrip("/").rpartition("/")[2]
    found = []
    for path in dict.fromkeys((raw, unquote(raw))):
        if path.strip() and "/" not in path and path not in set(known) and path == path.strip():
            found.append(path)
    return found


def elsewhere_pages(found: Viewer, names: Iterable[str], overview_script: str,
                    overview_title: str) -> list:  # fmt: skip
    """Hidden pages for every link that is no page of the viewer's (dashboard.py; `names`: every
    page's url path): a page their role has not (the app's sentence why), `/overview` (the
    Overview, whose address is `/`), any other path (the app's "no such page")."""
    names = list(names)
    hidden = [
        st.Page(_not_offered_page, title=tr("access.not_offered_title"), url_path=name,
                visibility="hidden")
        for name in names if not found.role.may_open(name)
    ]  # fmt: skip

    # The Overview's own script under its name too (it has no switch: the filters of a link
    # are bound to the bar's widgets, which st.switch_page may neither clear nor pass on).
    hidden.append(st.Page(overview_script, title=overview_title, url_path="overview",
                          visibility="hidden"))  # fmt: skip
    known = {*names, "overview"}
    hidden += [st.Page(_no_such_page, title=tr("page.none_title"), url_path=p, visibility="hidden")
               for p in asked_paths(known)]  # fmt: skip
    return hidden


def _not_offered_page() -> None:
    st.title(tr("access.not_offered_title"))
    found = st.session_state.get("_viewer")
    role = role_words(found.role) if isinstance(found, Viewer) else ""
    st.info(md(tr("access.not_offered", role=role)), icon=":material/lock:")


def _no_such_page() -> None:
    st.title(tr("page.none_title"))
    asked = (asked_paths() or [""])[-1]
    st.info(tr("page.none", asked=md(asked)), icon=":material/explore_off:")


def _sign_in_page() -> None:
    st.title(tr("access.sign_in_title"))
    ended = st.session_state.get("_ended")
    if ended in ("signed out", "expired"):
        words = tr(f"access.ended.{ended.replace(' ', '_')}", hours=f"{sessions.max_hours():g}")
        st.info(words, icon=":material/schedule:")
    st.markdown(tr("access.sign_in_body"))
    if st.button(tr("access.sign_in"), type="primary", icon=":material/login:"):
        st.login()


def _sign_out_button(key: str) -> None:
    """Sign out: audited, and every sign-in of this subject issued until now ends on the server
    (a copy of the cookie no longer opens anything), then Streamlit's own sign-out."""
    if st.button(tr("access.sign_out"), key=key, icon=":material/logout:", type="secondary"):
        audit_event("sign_out")
        who = st.session_state.get("_who")
        if isinstance(who, Identity):
            sessions.record_sign_out(who.subject)
        st.logout()


def _no_role_page() -> None:
    st.title(tr("access.no_role_title"))
    who = st.session_state.get("_who")
    label = who.label if isinstance(who, Identity) else ""
    st.warning(md(tr("access.no_role", who=label)), icon=":material/lock:")
    _sign_out_button("sign-out-no-role")


def _refused_page() -> None:
    st.title(tr("access.refused_title"))
    claim = st.session_state.get("_refused", "")
    st.error(tr("access.refused", claim=md(claim)), icon=":material/lock:")
    _sign_out_button("sign-out-refused")


def _closed_page() -> None:
    st.title(tr("access.closed_title"))
    st.error(md(tr("access.closed", problem=st.session_state.get("_closed", ""))),
             icon=":material/lock:")  # fmt: skip
    _sign_out_button("sign-out-closed")


def role_words(role: Role) -> str:
    if role.partner is not None:
        return tr("access.role.partner", partner=role.partner)
    return tr(f"access.role.{role.name}")


def account(found: Viewer) -> None:
    """The sidebar's account line: who is signed in, as what, and one-click sign-out."""
    if found.role.name == "open":
        return
    who = found.name or found.identity or ""
    st.sidebar.caption(md(tr("access.signed_in_as", who=who, role=role_words(found.role))))
    with st.sidebar:
        _sign_out_button("sign-out")


def access_banner(found: Viewer) -> None:
    """Every page says when access is not restricted, and a partner what their view covers."""
    if found.role.name == "open":
        badge, text = f":gray-badge[:material/lock_open: {tr('access.open_badge')}]", "access.open"
    elif found.role.partner is not None:
        badge = f":green-badge[:material/filter_alt: {md(role_words(found.role))}]"
        text = "access.partner_scope"
    else:
        return
    with st.container(key="access-banner"):
        st.markdown(f"{badge} :small[{md(tr(text, partner=found.role.partner or ''))}]")


def info() -> dict[str, str]:
    """The published snapshot's metadata."""
    return cached(base.snapshot_info)


def ensure_warehouse() -> None:
    """On first start, until the demo warehouse is published: its build's progress in plain
    words, and nothing else (no page list, no filter). The build is the one the server started
    (app.py), or, when none did (a script run without app.py), one started here: never two."""
    from greenstats.data.bootstrap import start_demo_build

    warehouse = Warehouse()
    try:
        if warehouse.current() is not None:
            return
        build = start_demo_build(warehouse.root)
    except WarehouseError as exc:
        broken(exc)
    if build is None:  # published between the two looks
        return
    if build.error:
        st.error(md(tr("app.build_failed", message=build.error)), icon=":material/error:")
        st.stop()
    st.info(tr("app.first_start", events=fmt.number(build.events, lang())))
    _build_progress(build)
    st.stop()


@st.fragment(run_every=1.0)
def _build_progress(build: Any) -> None:
    """The build's bar, redrawn every second; the whole page runs again once it is done."""
    from greenstats.ui.words import build_progress

    try:
        published = Warehouse(build.warehouse.root).current() is not None
    except WarehouseError:
        published = False
    if published or (build.finished and not build.elsewhere):
        st.rerun(scope="app")
    if build.elsewhere:
        st.info(tr("app.building_elsewhere"))
        return
    progress = build.progress
    st.progress(min(progress.share, 1.0), text=build_progress(progress, lang()))


STYLE = """
<style>
/* greenstats: tighter top of page, headline figures that fit their cards. */
.block-container { padding-top: 4.2rem; }
h1 { font-size: 2.1rem !important; padding-top: 0.2rem !important; }
[data-testid="stMetricValue"] { font-size: 1.85rem; }
.st-key-demo-banner, .st-key-access-banner { margin-bottom: -0.6rem; }
[class*="st-key-phone-"] { display: none; }
/* Cards of one row share a height; long labels wrap instead of being cut. */
.st-key-kpis [data-testid="stColumn"] > [data-testid="stVerticalBlock"]
  > [data-testid="stLayoutWrapper"],
.st-key-kpis [data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"] { flex: 1 1 auto; }
[data-testid="stMetricLabel"] p { white-space: normal; overflow: visible; text-overflow: clip; }
@media (max-width: 640px) {
  h1 { font-size: 1.6rem !important; }
  [data-testid="stMetricValue"] { font-size: 1.35rem; }
  /* Tables with a phone layout: the wide one on a desktop, the short one on a phone. */
  [class*="st-key-wide-"] { display: none; }
  [class*="st-key-phone-"] { display: block; }
  /* Headline cards two to a row on a phone. */
  .st-key-kpis [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  .st-key-kpis [data-testid="stColumn"] {
    min-width: calc(50% - 0.25rem) !important; flex: 1 1 calc(50% - 0.25rem) !important;
  }
}
</style>
"""


def style() -> None:
    """The app's small stylesheet (static: no data ever goes into it)."""
    st.html(STYLE)


def demo_banner() -> None:
    """Say plainly when the figures come from the synthetic demo data set."""
    if info().get("demo") == "true":
        with st.container(key="demo-banner"):
            st.markdown(f":orange-badge[:material/science: {tr('app.demo_badge')}] "
                        f":small[{tr('app.demo_banner')}]")  # fmt: skip


# --- names for codes --------------------------------------------------------------------------


def region_label(code: str) -> str:
    return geo.region_name(code, lang())


def names(kind: str) -> dict[str, str]:
    """Display names for the codes of a reference table ('actions', 'species', 'projects')."""
    frames = cached(naming.name_table, kind)
    col = "name_zh" if lang() == "zh" else "name_en"
    return dict(zip(frames["code"], frames[col], strict=True))


def vocab(group: str, code: object) -> str:
    """A fixed vocabulary word (habitat, kind, category, IUCN category, taxon group, status)."""
    from greenstats.ui.words import vocab as word

    return word(group, code, lang())


# --- the filter bar ---------------------------------------------------------------------------

DEFAULT_PERIOD = "this-year"
FILTER_KEYS = ("region", "action", "brand", "project", "species")


LANGUAGE_LABELS = {"en": "English", "zh": "中文"}


def _options() -> dict[str, dict[str, str]]:
    """Every filter's options: code → the label shown, which is also what the URL carries;
    sorted by label in the reader's language (regions by pinyin in Chinese)."""
    projects = names("projects")
    role = current_role()
    if role.partner is not None:  # a partner picks among its own projects only
        own = set(cached(program.projects, Filters())["project_id"])
        projects = {code: name for code, name in projects.items() if code in own}
    options = {
        "region": {c: region_label(c) for c in REGION_CODES},
        "action": names("actions"),
        "brand": {b: b for b in cached(naming.brand_ids)},
        "project": {c: f"{n} · {c}" for c, n in projects.items()},
        "species": names("species"),
    }
    ordered = {"period": {p: tr(f"period.{p}") for p in PERIODS}}
    for key, labels in options.items():
        ordered[key] = {code: labels[code] for code in collated(labels, lang())}
    return ordered


def _check_link(options: dict[str, dict[str, str]]) -> None:
    """Read the link before the widgets do: a value no widget accepts is ignored by Streamlit;
    say which, so a mistyped or outdated link is never silently half-applied.

    A bound widget's URL value is its label (in the link's own language, which the link
    carries as `lang`), so links read naturally: ?lang=en&region=Guangdong&period=Last+30+days.
    """
    # The language switch ran first and dropped an unknown `lang`: it kept the value for here.
    ignored = [
        tr("link.ignored_value", field=tr("filter.lang"), value=v)
        for v in st.session_state.pop("_lang_ignored", [])
    ]
    # Only a value that came with the link: once a filter's widget exists, its value is the
    # reader's, and the link may still hold it in the words of the language just left (the
    # widgets write it again in the new one as they run: _relabel_link).
    for key, labels in options.items():
        if key in st.session_state:
            continue
        accepted = set(labels.values())
        refused = [v for v in st.query_params.get_all(key) if v and v not in accepted]
        _audit_refused(key, refused)
        ignored += [tr("link.ignored_value", field=tr(f"filter.{key}"), value=v) for v in refused]
    for key in ("from", "to"):
        if key in st.session_state:
            continue
        for value in st.query_params.get_all(key):
            try:
                date.fromisoformat(value)
            except ValueError:
                ignored.append(tr("link.ignored_value", field=tr(f"filter.{key}"), value=value))
    if ignored:
        st.session_state["link_notice"] = ignored


def _clear_notice() -> None:
    st.session_state.pop("link_notice", None)


def language_switch() -> None:
    """English / 中文, kept in the URL so a shared link opens in the same language."""
    if "lang" not in st.session_state:  # the link's value, read before the switch drops it
        st.session_state["_lang_ignored"] = [
            v for v in st.query_params.get_all("lang") if v and v not in LANGUAGE_LABELS.values()
        ]
    st.sidebar.segmented_control(
        "Language · 语言", list(LANGUAGES), default=DEFAULT_LANGUAGE, key="lang",
        bind="query-params", format_func=LANGUAGE_LABELS.get, required=True,
        on_change=_relabel_link,
    )  # fmt: skip


def _relabel_link() -> None:
    """After a language switch, write the filters into the link again in the new language.

    The link carries each filter as its label; without this it would keep the old language's
    labels ('period=All+time' beside 'lang=中文'), which the next page or a reload would no
    longer recognise. Assigning a bound widget's own value makes Streamlit rewrite its URL
    value with this run's labels; the chosen codes are unchanged.
    """
    for key in ("period", "from", "to", *FILTER_KEYS):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def filter_bar(applies: Iterable[str]) -> Filters:
    """The one filter bar, in the sidebar on every page and bound to the URL.

    Filters that do not apply to the page stay in the bar so the link keeps them: disabled,
    folded away under "Kept for the other pages" (the Projects page's own picker never stands
    beside a greyed-out Projects filter).
    """
    applies = set(applies)
    options = _options()
    _check_link(options)
    latest = _latest_day()
    side = st.sidebar
    side.markdown(f"**{tr('filter.heading')}**")
    here = side.container()
    if not applies:
        here.caption(tr("filter.none_here"))
    kept = side.expander(tr("filter.elsewhere")) if {"period", *FILTER_KEYS} - applies else None

    def place(key: str) -> Any:
        return here if key in applies else kept

    # The default period, until the widget has a value: once it has one, index 0 says "no
    # default" (a keyed widget's identity is its key), so that _relabel_link may set the value
    # again without Streamlit's warning of a default beside a value set through session state.
    default = 0 if "period" in st.session_state else PERIODS.index(DEFAULT_PERIOD)
    period = place("period").selectbox(
        tr("filter.period"), PERIODS, index=default, key="period",
        bind="query-params", format_func=options["period"].get,
        disabled="period" not in applies, on_change=_clear_notice,
        help=_help("period", applies),
    )  # fmt: skip
    lo, hi = period_bounds(period, latest)
    if period == "custom":  # the dates are only part of the link for a custom period
        col_from, col_to = place("period").columns(2)
        lo = col_from.date_input(
            tr("filter.from"), value=None, key="from", bind="query-params", format="YYYY-MM-DD",
            min_value=date(2010, 1, 1), max_value=date(2100, 1, 1), on_change=_clear_notice,
            disabled="period" not in applies,
        )  # fmt: skip
        hi = col_to.date_input(
            tr("filter.to"), value=None, key="to", bind="query-params", format="YYYY-MM-DD",
            min_value=date(2010, 1, 1), max_value=date(2100, 1, 1), on_change=_clear_notice,
            disabled="period" not in applies,
        )  # fmt: skip
        if lo and hi and lo > hi:
            lo, hi = hi, lo
    chosen: dict[str, tuple[str, ...]] = {}
    for key in FILTER_KEYS:
        values = place(key).multiselect(
            tr(f"filter.{key}"), list(options[key]), key=key, bind="query-params",
            format_func=options[key].get, disabled=key not in applies,
            placeholder=tr("filter.all"), on_change=_clear_notice, help=_help(key, applies),
        )  # fmt: skip
        chosen[key] = tuple(values) if key in applies else ()
    if "period" not in applies:
        lo = hi = None
    asked = Filters(
        date_from=lo, date_to=hi, regions=chosen["region"], actions=chosen["action"],
        brands=chosen["brand"], projects=chosen["project"], species=chosen["species"],
        as_of=today_cst(),
    )  # fmt: skip
    return access.narrow(asked, current_role())


def _help(key: str, applies: set[str]) -> str | None:
    return None if key in applies else tr("filter.not_here")


def _latest_day() -> date:
    latest = info().get("latest_event_day")
    return date.fromisoformat(latest) if latest else today_cst()


def check_choice(key: str, label: str, accepted: Iterable[str]) -> None:
    """Before a page's own widget bound to the link (Actions' grain, Projects' partner): name
    a value of the link that the widget will drop, as the filter bar does for its own. Only
    a value that came with the link: once the widget exists, its value is the reader's."""
    if key in st.session_state:
        return
    accepted = set(accepted)
    refused = [v for v in st.query_params.get_all(key) if v and v not in accepted]
    _audit_refused(key, refused)
    _ignored_notice([tr("link.ignored_value", field=label, value=v) for v in refused])


def _audit_refused(key: str, values: list[str]) -> None:
    """A signed-in viewer's link asked for values their role does not offer (another partner,
    a project not theirs) or that do not exist: each is a refused access in the audit log."""
    if values and current_role().name != "open":
        for value in values:
            _once(f"link:{key}:{value}", "denied", reason="link value refused", field=key,
                  value=value[:200])  # fmt: skip


def _ignored_notice(ignored: list[str]) -> None:
    """Name the link's values that were ignored (never an error); they come from the link, so
    they show as the characters they are, never as markup."""
    if ignored:
        st.info(md(tr("link.ignored", values="; ".join(ignored))), icon=":material/link_off:")


def link_notice() -> None:
    """Tell the reader which values of the link were ignored (never an error)."""
    _ignored_notice(st.session_state.get("link_notice") or [])


def filter_words(f: Filters, applies: Iterable[str]) -> str:
    """The filters in words, e.g. '1 Jan – 27 Nov 2026 · Inner Mongolia, Gansu'."""
    applies = set(applies)
    parts = []
    if "period" in applies:
        parts.append(period_words(f.date_from, f.date_to))
    for key, values, label in (
        ("region", f.regions, region_label),
        ("action", f.actions, names("actions").get),
        ("brand", f.brands, str),
        ("project", f.projects, names("projects").get),
        ("species", f.species, names("species").get),
    ):
        if key in applies:
            parts.append(
                ", ".join(label(v) or v for v in values) if values else tr(f"filter.all_{key}")
            )
    return " · ".join(parts)


def period_words(lo: date | None, hi: date | None) -> str:
    """A period as a reader says it."""
    if lo is None and hi is None:
        return tr("period.all_time")
    return tr("period.range", start=day_words(lo) if lo else "…", end=day_words(hi) if hi else "…")


def day_words(d: date) -> str:
    if lang() == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%-d %b %Y")


# --- cards, charts, tables, downloads --------------------------------------------------------


def kpi(
    column: Any,
    label_key: str,
    value: str,
    *,
    note: str = "",
    help_text: str | None = None,
    change: tuple[float, float | None] | None = None,
    against: str = "",
    inverse: bool = False,
) -> None:
    """One headline card: label, value with unit, a note (range or exact), change vs before."""
    delta = None
    if change is not None:
        _, relative = change
        delta = fmt.percent_change(relative, lang()) if relative is not None else None
    with column.container(border=True):
        st.metric(
            tr(label_key), value, delta=delta, delta_color="inverse" if inverse else "normal",
            help=help_text, delta_description=against or None,
        )  # fmt: skip
        st.caption(note or "\u00a0")


def plotly(fig: go.Figure, key: str) -> None:
    """A chart, full width, without the Plotly logo, responsive on phones."""
    st.plotly_chart(
        charts.sanitize(fig), width="stretch", key=key,
        config={"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]},
    )  # fmt: skip


def _made_on_click(make: Callable[[], bytes], file_name: str, **detail: Any) -> Callable[[], bytes]:
    """A download's file, made only when its button is clicked: audited then, with what this
    run shows (the click runs outside any run), and issued to this sign-in, so that the server
    gives it to no one else (ui/server.py). The button asks for no rerun (`on_click="ignore"`):
    a rerun would replace the file's placeholder while the browser still asks for it."""
    context = _audit_context()
    who = st.session_state.get("_who")
    sign_in = who.sign_in if isinstance(who, Identity) else None

    def run() -> bytes:
        data = make()
        if sign_in is not None:
            server.issue(sign_in, data)
        audit.record("download", **context, file=file_name, **detail)
        return data

    return run


def download(frame: pd.DataFrame, name: str, label: str | None = None) -> None:
    """A CSV of exactly what is shown, safe to open in Excel or WPS, made when clicked."""
    file_name = f"greenstats-{name}.csv"
    made = _made_on_click(lambda: csv_bytes(frame), file_name, rows=len(frame))
    st.download_button(
        label or tr("download.csv"), data=made, file_name=file_name, mime="text/csv",
        key=f"download-{name}", icon=":material/download:", width="content", type="tertiary",
        on_click="ignore",
    )  # fmt: skip


def download_pdf(fn: Callable[Concatenate[Reader, P], bytes], *args: P.args, name: str,
                 label: str, unavailable: str | None = None) -> None:  # fmt: skip
    """A PDF report made only when asked (`fn(reader, *args)`, e.g. reports.documents.brief):
    the button's data is a callable Streamlit runs on the click. Through the same door as
    `cached`: the Filters are narrowed to the viewer's role and the run's snapshot is read, both
    fixed now, since the callable runs outside this run. The click is audited like a CSV's
    (`_made_on_click`).
    With `unavailable` (why no report can be made here), a disabled button and the reason."""
    if unavailable:  # a missing font or Chromium: say why, rather than fail on the click
        st.button(label, key=f"pdf-{name}", icon=":material/picture_as_pdf:", disabled=True,
                  help=md(unavailable))  # fmt: skip
        st.caption(md(tr("report.unavailable", reason=unavailable)))
        return
    role = current_role()
    args = tuple(access.narrow(a, role) if isinstance(a, Filters) else a for a in args)
    snap = snapshot()

    def make() -> bytes:
        with Warehouse().open_snapshot(snap) as r:
            return fn(r, *args)

    file_name = f"greenstats-{name}.pdf"
    st.download_button(
        label, data=_made_on_click(make, file_name), file_name=file_name,
        mime="application/pdf", key=f"pdf-{name}", icon=":material/picture_as_pdf:",
        width="content", type="secondary", on_click="ignore",
    )  # fmt: skip


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM (so Excel reads Chinese), formula-like cells neutralised."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(fmt.csv_safe)
        elif pd.api.types.is_float_dtype(safe[col]):
            safe[col] = fmt.column_digits(safe[col])
    return safe.to_csv(index=False).encode("utf-8-sig")


def page_filters() -> tuple[Filters, set[str]]:
    """The filters dashboard.py read from the bar for this page, and which of them apply here."""
    if "filters" not in st.session_state:
        # Only when the first request a freshly started server gets is a link to a page:
        # until dashboard.py has called st.navigation once, Streamlit runs a file of pages/ alone
        # (its legacy mode). Record what st.navigation would, and run the same request again,
        # through dashboard.py, with the link untouched.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    if not st.session_state.pop("_pinned_by_app", False):
        pin_snapshot()  # the page runs alone (a rerun of its own file): pin for this run
        st.session_state.pop("_pinned_by_app")
    return st.session_state["filters"], st.session_state["applies"]


def page_header(title_key: str, f: Filters, applies: Iterable[str], note: str = "") -> None:
    """The page title and the filters in words, under which everything on the page is."""
    st.title(tr(title_key))
    words = filter_words(f, applies) if applies else ""
    if words or note:
        st.caption(md(" · ".join(p for p in (words, note) if p)))
    link_notice()


def empty(message_key: str) -> None:
    st.info(tr(message_key), icon=":material/info:")


# --- drawing what a screen built ---------------------------------------------------------------


def md(text: object) -> str:
    """Text for an element that reads markdown: a screen's `Markdown` as written, anything
    else (a sentence with names from the data, a value from the link) escaped to show as the
    characters it holds."""
    return text if isinstance(text, Markdown) else fmt.escape_md(text)


def say(text: object) -> None:
    """A sentence or paragraph."""
    if text:
        st.markdown(md(text))


def note(text: object) -> None:
    """A small grey note."""
    if text:
        st.caption(md(text))


def notice(text: object) -> None:
    """A blue notice: what is missing, and what to do."""
    st.info(md(text), icon=":material/info:")


def heading(text: object) -> None:
    st.subheader(md(text))


def attention(block: Attention) -> None:
    """The "Needs attention" block: how many, the first few in a red (critical) or amber
    (warning) box, the rest listed under an expander; or the sentence that says nothing needs
    attention."""
    heading(block.title)
    if not block.items:
        st.success(md(block.empty), icon=":material/check_circle:")
        return
    if block.summary:
        say(block.summary)
    for item in block.items[: block.shown]:
        if item.severity == "critical":
            st.error(md(item.text), icon=":material/error:")
        else:
            st.warning(md(item.text), icon=":material/warning:")
    rest = block.items[block.shown :]
    if rest:
        with st.expander(tr("attention.more", n=fmt.number(len(rest), lang()))):
            marks = {"critical": ":red[:material/error:]", "warning": ":orange[:material/warning:]"}
            st.markdown(Markdown("\n".join(
                f"- {marks.get(i.severity, '')} {fmt.escape_md(i.text)}" for i in rest
            )))  # fmt: skip


def bar(share: float, text: object) -> None:
    """A progress bar with its sentence."""
    st.progress(min(max(float(share), 0.0), 1.0), text=md(text))


def cards(items: list[Card], per_row: int = 4) -> None:
    """Headline cards, `per_row` to a row (two to a row on a phone, by the stylesheet)."""
    with st.container(key="kpis"):
        for start in range(0, len(items), per_row):
            row = st.columns(per_row)
            for column, card in zip(row, items[start : start + per_row], strict=False):
                with column.container(border=True):
                    st.metric(
                        md(card.label), card.value, delta=card.delta,
                        help=md(card.help) if card.help else None,
                        delta_color="inverse" if card.inverse else "normal",
                        delta_description=md(card.against) if card.against else None,
                    )  # fmt: skip
                    st.caption(md(card.note) if card.note else "\u00a0")


def chart(block: Chart, *, title: bool = True) -> None:
    """A chart with its title, its sentence above and its CSV under it; or, when there is
    nothing to draw, the sentence that says what is missing."""
    if title and block.title:
        heading(block.title)
    if is_empty(block):
        notice(block.empty)
        return
    say(block.insight)
    plotly(block.figure, key=f"chart-{block.name}")
    download(block.frame, block.name)


#: The width a table has to fit in, in pixels: a 1440 px desktop's main column, a 390 px phone.
TABLE_ROOM = {"wide": 940, "phone": 340}
#: The narrowest a text column gets when a table must give up width to fit.
TEXT_NARROWEST = 90


def _cells(text: object) -> int:
    """Width of a text in Latin letters (a Chinese character is about two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(text))


def text_width(values: pd.Series, header: str) -> int:
    """Pixels a column needs for its longest cell or its header. (Streamlit sizes columns
    from a few rows only, so a longer name further down would be cut.)"""
    longest = max([_cells(header), *(_cells(v) for v in values.dropna().head(5000))])
    return int(24 + 7.6 * longest)


def _number_width(values: pd.Series, header: str) -> int:
    """About the pixels Streamlit gives a column of figures (or of anything but text)."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    digits = len(f"{numbers.abs().max():,.1f}") if len(numbers) else 8
    return int(24 + 7.6 * max(_cells(header), digits))


def fit_widths(frame: pd.DataFrame, kinds: dict[str, str], room: int) -> dict[str, int]:
    """Widths for the text columns of `frame`: each as wide as its longest cell, and when the
    table would be wider than `room`, the widest give up width first (down to 90 px), so the
    other columns stay in view."""
    fixed = {"wide": 400, "progress": 150}
    need = {c: text_width(frame[c], c) for c in frame.columns if kinds.get(c) == "text"}
    other = sum(
        fixed.get(kinds.get(c, ""), 0) or _number_width(frame[c], c)
        for c in frame.columns
        if c not in need
    )
    spare, cap = room - other, float("inf")
    if need and sum(need.values()) > spare:
        widths, left = sorted(need.values()), spare
        for i, w in enumerate(widths):
            share = left / (len(widths) - i)
            if w > share:
                cap = max(share, TEXT_NARROWEST)
                break
            left -= w
    return {c: int(min(w, cap)) for c, w in need.items()}


def _column_config(kind: str, header: str) -> Any:
    cc = st.column_config
    return {
        "text": cc.TextColumn(header, width="content"),
        "wide": cc.TextColumn(header, width="large"),
        "int": cc.NumberColumn(header, format="%,.0f", width="content"),
        "dec1": cc.NumberColumn(header, format="%,.1f", width="content"),
        "dec2": cc.NumberColumn(header, format="%,.2f", width="content"),
        "percent": cc.NumberColumn(header, format="%.0f%%", width="content"),
        "progress": cc.ProgressColumn(header, format="%.0f%%", min_value=0, max_value=100),
        "date": cc.DateColumn(header, format="D MMM YYYY", width="content"),
    }[kind]


def table(block: Table, *, title: bool = True) -> None:
    """A table sized to its content, with its sentence and CSV. On a phone only the columns
    that matter show (`block.phone`); the stylesheet picks one of the two by width."""
    if title and block.title:
        heading(block.title)
    if is_empty(block):
        notice(block.empty)
        return
    say(block.intro)
    config = {h: _column_config(k, h) for h, k in block.kinds.items() if h in block.frame}
    shown = list(block.frame.columns)
    layouts = [("wide", shown)]
    if block.phone and len(block.phone) < len(shown):
        layouts.append(("phone", list(block.phone)))
    for layout, columns in layouts:
        key = f"{layout}-{block.name}" if len(layouts) > 1 else f"table-{block.name}"
        widths = fit_widths(block.frame[columns], dict(block.kinds), TABLE_ROOM[layout])
        sized = config | {h: st.column_config.TextColumn(h, width=w) for h, w in widths.items()}
        with st.container(key=key):
            st.dataframe(
                block.frame[columns], hide_index=True, width="stretch",
                column_config={c: v for c, v in sized.items() if c in columns},
                height=block.height or "auto",
            )  # fmt: skip
    download(block.frame if block.csv is None else block.csv, block.name)
