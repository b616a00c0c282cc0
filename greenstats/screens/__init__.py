"""One module per page: `load(reader, filters, lang, …) -> <Page>Data` computes everything the
page shows (cards, charts with their sentences, tables, empty states) without Streamlit, so
the page file only arranges it and a test can sweep every filter through it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from greenstats.filters import Filters
from greenstats.screens import overview
from greenstats.warehouse import Reader


@dataclass(frozen=True)
class Screen:
    """One page: its file under pages/ (and URL path), title, icon, navigation section, the
    filters that apply to it, and its `load` for the page's default view."""

    name: str
    title_key: str
    icon: str
    section: str
    applies: frozenset[str]
    load: Callable[[Reader, Filters, str], Any]


#: Every page, in navigation order: app.py, the tests and the benchmark read this list.
SCREENS: tuple[Screen, ...] = (
    Screen("overview", "page.overview", ":material/dashboard:", "nav.impact",
           frozenset({"period", "region"}), overview.load),
)  # fmt: skip
