"""Who is looking: the viewer a run reads as, their role (the access file, read again
whenever it changes), and the audit log's line for what this run does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from greenstats.data import audit
from greenstats.metrics import access
from greenstats.metrics.access import AccessFileError, Grants, Role
from greenstats.metrics.filters import Filters
from greenstats.metrics.identity import Identity


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
