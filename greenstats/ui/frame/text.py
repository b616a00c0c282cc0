"""The reader's language, UI text in it, and text as a markdown element shows it."""

from __future__ import annotations

import streamlit as st

from greenstats.ui import fmt
from greenstats.ui.blocks import Markdown
from greenstats.ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, t


def lang() -> str:
    """The language the reader chose (English by default)."""
    value = st.session_state.get("lang") or DEFAULT_LANGUAGE
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def tr(key: str, **values: object) -> str:
    """UI text in the reader's language."""
    return t(key, lang(), **values)


def md(text: object) -> str:
    """Text for an element that reads markdown: a screen's `Markdown` as written, anything
    else (a sentence with names from the data, a value from the link) escaped to show as the
    characters it holds."""
    return text if isinstance(text, Markdown) else fmt.escape_md(text)
