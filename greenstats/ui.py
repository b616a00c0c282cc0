"""Shared Streamlit pieces: the data door (cached by snapshot), language, KPI cards, banners.

Pages arrange; they call these and `greenstats.queries`/`stats`/`charts`, never SQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from greenstats import fmt, queries
from greenstats.filters import Filters
from greenstats.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from greenstats.warehouse import Reader, Snapshot, Warehouse, WarehouseError

T = TypeVar("T")


def lang() -> str:
    """The language the reader chose (English by default)."""
    value = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def tr(key: str, **values: object) -> str:
    """UI text in the reader's language."""
    return t(key, lang(), **values)


@st.cache_resource(max_entries=3, show_spinner=False)
def _reader(path: str, number: int) -> Reader:
    return Warehouse().open_snapshot(Snapshot(number, _as_path(path)))


def _as_path(path: str):
    from pathlib import Path

    return Path(path)


def snapshot() -> Snapshot:
    """The published snapshot now (read on every run, so a new one is picked up at once)."""
    return Warehouse().require_current()


def reader() -> Reader:
    """A read-only connection to the published snapshot, shared by all sessions."""
    snap = snapshot()
    return _reader(str(snap.path), snap.number)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(name: str, snapshot_path: str, number: int, filters: Filters, extra: tuple) -> Any:
    func: Callable[..., Any] = getattr(queries, name)
    return func(_reader(snapshot_path, number), filters, *extra)


def query(name: str, filters: Filters, *extra: Any) -> Any:
    """Run `queries.<name>(reader, filters, *extra)`, cached by snapshot and filters."""
    snap = snapshot()
    return _cached(name, str(snap.path), snap.number, filters, tuple(extra))


@st.cache_data(max_entries=8, show_spinner=False)
def _info(snapshot_path: str, number: int) -> dict[str, str]:
    return _reader(snapshot_path, number).info()


def info() -> dict[str, str]:
    """The published snapshot's metadata."""
    snap = snapshot()
    return _info(str(snap.path), snap.number)


def ensure_warehouse() -> None:
    """On first start, build the demo warehouse with a progress bar; then carry on."""
    from greenstats.bootstrap import build_demo_warehouse, demo_events

    warehouse = Warehouse()
    if warehouse.current() is not None:
        return
    bar = st.progress(0.0, text=tr("app.first_start", events=fmt.number(demo_events(), lang())))
    try:
        build_demo_warehouse(warehouse, lambda share, text: bar.progress(min(share, 1.0), text))
    except WarehouseError:
        # Another session holds the writer lock: it is building the same demo data.
        st.info(tr("app.building_elsewhere"))
        time.sleep(2)
        st.rerun()
    bar.empty()


def demo_banner() -> None:
    """Say plainly when the figures come from the synthetic demo data set."""
    if info().get("demo") == "true":
        st.warning(tr("app.demo_banner"), icon=":material/science:")


def kpi(
    column: Any,
    label_key: str,
    value: str,
    *,
    help_text: str | None = None,
    delta: str | None = None,
    delta_description: str | None = None,
    inverse: bool = False,
) -> None:
    """One headline card: label, value with unit, change against the previous period."""
    column.metric(
        tr(label_key),
        value,
        delta=delta,
        delta_color="inverse" if inverse else "normal",
        help=help_text,
        border=True,
        delta_description=delta_description,
    )
