"""Drawing what a screen built: sentences and notes, headings, the "Needs attention" block,
progress bars, headline cards, and charts with their sentence and CSV."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from greenstats.ui import charts, fmt
from greenstats.ui.blocks import Attention, Card, Chart, Markdown, is_empty
from greenstats.ui.frame.downloads import download
from greenstats.ui.frame.text import lang, md, tr


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


def empty(message_key: str) -> None:
    st.info(tr(message_key), icon=":material/info:")
