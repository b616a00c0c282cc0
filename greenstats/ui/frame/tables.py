"""Tables sized to their content: text columns as wide as their longest cell (the widest give
up width first when the table would not fit), and a phone layout of the columns that matter."""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd
import streamlit as st

from greenstats.ui.blocks import Table, is_empty
from greenstats.ui.frame.downloads import download
from greenstats.ui.frame.draw import heading, notice, say

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
