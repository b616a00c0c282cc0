"""One module per page (a package for a page of several parts, as `projects/`): `load(reader,
filters, lang, …) -> <Page>Data` computes everything the page shows (cards, charts with their
sentences, tables, empty states) without Streamlit, so the page file only arranges it and a
test can sweep every filter through it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from greenstats.data.warehouse import Reader
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import program
from greenstats.screens import (
    actions,
    ecosystem,
    funnel,
    methodology,
    overview,
    projects,
    species,
)


def _no_variants(r: Reader, f: Filters) -> list[tuple]:
    return [()]


@dataclass(frozen=True)
class Screen:
    """One page: its file under pages/ (and URL path), title, icon, navigation section, the
    filters that apply to it, its `load`, the arguments its default view passes after
    (reader, filters, lang), and the other views a reader can pick on the page itself."""

    name: str
    title_key: str
    icon: str
    section: str
    applies: frozenset[str]
    load: Callable[..., Any]
    args: tuple = ()
    variants: Callable[[Reader, Filters], list[tuple]] = field(default=_no_variants)

    def view(self, r: Reader, f: Filters, lang: str, *args: Any) -> Any:
        """The page's data for these filters (its default view when no args are given)."""
        return self.load(r, f, lang, *(args or self.args))


def _grains(r: Reader, f: Filters) -> list[tuple]:
    return [(g,) for g in ("day", "week", "month")]


def _partners_and_projects(r: Reader, f: Filters) -> list[tuple]:
    """Every partner's list, and every project's own page."""
    listed = [(p, None) for p in program.partners(r, f)]
    own = [(None, p) for p in projects.project_labels(r, f, "en", None)]
    return [(None, None), *listed, *own]


PERIOD_REGION = frozenset({"period", "region"})
PLANTINGS = frozenset({"period", "region", "project", "species"})

#: Every page, in navigation order: dashboard.py, the tests and the benchmark read this list.
SCREENS: tuple[Screen, ...] = (
    Screen("overview", "page.overview", ":material/dashboard:", "nav.impact", PERIOD_REGION,
           overview.load),
    Screen("actions", "page.actions", ":material/directions_walk:", "nav.program",
           frozenset({"period", "region", "action", "brand"}), actions.load, (None,), _grains),
    Screen("funnel", "page.funnel", ":material/filter_alt:", "nav.program", PLANTINGS,
           funnel.load),
    Screen("trees", "page.trees", ":material/park:", "nav.ecosystems", PLANTINGS,
           ecosystem.load, ("trees",)),
    Screen("species", "page.species", ":material/pets:", "nav.ecosystems",
           frozenset({"region"}), species.load),
    Screen("coastal", "page.coastal", ":material/waves:", "nav.ecosystems", PLANTINGS,
           ecosystem.load, ("coastal",)),
    Screen("projects", "page.projects", ":material/handshake:", "nav.partners", frozenset(),
           projects.load, (None, None), _partners_and_projects),
    Screen("methodology", "page.methodology", ":material/menu_book:", "nav.method",
           frozenset(), methodology.load),
)  # fmt: skip
