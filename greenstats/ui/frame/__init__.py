"""The Streamlit frame (pages import it as `ui`): the data door `cached(fn, *args)` keyed by
the snapshot's identity, the language, the filter bar bound to the URL, and the drawing of what
a screen returns (cards, charts with their sentence and CSV, tables, empty states).

Pages arrange: they pass a screen's `load` to `cached` and draw its blocks, never SQL.

The parts, in the order a run meets them: `text` (the reader's language, UI text, markdown),
`roles` (who is looking, their role, the audit line), `door` (the one door to the data),
`sign_in` (the viewer, and the pages for those who may see nothing), `chrome` (first start,
stylesheet, demo banner), `codes` (names for codes), `filters` (the filter bar and the link,
a page's filters and header), `downloads` (CSV and PDF, made on click), `draw` (sentences,
cards, charts) and `tables` (tables sized to fit). This module hands on what dashboard.py and
the pages call; names with a leading underscore are shared between the parts only.
"""

from __future__ import annotations

from greenstats.ui.frame.chrome import demo_banner, ensure_warehouse, style
from greenstats.ui.frame.door import cached, pin_snapshot
from greenstats.ui.frame.downloads import download, download_pdf
from greenstats.ui.frame.draw import attention, bar, cards, chart, heading, note, notice, say
from greenstats.ui.frame.filters import (
    check_choice,
    filter_bar,
    language_switch,
    page_filters,
    page_header,
)
from greenstats.ui.frame.sign_in import (
    access_banner,
    account,
    audit_page_refused,
    check_partners,
    elsewhere_pages,
    viewer,
)
from greenstats.ui.frame.tables import table
from greenstats.ui.frame.text import lang, tr

__all__ = [
    "access_banner",
    "account",
    "attention",
    "audit_page_refused",
    "bar",
    "cached",
    "cards",
    "chart",
    "check_choice",
    "check_partners",
    "demo_banner",
    "download",
    "download_pdf",
    "elsewhere_pages",
    "ensure_warehouse",
    "filter_bar",
    "heading",
    "lang",
    "language_switch",
    "note",
    "notice",
    "page_filters",
    "page_header",
    "pin_snapshot",
    "say",
    "style",
    "table",
    "tr",
    "viewer",
]
