"""Sign-in and what a viewer may open (dashboard.py, before anything is read): the viewer's
role, the pages that answer a visitor who may see nothing (signed out, refused, no role, a
broken access file), the pages that answer a link to no page of theirs, the sidebar's
account line and the banner that says what a view covers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import NoReturn
from urllib.parse import unquote, urlsplit

import streamlit as st

from greenstats.data import sessions
from greenstats.data.warehouse import Snapshot, Warehouse, WarehouseError
from greenstats.metrics import access, identity
from greenstats.metrics.access import AccessFileError, Role
from greenstats.metrics.filters import Filters
from greenstats.metrics.identity import Identity
from greenstats.metrics.queries import program
from greenstats.ui.frame.door import broken, snapshot
from greenstats.ui.frame.roles import Viewer, _grants, _once, audit_event, sign_in_configured
from greenstats.ui.frame.text import md, tr

_log = logging.getLogger("greenstats.access")


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
