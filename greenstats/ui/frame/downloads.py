"""The files a reader takes away: a CSV of exactly what is shown, and a PDF report, each made
only when its button is clicked, audited then, and issued to the sign-in that asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

import pandas as pd
import streamlit as st

from greenstats.data import audit
from greenstats.data.warehouse import Reader, Warehouse
from greenstats.metrics import access
from greenstats.metrics.filters import Filters
from greenstats.metrics.identity import Identity
from greenstats.ui import fmt, server
from greenstats.ui.frame.door import snapshot
from greenstats.ui.frame.roles import _audit_context, current_role
from greenstats.ui.frame.text import md, tr

P = ParamSpec("P")


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
