"""The one door to the data: every read of a run comes from the snapshot pinned at its start,
through `cached(fn, *args)`, keyed by the snapshot's identity and the viewer's role, with the
Filters narrowed to that role. A warehouse that cannot be read stops the run in one sentence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

import streamlit as st

from greenstats.data.warehouse import Reader, Snapshot, Warehouse, WarehouseError
from greenstats.metrics import access
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import base
from greenstats.ui.frame.roles import current_role
from greenstats.ui.frame.text import md

P = ParamSpec("P")
T = TypeVar("T")


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


def info() -> dict[str, str]:
    """The published snapshot's metadata."""
    return cached(base.snapshot_info)
